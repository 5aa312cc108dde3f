"""Shared pieces of the routers: the service, the API key check, the OpenAPI request-body declaration."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

from api.errors import ApiError
from api.service import Service

API_KEY_HEADER = "X-API-Key"

_api_key = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                        description="the employment centre's key (MATCHER_API_KEY)")


def service(request: Request) -> Service:
    return request.app.state.service


def require_api_key(request: Request, key: Annotated[str | None, Security(_api_key)] = None) -> None:
    """``X-API-Key`` must equal ``MATCHER_API_KEY`` (compared in constant time); with no key configured the
    endpoint is switched off (403), so it is never open by mistake."""
    configured = service(request).settings.api_key
    secret = configured.get_secret_value() if configured is not None else ""
    if not secret:
        raise ApiError(403, "screen_disabled", "Screening is switched off on this server: the operator has not set "
                       "an API key (MATCHER_API_KEY).")
    if key is None or not hmac.compare_digest(key.encode("utf-8"), secret.encode("utf-8")):
        raise ApiError(401, "unauthorized", f"A valid API key is required in the {API_KEY_HEADER} header.",
                       {"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'})


def body_spec(json_model: type[BaseModel], form_model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for an endpoint that takes JSON or multipart/form-data (both read in the handler)."""
    def ref(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": ref(json_model)},
        "multipart/form-data": {"schema": ref(form_model)},
    }}}
