"""The staff search page: server-rendered HTML (Jinja2) over the same searcher as the API.

Everything works without JavaScript (a plain GET form, links for filters and paging);
``static/vidensbank.js`` only adds search-as-you-type and keyboard navigation.
Only the searcher's ``snippet`` (escaped text + ``<mark>``) is marked safe; every other
string goes through Jinja2's autoescaping."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..api.deps import SearcherDep
from ..api.errors import is_api_path
from ..api.holder import NotReady
from ..api.validation import MAX_QUERY_CHARS as API_MAX_QUERY_CHARS
from ..search import browse
from ..search.searcher import Searcher
from ..search.types import Filters, Hit, SearchResponse

log = logging.getLogger(__name__)


WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"

MAX_QUERY_CHARS = API_MAX_QUERY_CHARS  # same limit as /api/search
PAGE_SIZE = 10
SIMILAR_ON_RESULTS = 3  # case results whose "Lignende cases" are filled in server-side
SIMILAR_K = 5
PLACEHOLDER_QUESTION = "hvordan undgår vi udsættelser?"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

FACET_LABELS = {
    "theme": "Tema",
    "document": "Publikation",
    "organisation": "Organisation",
    "year": "År",
}
FILTER_KEYS = tuple(FACET_LABELS)

router = APIRouter(include_in_schema=False)


def _asset_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


# ---------------------------------------------------------------- formatting helpers


def danish_number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def danish_seconds(ms: float) -> str:
    return f"{ms / 1000:.2f}".replace(".", ",") + " sek."


def result_count(total: int, took_ms: float) -> str:
    noun = "resultat" if total == 1 else "resultater"
    return f"{danish_number(total)} {noun} ({danish_seconds(took_ms)})"


def pages_label(start: int | None, end: int | None = None) -> str | None:
    if start is None:
        return None
    if end is None or end == start:
        return f"s.\u00a0{start}"
    return f"s.\u00a0{start}–{end}"


def web_url(url: str | None) -> str | None:
    """Only http(s) URLs become links; file paths and other schemes do not."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def linkify(text: str) -> Markup:
    """Escape ``text`` and turn bare http(s) URLs in it into links."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)»”")
        end = match.start() + len(url)
        out.append(str(escape(text[last : match.start()])))
        out.append(f'<a href="{escape(url)}" rel="external noopener noreferrer">{escape(url)}</a>')
        last = end
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dk_number"] = danish_number
    env.filters["paragraphs"] = paragraphs
    env.filters["linkify"] = linkify
    env.globals["pages_label"] = pages_label
    env.globals["web_url"] = web_url
    env.globals["asset_version"] = _asset_version()
    env.globals["placeholder"] = f"Søg i AlmenNets erfaringer – fx '{PLACEHOLDER_QUESTION}'"
    env.globals["max_query_chars"] = MAX_QUERY_CHARS
    return env


templates = Jinja2Templates(env=_env())


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    context.setdefault("q", "")
    context.setdefault("hidden_filters", [])
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


def error_page(
    request: Request, status_code: int, title: str, message: str, **context: Any
) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"status": status_code, "title": title, "message": message, **context},
        status_code=status_code,
    )


# ---------------------------------------------------------------- search state


class BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class SearchState:
    """The page's query string, parsed and re-buildable: every link keeps the query."""

    q: str = ""
    theme: str | None = None
    document: str | None = None
    organisation: str | None = None
    year: int | None = None
    page: int = 1

    @classmethod
    def parse(cls, params: dict[str, str]) -> SearchState:
        q = " ".join(params.get("q", "").split())
        if len(q) > MAX_QUERY_CHARS:
            raise BadRequest(
                f"Din søgning er for lang ({danish_number(len(q))} tegn). "
                f"Skriv højst {MAX_QUERY_CHARS} tegn – et kort spørgsmål virker bedst."
            )
        state = cls(q=q)
        for key in ("theme", "document", "organisation"):
            value = params.get(key, "").strip()
            setattr(state, key, value[:200] or None)
        year = params.get("year", "").strip()
        if year:
            if not year.isdigit() or len(year) != 4:
                raise BadRequest("Årstallet i filteret skal være fire cifre, fx 2023.")
            state.year = int(year)
        page = params.get("page", "").strip()
        if page:
            if not page.isdigit() or not 1 <= int(page) <= 1000:
                raise BadRequest("Sidetallet skal være et helt tal, fx 2.")
            state.page = int(page)
        return state

    @property
    def filters(self) -> Filters:
        return Filters(
            theme=self.theme,
            document=self.document,
            organisation=self.organisation,
            year=self.year,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        values: dict[str, Any] = {
            "q": self.q,
            **{k: getattr(self, k) for k in FILTER_KEYS},
            "page": self.page if self.page > 1 else None,
        }
        if any(k in changes for k in FILTER_KEYS) or "q" in changes:
            values["page"] = None  # a new filter or query starts on page one
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def url(self, **changes: Any) -> str:
        params = self.params(**changes)
        return "/?" + urlencode(params) if params else "/"

    def with_filter(self, key: str, value: Any) -> str:
        return self.url(**{key: value})

    def without(self, *keys: str) -> str:
        return self.url(**dict.fromkeys(keys or FILTER_KEYS))

    def is_active(self, key: str, value: Any) -> bool:
        current = getattr(self, key)
        if current is None:
            return False
        return str(current).casefold() == str(value).casefold()

    def active_filters(self, searcher: Searcher) -> list[dict[str, str]]:
        out = []
        for key in FILTER_KEYS:
            value = getattr(self, key)
            if value is None:
                continue
            shown = str(value)
            if key == "document" and value in searcher.catalog.documents:
                shown = searcher.catalog.documents[value].title
            out.append(
                {
                    "key": key,
                    "label": FACET_LABELS[key],
                    "value": shown,
                    "remove": self.without(key),
                }
            )
        return out

    def hidden_filters(self) -> list[tuple[str, str]]:
        return [(k, str(getattr(self, k))) for k in FILTER_KEYS if getattr(self, k)]


# ---------------------------------------------------------------- result grouping


@dataclass
class Passage:
    snippet_html: str | None  # the searcher's escaped snippet with <mark>: rendered |safe
    sentence: str | None  # plain text, autoescaped
    breadcrumb: list[str]
    page: str | None
    collapsed: int


@dataclass
class Group:
    """One result on the page: a case (with up to two of its passages) or a section."""

    title: str
    href: str
    breadcrumb: list[str]
    theme: str | None
    document_id: str
    document_title: str
    year: int | None
    case_id: str | None
    read_more: str | None
    passages: list[Passage] = field(default_factory=list)
    similar: list[Any] | None = None

    @property
    def pages(self) -> str | None:
        labels = [p.page for p in self.passages if p.page]
        return ", ".join(dict.fromkeys(labels)) or None


def _snippet(hit: Hit) -> tuple[str | None, str | None]:
    if "<mark>" not in hit.snippet and hit.best_sentence:
        return None, hit.best_sentence
    return hit.snippet, None


def _path(section_path: str) -> list[str]:
    return [part.strip() for part in section_path.split("›") if part.strip()]


def group_hits(searcher: Searcher, hits: list[Hit]) -> list[Group]:
    catalog = searcher.catalog
    groups: list[Group] = []
    by_case: dict[str, Group] = {}
    for hit in hits:
        parts = _path(hit.section_path)
        if hit.case:
            title = hit.case.title
            href = f"/cases/{hit.case.id}"
        else:
            title = parts[-1] if parts else hit.document.title
            row = catalog.row_by_id.get(hit.passage_id)
            anchor = f"#afsnit-{catalog.passages[row].section_idx}" if row is not None else ""
            href = f"/documents/{hit.document.id}{anchor}"
        crumbs = parts[:-1] if parts and parts[-1] == title else parts
        if crumbs and hit.theme and crumbs[0].casefold() == hit.theme.casefold():
            crumbs = crumbs[1:]  # the theme badge already says it
        passage = Passage(
            *_snippet(hit),
            breadcrumb=crumbs,
            page=pages_label(hit.page),
            collapsed=hit.collapsed,
        )
        if hit.case and hit.case.id in by_case:
            group = by_case[hit.case.id]
            if passage.breadcrumb == group.breadcrumb:
                passage.breadcrumb = []
            group.passages.append(passage)
            continue
        group = Group(
            title=title,
            href=href,
            breadcrumb=crumbs,
            theme=hit.theme,
            document_id=hit.document.id,
            document_title=hit.document.title,
            year=hit.document.year,
            case_id=hit.case.id if hit.case else None,
            read_more=web_url(hit.document.url),
        )
        passage.breadcrumb = []
        group.passages.append(passage)
        groups.append(group)
        if hit.case:
            by_case[hit.case.id] = group
    _add_case_details(searcher, groups)
    return groups


def _case_links(searcher: Searcher, case_id: str) -> list[str]:
    rows = searcher.catalog.query(
        "SELECT url FROM links WHERE case_id = ? ORDER BY ordinal", (case_id,)
    )
    return [u for u in (web_url(r["url"]) for r in rows) if u]


def _add_case_details(searcher: Searcher, groups: list[Group]) -> None:
    filled = 0
    for group in groups:
        if not group.case_id:
            continue
        links = _case_links(searcher, group.case_id)
        if links:
            group.read_more = links[0]
        if filled < SIMILAR_ON_RESULTS:
            filled += 1
            try:
                group.similar = list(similar_cases(searcher, group.case_id, SIMILAR_K))
            except Exception:  # the similar list is a nicety; never fail the page for it
                log.exception("similar cases for %s", group.case_id)
                group.similar = None


# ---------------------------------------------------------------- corpus views
# Data comes from vidensbank.search.browse (shared with the JSON API); these adapters
# only shape it for the templates.


def facets(searcher: Searcher) -> dict[str, list[dict[str, Any]]]:
    return browse.facets(searcher)


def similar_cases(searcher: Searcher, case_id: str, k: int = SIMILAR_K) -> list[Any]:
    return list(browse.similar_cases(searcher, case_id, k) or [])


def _short_url(url: str) -> str:
    short = url.split("://", 1)[-1].removeprefix("www.").rstrip("/")
    return short if len(short) <= 60 else short[:57] + "…"


def _web_links(links: list[Any]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for link in links:
        url = web_url(link.url)
        if url and url not in seen:
            text = (link.text or "").strip()
            if not text or text.lower().startswith(("http://", "https://", "www.")):
                text = _short_url(text or url)
            seen[url] = {"url": url, "text": text}
    return list(seen.values())


def case_view(searcher: Searcher, case_id: str) -> dict[str, Any] | None:
    case = browse.get_case(searcher, case_id)
    if case is None:
        return None
    catalog = searcher.catalog
    doc = catalog.documents[case.document.id]
    sub_cases = [d for d in (browse.get_case(searcher, c.id) for c in case.sub_cases) if d]
    parts = _path(case.section_path)
    text = case.text
    if text.startswith(case.title):  # the case text repeats its heading
        text = text[len(case.title) :].lstrip()
    return {
        "id": case.id,
        "title": case.title,
        "theme": case.theme,
        "text": text,
        "organisations": case.organisations,
        "places": case.places,
        "pages": pages_label(case.page_start, case.page_end),
        "breadcrumb": parts[:-1] if parts and parts[-1] == case.title else parts,
        "links": _web_links([*case.links, *(link for sub in sub_cases for link in sub.links)]),
        "document": {
            "id": doc.id,
            "title": doc.title,
            "year": doc.year,
            "publisher": doc.publisher,
            "url": web_url(doc.url),
        },
        "parent": case.parent,
        "children": [catalog.cases[c.id] for c in case.sub_cases if c.id in catalog.cases],
    }


def document_view(searcher: Searcher, document_id: str) -> dict[str, Any] | None:
    document = browse.get_document(searcher, document_id)
    if document is None:
        return None
    meta = searcher.catalog.documents[document_id].metadata
    sections = [
        {
            "idx": s.idx,
            "level": s.level,
            "title": s.title,
            "page": pages_label(s.page),
            "case_id": s.case_id,
        }
        for s in document.sections
        if s.level > 0  # level 0 is the document's own title
    ]
    by_theme: dict[str, list[Any]] = {}
    for case in document.cases:
        by_theme.setdefault(case.theme or "Uden tema", []).append(case)
    return {
        "id": document.id,
        "title": document.title,
        "subtitle": meta.get("subtitle"),
        "year": document.year,
        "publisher": document.publisher,
        "edition": meta.get("edition"),
        "rights": meta.get("rights"),
        "url": web_url(document.url),
        "superseded_by": document.superseded_by,
        "sections": sections,
        "cases": document.cases,
        "cases_by_theme": by_theme,
    }


def example_questions(facets: dict[str, list[dict[str, Any]]]) -> list[str]:
    themes = [t for t in facets.get("theme", []) if t.get("cases")] or facets.get("theme", [])
    questions = [PLACEHOLDER_QUESTION.capitalize()]
    for theme in themes[:4]:
        questions.append(f"Hvilke erfaringer er der med {str(theme['value']).lower()}?")
    return questions


# ---------------------------------------------------------------- routes


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, searcher: SearcherDep) -> Response:
    try:
        state = SearchState.parse(dict(request.query_params))
    except BadRequest as err:
        q = request.query_params.get("q", "")[: MAX_QUERY_CHARS * 2]
        return error_page(request, 400, "Søgningen kunne ikke udføres", err.message, q=q)
    facet_values = facets(searcher)
    context: dict[str, Any] = {
        "state": state,
        "q": state.q,
        "hidden_filters": state.hidden_filters(),
        "active_filters": state.active_filters(searcher),
        "facets": facet_values,
        "facet_labels": FACET_LABELS,
    }
    if not state.q:
        context["examples"] = example_questions(facet_values)
        context["themes"] = facet_values.get("theme", [])
        context["autofocus"] = True
        return render(request, "search.html", context)
    try:
        response: SearchResponse = searcher.search(
            state.q, k=PAGE_SIZE, offset=(state.page - 1) * PAGE_SIZE, filters=state.filters
        )
        groups = group_hits(searcher, response.results)
    except Exception:
        log.exception("search failed for %r", state.q)
        return error_page(
            request,
            500,
            "Søgningen fejlede",
            "Der skete en fejl, da vi søgte. Prøv igen om lidt – og kontakt support, hvis det "
            "bliver ved.",
            q=state.q,
        )
    last_page = max(1, -(-response.total // PAGE_SIZE))
    context.update(
        response=response,
        groups=groups,
        count=result_count(response.total, response.took_ms),
        last_page=last_page,
        first_rank=response.offset + 1,
    )
    return render(request, "search.html", context)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str, searcher: SearcherDep) -> Response:
    case = case_view(searcher, case_id)
    if case is None:
        return not_found(
            request,
            "Casen findes ikke",
            "Vi kunne ikke finde casen. Måske er den fjernet, eller linket er forkert.",
        )
    try:
        similar = list(similar_cases(searcher, case_id, SIMILAR_K))
    except Exception:
        log.exception("similar cases for %s", case_id)
        similar = []
    return render(request, "case.html", {"case": case, "similar": similar})


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: str, searcher: SearcherDep) -> Response:
    document = document_view(searcher, document_id)
    if document is None:
        return not_found(
            request,
            "Publikationen findes ikke",
            "Vi kunne ikke finde publikationen. Måske er den fjernet, eller linket er forkert.",
        )
    return render(request, "document.html", {"document": document})


def not_found(request: Request, title: str, message: str) -> HTMLResponse:
    return error_page(request, 404, title, message)


# ---------------------------------------------------------------- HTML error pages

_MESSAGES = {
    400: ("Forkert forespørgsel", "Siden kunne ikke vises, fordi adressen ikke er gyldig."),
    404: ("Siden findes ikke", "Vi kunne ikke finde siden. Tjek adressen, eller søg herunder."),
    405: ("Forkert forespørgsel", "Siden kan ikke bruges på den måde."),
    422: ("Forkert forespørgsel", "Siden kunne ikke vises, fordi adressen ikke er gyldig."),
    503: (
        "Søgningen er ikke klar endnu",
        "Vidensbanken har endnu ikke et søgeindeks, eller det er ved at blive opdateret. "
        "Prøv igen om et øjeblik.",
    ),
}
_FALLBACK = ("Der skete en fejl", "Noget gik galt hos os. Prøv igen om lidt.")


def _is_api(request: Request) -> bool:
    return is_api_path(request.url.path)


def install_html_errors(app: FastAPI) -> None:
    """Danish HTML error pages for browser paths; API paths keep FastAPI's JSON errors.

    Call after the app's own exception handlers are registered: for /api paths this
    delegates to whatever handler was installed before (or FastAPI's default)."""
    from fastapi.exception_handlers import (
        http_exception_handler,
        request_validation_exception_handler,
    )

    previous_http = app.exception_handlers.get(StarletteHTTPException, http_exception_handler)
    previous_validation = app.exception_handlers.get(
        RequestValidationError, request_validation_exception_handler
    )
    previous_any = app.exception_handlers.get(Exception)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if _is_api(request):
            return await _call(previous_http, request, exc)
        title, message = _MESSAGES.get(exc.status_code, _FALLBACK)
        response = error_page(request, exc.status_code, title, message)
        if exc.status_code == 503:
            response.headers["Retry-After"] = "10"
        return response

    async def on_validation(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await _call(previous_validation, request, exc)
        title, message = _MESSAGES[422]
        return error_page(request, 400, title, message)

    async def on_any(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            if previous_any is not None:
                return await _call(previous_any, request, exc)
            return JSONResponse({"detail": "Internal server error"}, status_code=500)
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        return error_page(request, 500, *_FALLBACK)

    async def on_not_ready(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await on_any(request, exc)
        title, message = _MESSAGES[503]
        response = error_page(request, 503, title, message)
        response.headers["Retry-After"] = "10"
        return response

    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(NotReady, on_not_ready)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_any)


async def _call(handler: Any, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    if hasattr(result, "__await__"):
        result = await result
    return result
