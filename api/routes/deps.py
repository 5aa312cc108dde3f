"""Shared pieces of the routers: the service, the API key check, the OpenAPI request-body declaration."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

from api.auth import API_KEY_HEADER, check_key
from api.service import Service

_api_key = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                        description="the employment centre's key (MATCHER_API_KEY)")


def service(request: Request) -> Service:
    return request.app.state.service


def require_api_key(request: Request, key: Annotated[str | None, Security(_api_key)] = None) -> None:
    """``X-API-Key`` must equal ``MATCHER_API_KEY`` (``api.auth.check_key``; the middleware has already checked
    it before reading the body). Every route that depends on this is keyed: see ``api.app.keyed_routes``."""
    check_key(service(request).settings.api_key, key)


def body_spec(json_model: type[BaseModel], form_model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for an endpoint that takes JSON or multipart/form-data (both read in the handler)."""
    def ref(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": ref(json_model)},
        "multipart/form-data": {"schema": ref(form_model)},
    }}}
