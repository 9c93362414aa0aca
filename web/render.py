"""Rendering of the pages: the Jinja2 environment, ``render`` and the Danish error page.

Every string goes through Jinja2's autoescaping; only the searcher's snippet (escaped text
with ``<mark>``) and ``linkify``'s output are marked safe."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from ..api.validation import MAX_QUERY_CHARS, visible
from .filters import danish_number, linkify, pages_label, paragraphs, web_url
from .security import SECURITY_HEADERS
from .texts import (
    DAMAGED_INDEX,
    error_text,
    parameter_text,
    server_error_text,
    unknown_filter_text,
)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"
PLACEHOLDER_QUESTION = "hvordan kan vi forebygge udsættelser?"

__all__ = [
    "DAMAGED_INDEX",
    "error_page",
    "parameter_text",
    "render",
    "server_error_text",
    "templates",
    "unknown_filter_text",
]


def _asset_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


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
    request: Request, status_code: int, title: str | None = None, message: str | None = None
) -> HTMLResponse:
    """The Danish error page; title and message default to the status's texts. The
    question stays in the search box so it can be corrected."""
    default_title, default_message = error_text(status_code)
    q = visible(request.query_params.get("q", "")[: MAX_QUERY_CHARS * 2])
    context = {
        "status": status_code,
        "title": title or default_title,
        "message": message or default_message,
        "q": q,
    }
    return render(request, "error.html", context, status_code=status_code)
