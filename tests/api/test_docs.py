"""The API documentation pages are whole without internet: every asset they name is served
by the app itself, and they carry a strict Content-Security-Policy."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from lxml import html

DOC_PAGES = ["/docs", "/redoc"]


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def _referenced(page: str) -> list[str]:
    tree = html.fromstring(page)
    return [
        *tree.xpath("//script/@src"),
        *tree.xpath("//link/@href"),
        *tree.xpath("//img/@src"),
        *tree.xpath("//@data-openapi-url"),
        *tree.xpath("//redoc/@spec-url"),
    ]


@pytest.mark.parametrize("path", DOC_PAGES)
def test_docs_page_names_only_assets_of_this_server(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", response.text, re.I), (
        "an absolute URL in the page"
    )
    urls = _referenced(response.text)
    assert any(url.endswith(".js") for url in urls)
    for url in urls:
        assert urlsplit(url).netloc == "", url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url


@pytest.mark.parametrize("path", DOC_PAGES)
def test_docs_page_carries_a_csp_that_allows_only_this_origin(
    client: TestClient, path: str
) -> None:
    policy = client.get(path).headers["content-security-policy"]
    directives = _directives(policy)
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert set(directives["img-src"]) <= {"'self'", "data:"}
    for source in directives["style-src"]:
        assert source == "'self'" or re.fullmatch(r"'sha256-[A-Za-z0-9+/]+=*'", source)
    assert "unsafe" not in policy
    assert not re.search(r"https?:|\*", policy)


def test_swagger_ui_starts_without_an_inline_script(client: TestClient) -> None:
    tree = html.fromstring(client.get("/docs").text)
    inline = [s for s in tree.xpath("//script") if not s.get("src") and (s.text or "").strip()]
    assert inline == []
    assert tree.xpath("//*[@id='swagger-ui']/@data-openapi-url") == ["/openapi.json"]
    init = client.get("/docs/swagger-init.js")
    assert init.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle(" in init.text and "validatorUrl: null" in init.text


def test_redoc_bundle_is_served_without_its_cdn_logo(client: TestClient) -> None:
    bundle = client.get("/redoc")
    script = html.fromstring(bundle.text).xpath("//script/@src")[0]
    body = client.get(script).text
    assert "Redoc" in body and len(body) > 500_000
    assert "cdn.redoc.ly" not in body


def test_fastapi_cdn_pages_are_gone(client: TestClient) -> None:
    for path in DOC_PAGES:
        assert "cdn.jsdelivr.net" not in client.get(path).text
    assert client.get("/docs/oauth2-redirect").status_code == 404
