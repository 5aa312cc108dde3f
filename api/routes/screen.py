"""``POST /v1/screen``: rank CVs against one vacancy, for employment centres (needs the API key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.errors import problems
from api.inputs import read_screening, screen_answer
from api.routes.deps import body_spec, require_api_key, service
from api.schemas import ScreenRequest, ScreenResponse, ScreenUpload
from api.service import Service

router = APIRouter(prefix="/v1", tags=["screening"])

@router.post("/screen", response_model=ScreenResponse, dependencies=[Depends(require_api_key)],
             responses=problems(400, 401, 403, 408, 413, 415, 422, 429, 503),
             openapi_extra=body_spec(ScreenRequest, ScreenUpload),
             summary="Rank CVs against a vacancy, with reasons (X-API-Key)")
async def screen(request: Request, svc: Annotated[Service, Depends(service)]) -> Response:
    """JSON `{"vacancy": text, "cvs": [{"id"?, "text"}]}`, or a form with a `vacancy` part and one `cvs` part per
    CV (files or text; a file's name is its id). CVs that cannot be read are listed in `unreadable`."""
    m = svc.require_matcher()
    job = await read_screening(request, svc)
    request.state.occupation, body = await svc.run_matching(screen_answer, m, job)
    return Response(body, media_type="application/json")
