"""``/v1/screen/jobs``: screening jobs of up to ``MATCHER_MAX_JOB_CVS`` CVs, in the background (needs the API key).

``POST`` takes the same body as ``/v1/screen`` (JSON, or a form with a ``vacancy`` part and one ``cvs`` part per
CV), checks the vacancy's document and answers 202 with the job's status; ``GET .../{id}`` tells its progress;
``GET .../{id}/result`` gives the ranked rows as JSON, or ``?format=csv|xlsx`` as a file; ``DELETE`` forgets it.
"""

from __future__ import annotations

from typing import Annotated, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.errors import ApiError, matcher_problem, problems
from api.inputs import body_kind, clean_text, parse_json, read_screening_form
from api.jobs import CVInput, JobResult, JobStatus, JobStore, unique_ids
from api.routes.deps import body_spec, require_api_key, service
from api.schemas import ScreenRequest, ScreenUpload
from api.service import Service
from matcher.engine.screening import export_bytes
from matcher.errors import DocumentError

router = APIRouter(prefix="/v1/screen/jobs", tags=["screening"], dependencies=[Depends(require_api_key)])

_VACANCY = "The vacancy: "
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def jobs(request: Request) -> JobStore:
    return request.app.state.jobs


def _too_many(n: int, limit: int) -> ApiError:
    return ApiError(422, "too_many_cvs", f"{n} CVs were sent; a screening job takes at most {limit}.")


async def _read_job(request: Request, svc: Service) -> tuple[str, list[CVInput]]:
    """The vacancy's text (read now: a bad vacancy is a 4xx at once) and the CVs as sent (read in the job)."""
    limit = svc.settings.max_job_cvs
    body = await request.body()
    if body_kind(request) == "json":
        req = parse_json(body, ScreenRequest)
        if len(req.cvs) > limit:
            raise _too_many(len(req.cvs), limit)
        try:
            vacancy = clean_text(req.vacancy, svc)
        except DocumentError as exc:
            raise matcher_problem(exc, _VACANCY) from None
        ids = unique_ids([cv.id or f"cv-{n}" for n, cv in enumerate(req.cvs, start=1)])
        cvs = []
        for cv_id, cv in zip(ids, req.cvs, strict=True):
            try:
                cvs.append(CVInput(id=cv_id, text=clean_text(cv.text, svc)))
            except DocumentError as exc:
                cvs.append(CVInput(id=cv_id, error=exc))
        return vacancy, cvs
    vacancy, cv_parts = await read_screening_form(body, request.headers.get("content-type", ""), svc, limit,
                                                  _too_many)
    ids = unique_ids([(p.filename or "").strip()[:200] or f"cv-{n}" for n, p in enumerate(cv_parts, start=1)])
    return vacancy, [CVInput(id=i, data=p.data) for i, p in zip(ids, cv_parts, strict=True)]


@router.post("", status_code=202, response_model=JobStatus, responses=problems(400, 401, 403, 408, 413, 415, 422,
                                                                                   429, 503),
             openapi_extra=body_spec(ScreenRequest, ScreenUpload),
             summary="Start a screening job: one vacancy, up to MATCHER_MAX_JOB_CVS CVs (X-API-Key)")
async def create_job(request: Request, svc: Annotated[Service, Depends(service)],
                     store: Annotated[JobStore, Depends(jobs)]) -> Response:
    """The body of `/v1/screen`, with up to `MATCHER_MAX_JOB_CVS` CVs. Answers 202 with the job's status and its
    address in `Location`; poll it until `status` is `done`, then read `result`."""
    svc.require_matcher()
    vacancy, cvs = await _read_job(request, svc)
    job = store.submit(svc, vacancy, cvs)
    body = store.status(job).model_dump_json()
    return Response(body, status_code=202, media_type="application/json",
                    headers={"Location": f"/v1/screen/jobs/{job.id}"})


@router.get("/{job_id}", response_model=JobStatus, responses=problems(401, 403, 404),
            summary="A screening job's status and progress (X-API-Key)")
async def job_status(job_id: str, store: Annotated[JobStore, Depends(jobs)]) -> JobStatus:
    return store.status(store.get(job_id))


@router.get("/{job_id}/result", response_model=JobResult, responses={
    **problems(401, 403, 404, 409),
    200: {"content": {"application/json": {}, MEDIA["csv"]: {}, MEDIA["xlsx"]: {}},
          "description": "the ranked rows: JSON, or the CSV / XLSX export (the columns of `matcher screen`)"}},
            summary="A finished job's ranked rows: JSON, CSV or XLSX (X-API-Key)")
async def job_result(job_id: str, store: Annotated[JobStore, Depends(jobs)],
                     format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json") -> Response:
    result = store.result(store.get(job_id))
    if format == "json":
        return Response(result.model_dump_json(), media_type="application/json")
    data = await anyio.to_thread.run_sync(export_bytes, result.rows, format)
    return Response(data, media_type=MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="screening.{format}"'})


@router.delete("/{job_id}", status_code=204, responses=problems(401, 403, 404),
               summary="Delete a job and its result (X-API-Key)")
async def delete_job(job_id: str, store: Annotated[JobStore, Depends(jobs)]) -> Response:
    store.delete(job_id)
    return Response(status_code=204)
