"""Every error of the API is an ``application/problem+json`` answer (RFC 9457) with a machine-readable ``code``.

``detail`` is a sentence a person understands (the web page shows it). Nothing here logs or echoes the input:
validation errors name the field, never its value.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match, Mount

from matcher.errors import MatcherError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:kz-skill-matcher:problem:"

# Every error code of the matcher (``matcher.errors.CODES``) -> HTTP status: the one table the API maps errors
# through. A code missing here is a 500 (a test checks that every code has an entry).
STATUS: dict[str, int] = {
    # input that cannot be matched, and documents that cannot be read
    "empty": 422,
    "binary": 422,
    "no_words": 422,
    "unknown_statement": 422,  # /v1/checklist: an id that is not a statement of the standard
    "unknown_occupation": 422,  # /v1/checklist: a clause that is not one of its cards
    "encoding": 422,
    "pdf_encrypted": 422,
    "pdf_corrupt": 422,
    "pdf_no_text": 422,
    "docx_corrupt": 422,
    "timeout": 422,
    "too_large": 413,
    "too_long": 413,
    "pdf_too_many_pages": 413,
    "docx_too_large": 413,
    "unsupported_type": 415,
    # the service's own data or model cannot load: not the client's fault
    "parse": 503,
    "curation": 503,
    "dataset_missing": 503,
    "eval_dataset": 503,
    "encoder": 503,
    "unknown_encoder": 503,
    "model_cache": 503,
    "runtime_missing": 503,
}

_STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation",
    429: "busy",
}

_DETAILS: dict[int, str] = {
    404: "There is nothing at this address. The API lives under /v1 (see /docs).",
    405: "This address does not accept this HTTP method (see /docs).",
}


class Problem(BaseModel):
    """An error answer (``application/problem+json``)."""

    type: str = Field(description=f"'{TYPE_PREFIX}<code>'")
    title: str = Field(description="the HTTP status phrase")
    status: int
    detail: str = Field(description="what went wrong, for a person")
    code: str = Field(description="machine-readable: a document error code (matcher/text/documents.py) or one of "
                                  "no_words, validation, invalid_json, invalid_multipart, bad_request, "
                                  "unsupported_media_type, too_many_segments, too_many_cvs, too_many_vacancies, "
                                  "no_readable_cvs, unknown_statement, unknown_occupation, unauthorized, "
                                  "screen_disabled, request_timeout, rate_limited, busy, not_ready, "
                                  "report_unavailable, not_found, job_not_found, job_not_done, method_not_allowed, "
                                  "internal_error")


class ApiError(Exception):
    """Raised anywhere in a request; answered as a problem by the handler below."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = Problem(type=TYPE_PREFIX + code, title=HTTPStatus(status).phrase, status=status, detail=detail, code=code)
    return JSONResponse(body.model_dump(), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def matcher_problem(exc: MatcherError, prefix: str = "") -> ApiError:
    """A matcher error as a problem: status from ``STATUS`` by code, the error's message as the detail."""
    return ApiError(STATUS.get(exc.code, 500), exc.code, prefix + exc.message)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def validation_detail(errors: list[Any]) -> str:
    """'field: message; ...' without the offending values (they may be personal data)."""
    items = []
    for err in errors[:5]:
        if isinstance(err, dict):
            items.append(f"{_field(err.get('loc', ()))}: {err.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "The request is not valid. " + "; ".join(items) + more


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem(exc.status, exc.code, exc.detail, exc.headers)


async def _matcher_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MatcherError)
    err = matcher_problem(exc)
    return problem(err.status, err.code, err.detail)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem(422, "validation", validation_detail(list(exc.errors())))


def app_routes(app: FastAPI) -> list[BaseRoute]:
    """Every route of the app, those of the included routers too (FastAPI keeps an included router as one entry)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # a FastAPI that lists included routes one by one
        return list(app.router.routes)
    return [context.original_route for context in iter_route_contexts(app.router.routes)]


def allowed_methods(request: Request) -> set[str]:
    """The methods of the routes (not the web page's mount) whose path matches the request's path."""
    methods: set[str] = set()
    for route in app_routes(request.app):
        if isinstance(route, Mount) or not getattr(route, "methods", None):
            continue
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(route.methods)
    return methods


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code if 400 <= exc.status_code < 600 else 400
    headers = dict(exc.headers or {})
    if status in (404, 405):
        # The web page is mounted at "/" and answers every path its own way; an API path is answered by the API's
        # routes: 405 with the methods they take in Allow, or 404 when no route has that path.
        methods = allowed_methods(request)
        if methods and request.method not in methods:
            status, headers["Allow"] = 405, ", ".join(sorted(methods))
        elif request.url.path.startswith("/v1/") and not methods:
            status = 404
            headers.pop("Allow", None)
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code == status else HTTPStatus(status).phrase
    if detail == HTTPStatus(status).phrase:
        detail = _DETAILS.get(status, detail)
    return problem(status, _STATUS_CODES.get(status, "http_error"), detail, headers)


def install(app: FastAPI) -> None:
    """Register the problem handlers (the last-resort handler is ``api.middleware.RequestContext``)."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(MatcherError, _matcher_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error statuses (``Problem`` is registered by ``api.app``)."""
    return {status: {"description": HTTPStatus(status).phrase,
                     "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for status in statuses}
