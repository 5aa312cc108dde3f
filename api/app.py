"""The FastAPI application: ``create_app(settings)`` builds it; ``matcher serve`` runs it under uvicorn with
``factory=True`` (there is no module-level app).

The encoder and index load once, in the lifespan, in a thread: ``/healthz`` answers at once and ``/readyz`` says
ready only when the index is loaded. The web page (``api/static/``) is mounted last at ``/``, so ``/v1``,
``/docs`` and the health routes win; without that folder the API works as before.

Every route that depends on ``api.routes.deps.require_api_key`` is *keyed*: ``api.middleware.Admission`` checks
its key from the headers before it reads any of the body (``keyed_routes``), so a keyed endpoint added later is
protected the same way without any other change.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match
from starlette.types import Scope

from api import errors
from api.jobs import JobStore
from api.middleware import Admission, RequestContext
from api.routes import checklist, health, jobs, match, occupations, report, screen
from api.routes.deps import require_api_key
from api.schemas import (
    ChecklistRequest,
    MatchRequest,
    MatchUpload,
    RankVacanciesRequest,
    RankVacanciesUpload,
    ReportRequest,
    ScreenRequest,
    ScreenUpload,
    VacancyRequest,
    VacancyUpload,
)
from api.service import Service
from matcher.config import Settings, get_settings
from matcher.engine import Matcher

STATIC_DIR = Path(__file__).resolve().parent / "static"

DESCRIPTION = """Skill matching against Kazakhstan's professional standard Q88100061 (social work).

* `POST /v1/match` (open): a CV or vacancy, as JSON text or an uploaded .txt/.pdf/.docx file, matched to
  occupations, an SBSh level, covered and missing statements.
* `POST /v1/vacancies/analyse`: a vacancy's occupation, level and required statements.
* `POST /v1/screen` (header `X-API-Key`): rank up to N CVs against one vacancy, with reasons.
* `POST /v1/screen/jobs` (header `X-API-Key`): a screening job of up to MATCHER_MAX_JOB_CVS CVs (202, progress,
  the ranked rows as JSON, CSV or XLSX); the screening page is at `/screen`.
* `POST /v1/rank-vacancies` (open): rank vacancies for one CV, with the same fit and reasons.
* `POST /v1/checklist` (open): the statements a person ticks, no CV: the same result as `/v1/match`.
* `POST /v1/report` (open): the body of `/v1/match` or `/v1/checklist`: a printable PDF report in `lang`.
* `GET /v1/occupations[/{clause or code}]?lang=kk|ru|en`: the occupation cards.

Errors are `application/problem+json` with a machine-readable `code`. CV text is never stored or logged.
"""

# Request bodies read by the handlers themselves (JSON or multipart), declared through `openapi_extra`.
_BODY_MODELS = (errors.Problem, MatchRequest, MatchUpload, VacancyRequest, VacancyUpload, ScreenRequest,
                ScreenUpload, RankVacanciesRequest, RankVacanciesUpload, ChecklistRequest,
                ReportRequest)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in _BODY_MODELS:
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in model_schema.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = model_schema
        app.openapi_schema = schema
    return app.openapi_schema


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.service.start()
    try:
        yield
    finally:
        app.state.jobs.close()
        app.state.service.close()


def keyed_routes(app: FastAPI) -> list[APIRoute]:
    """The routes that need the API key: those that depend on ``require_api_key``."""
    return [route for route in errors.app_routes(app) if isinstance(route, APIRoute)
            and any(dep.dependency is require_api_key for dep in route.dependencies)]


# 1 KB: smaller answers gain nothing from compression; a /v1/match result (a few hundred KB) shrinks about tenfold
GZIP_MINIMUM_BYTES = 1024


def create_app(settings: Settings | None = None, matcher: Matcher | None = None,
               static_dir: Path | None = STATIC_DIR) -> FastAPI:
    """The application. ``matcher``: an already loaded one (tests share one); otherwise the lifespan loads it."""
    s = settings or get_settings()
    app = FastAPI(title="kz-skill-matcher", version="1", description=DESCRIPTION, lifespan=_lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.service = Service(s, matcher)
    app.state.jobs = JobStore(s)  # screening jobs (/v1/screen/jobs): bounded, in memory only
    errors.install(app)
    for router in (match.router, checklist.router, report.router, screen.router, jobs.router, occupations.router,
                   health.router):
        app.include_router(router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    def limit_for(path: str) -> int:
        if path.rstrip("/") == "/v1/screen":
            return s.max_screen_bytes
        return s.max_job_bytes if path.rstrip("/") == "/v1/screen/jobs" else s.max_request_bytes

    def is_keyed(scope: Scope) -> bool:  # looked up per request: routes added after create_app count too
        path = str(scope.get("path", ""))
        # "/v1/screen/" is keyed too (the router would redirect it to "/v1/screen")
        scopes = [scope, {**scope, "path": path.rstrip("/")}] if len(path) > 1 and path.endswith("/") else [scope]
        return any(route.matches(sc)[0] is Match.FULL for route in keyed_routes(app) for sc in scopes)

    # innermost first: the answer is compressed when the client accepts gzip; the log counts the bytes sent
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES)
    app.add_middleware(Admission, settings=s, clients=app.state.service.clients,  # type: ignore[arg-type]
                       limit_for=limit_for, is_keyed=is_keyed)
    app.add_middleware(RequestContext)  # type: ignore[arg-type]  # added last: the outermost

    _offline_docs(app)
    if static_dir is not None and static_dir.is_dir():
        screen_page = static_dir / "screen.html"

        @app.get("/screen", include_in_schema=False)
        async def screening_page() -> FileResponse:  # the employment centres' screening page
            return FileResponse(screen_page, media_type="text/html; charset=utf-8")

        app.mount("/", StaticFiles(directory=static_dir, html=True), name="static")
    else:
        logging.getLogger("matcher.api").info("no web page at %s: serving the API only", static_dir)

        @app.get("/", include_in_schema=False)
        async def root() -> dict[str, str]:
            return {"service": "kz-skill-matcher", "docs": "/docs", "note": "the web page (api/static) is missing"}
    return app


# The only files of the docs bundle the docs page loads: Swagger UI 5 (it renders OpenAPI 3.1, which FastAPI writes;
# 4.x cannot), as the ``fastapi-offline`` package ships it (it also holds ReDoc and a favicon, which are not served).
DOCS_FILES = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8"}
_DOCS_PACKAGE = "fastapi_offline"

# The docs page's own start-up script (a file, not inline: the page's CSP allows no inline script).
_DOCS_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: true,
  showExtensions: true, showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
});
"""

_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kz-skill-matcher API</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/docs-static/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs-static/swagger-ui-bundle.js"></script>
<script src="/docs-static/init.js"></script>
</body>
</html>
"""


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI 5 at /docs from the files of the ``fastapi-offline`` package (FastAPI's default page loads them
    from a CDN, which leaves /docs blank on an offline machine), and only the two the page needs."""
    from importlib.resources import files

    from fastapi.responses import FileResponse, HTMLResponse, Response

    folder = Path(str(files(_DOCS_PACKAGE) / "static"))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE)

    @app.get("/docs-static/init.js", include_in_schema=False)
    async def docs_init() -> Response:
        return Response(_DOCS_INIT, media_type="text/javascript; charset=utf-8")

    @app.get("/docs-static/{name}", include_in_schema=False)
    async def docs_file(name: str) -> FileResponse:
        if name not in DOCS_FILES:
            raise errors.ApiError(404, "not_found", "There is nothing at this address (see /docs).")
        return FileResponse(folder / name, media_type=DOCS_FILES[name])


def log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's logging configuration plus ours: one line per request from ``matcher.api`` (uvicorn's access
    log is switched off by ``matcher serve``: it would add client addresses and query strings)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {**LOGGING_CONFIG, "loggers": dict(LOGGING_CONFIG["loggers"])}
    config["formatters"] = {**LOGGING_CONFIG["formatters"], "matcher": {
        "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}}
    config["handlers"] = {**LOGGING_CONFIG["handlers"], "matcher": {
        "class": "logging.StreamHandler", "formatter": "matcher", "stream": "ext://sys.stderr"}}
    config["loggers"]["matcher"] = {"handlers": ["matcher"], "level": level, "propagate": False}
    # Libraries that read documents may warn about a malformed file; their messages are not needed in the log.
    for name in ("pypdf", "python_multipart", "docx"):
        config["loggers"][name] = {"level": "ERROR"}
    return config
