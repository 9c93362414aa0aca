"""The API documentation pages, working without internet: Swagger UI at ``/docs`` and ReDoc
at ``/redoc``, from the assets the ``fastapi-offline`` package ships (served under
``/docs/assets``), never from a CDN.

Both pages carry a strict Content-Security-Policy: scripts, styles, images and requests only
from this origin. Swagger UI is started by a served script (``/docs/swagger-init.js``, its
settings read from ``data-`` attributes), so no inline script is needed. ReDoc adds two kinds
of ``<style>`` element at run time, and its ``nonce`` option does not reach either (the
bundle resets webpack's nonce when it loads, before they are made); so ReDoc's policy allows
exactly those two by hash: the empty element that styled-components fills through the CSSOM
(not subject to the policy), and perfect-scrollbar's fixed stylesheet. Injected markup can
add neither a script nor a style with content of its own.

The ReDoc bundle names one host outside the server: the Redocly logo in its sidebar credit,
fetched at run time. It is served with that address emptied, so the image fails at once
without a request and ReDoc drops it (its own fallback); the credit text stays."""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

ASSETS_URL = "/docs/assets"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
SWAGGER_INIT_URL = "/docs/swagger-init.js"
REDOC_JS_URL = "/docs/redoc.standalone.js"
REDOC_LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg"
FAVICON_URL = "/static/favicon.svg"
# The inline styles of the pinned ReDoc bundle (see the module docstring); a new bundle with
# other styles shows as CSP violations in tests/web/test_offline_docs.py.
REDOC_STYLE_HASHES = (
    "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",  # "" (styled-components)
    "sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc=",  # perfect-scrollbar's .ps rules
)


def content_security_policy(style_hashes: tuple[str, ...] = (), blob_worker: bool = False) -> str:
    """Only this origin; ``data:`` images for the icons inlined in Swagger UI's CSS."""
    styles = " ".join(["'self'", *(f"'{digest}'" for digest in style_hashes)])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            *(["worker-src blob:"] if blob_worker else []),
            f"style-src {styles}",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


SWAGGER_INIT_JS = """\
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
"""

SWAGGER_PAGE = """\
<!doctype html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Swagger UI</title>
<link rel="icon" href="{favicon}" type="image/svg+xml">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<script src="{assets}/swagger-ui-bundle.js" defer></script>
<script src="{init}" defer></script>
</head>
<body>
<noscript><p>API-dokumentationen kræver JavaScript. Skemaet kan hentes som JSON fra
<a href="{openapi}">{openapi}</a>.</p></noscript>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
</body>
</html>
"""

REDOC_PAGE = """\
<!doctype html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – ReDoc</title>
<link rel="icon" href="{favicon}" type="image/svg+xml">
<script src="{redoc_js}" defer></script>
</head>
<body>
<noscript><p>API-dokumentationen kræver JavaScript. Skemaet kan hentes som JSON fra
<a href="{openapi}">{openapi}</a>.</p></noscript>
<redoc spec-url="{openapi}"></redoc>
</body>
</html>
"""


def _page(html: str, policy: str) -> HTMLResponse:
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = policy
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


@cache
def redoc_bundle() -> bytes:
    """The shipped ReDoc bundle without its one run-time fetch from another host."""
    source = (ASSETS_DIR / "redoc.standalone.js").read_bytes()
    return source.replace(REDOC_LOGO_URL.encode(), b"")


def install_docs(app: FastAPI) -> None:
    """Add ``/docs``, ``/redoc`` and their assets; ``app`` must be built with
    ``docs_url=None, redoc_url=None`` (FastAPI's own pages load from a CDN)."""
    openapi_url = app.openapi_url or "/openapi.json"
    common = {
        "title": escape(app.title),
        "favicon": FAVICON_URL,
        "openapi": escape(openapi_url),
    }

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        html = SWAGGER_PAGE.format(**common, assets=ASSETS_URL, init=SWAGGER_INIT_URL)
        return _page(html, content_security_policy())

    @app.get(SWAGGER_INIT_URL, include_in_schema=False)
    async def swagger_init() -> Response:
        return Response(SWAGGER_INIT_JS, media_type="text/javascript")

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        html = REDOC_PAGE.format(**common, redoc_js=REDOC_JS_URL)
        return _page(html, content_security_policy(REDOC_STYLE_HASHES, blob_worker=True))

    @app.get(REDOC_JS_URL, include_in_schema=False)
    async def redoc_js() -> Response:
        return Response(redoc_bundle(), media_type="text/javascript")

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
