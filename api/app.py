"""The FastAPI application: ``create_app(settings)``; ``vidensbank serve`` runs it with
uvicorn (``vidensbank.api.app:create_app`` as a factory, once per worker)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..settings import Settings, load_settings
from ..web import admin as web_admin
from ..web import feedback as web_feedback
from ..web import insights_routes as insights
from ..web import routes as web
from ..web.render import STATIC_DIR
from .docs import install_docs
from .errors import install_error_handlers
from .holder import SnapshotHolder
from .middleware import EdgeMiddleware
from .routes import admin, browse, health, search
from .routes import feedback as api_feedback
from .search_log import install_query_log

DESCRIPTION = """
Søgning i den almene sektors erfaringer (cases, publikationer) for intranettets værktøjer.

* **Søg**: `GET /api/search?q=hvordan kan vi forebygge udsættelser?` – hybrid semantisk og
  ordsøgning; filtrér med `theme`, `organisation`, `document` og `year` (værdier fra
  `GET /api/facets`).
* **Gennemse**: dokumenter, afsnit, cases og lignende cases.
* **Skriv** (kræver `Authorization: Bearer <VIDENSBANK_ADMIN_TOKEN>`): upload eller slet
  dokumenter; et nyt søgeindeks bygges og tages i brug uden genstart.

Every error has the shape `{"error": {"code", "message", "detail"}}`; the message says how
to fix the problem.
"""

TAGS = [
    {"name": "search", "description": "Search and statistics"},
    {"name": "browse", "description": "Documents, passages, cases and facets"},
    {"name": "admin", "description": "Token-protected writes"},
    {"name": "health", "description": "Liveness and readiness probes"},
]


def create_app(settings: Settings | None = None, holder: SnapshotHolder | None = None) -> FastAPI:
    """Build the app. Without arguments the settings come from ``VIDENSBANK_*`` variables.
    ``holder`` lets tests share one loaded snapshot (and model) between apps."""
    settings = settings or load_settings()
    holder = holder or SnapshotHolder(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(holder.refresh)  # load now; /readyz says 503 until one exists
        holder.start()
        app.state.query_log.start()
        try:
            yield
        finally:
            app.state.query_log.stop()
            holder.stop()

    app = FastAPI(
        title="Vidensbank API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # FastAPI's own pages load from a CDN: install_docs serves them offline
        redoc_url=None,
        redirect_slashes=False,  # EdgeMiddleware redirects without echoing the Host header
    )
    app.state.settings = settings
    app.state.holder = holder
    install_query_log(app, settings)  # app.state.query_log: the background log writer

    install_docs(app)
    for module in (search, browse, admin, health, web):
        app.include_router(module.router)
    app.include_router(web_admin.router)  # /admin: login, upload, document list
    for router in (api_feedback.router, web_feedback.router, insights.router):  # staff loop
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app)  # JSON for API paths, Danish HTML pages for the rest

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["X-Snapshot-Version", "ETag"],
            max_age=600,
        )
    app.add_middleware(EdgeMiddleware)
    return app
