"""``/healthz`` (the process answers) and ``/readyz`` (the index is loaded: 200, else 503)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.routes.deps import service
from api.schemas import Health, Readiness
from api.service import Service

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up (always 200)")
async def healthz() -> Health:
    return Health()


@router.get("/readyz", response_model=Readiness, summary="The index is loaded: 200 when ready, 503 until then",
            responses={503: {"model": Readiness, "description": "still loading, or loading failed"}})
async def readyz(svc: Annotated[Service, Depends(service)]) -> JSONResponse:
    m = svc.matcher
    body = Readiness(ready=m is not None, status=svc.status,  # type: ignore[arg-type]
                     encoder=m.encoder.id if m else None, index_entries=m.index_size if m else None)
    return JSONResponse(body.model_dump(), status_code=200 if m is not None else 503)
