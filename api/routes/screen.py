"""``POST /v1/screen``: rank CVs against one vacancy, for employment centres (needs the API key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.errors import ApiError, document_problem, input_problem, problems
from api.inputs import body_kind, clean_text, parse_json, parse_multipart, part_text
from api.routes.deps import body_spec, require_api_key, service
from api.schemas import ScreenRequest, ScreenResponse, ScreenUpload, UnreadableCV
from api.service import Service
from matcher.documents import DocumentError
from matcher.match import InputError

router = APIRouter(prefix="/v1", tags=["screening"])

_VACANCY = "The vacancy: "


def _too_many(n: int, limit: int) -> ApiError:
    return ApiError(422, "too_many_cvs", f"{n} CVs were sent; at most {limit} can be screened at once.")


@router.post("/screen", response_model=ScreenResponse, dependencies=[Depends(require_api_key)],
             responses=problems(400, 401, 403, 413, 415, 422, 429, 503),
             openapi_extra=body_spec(ScreenRequest, ScreenUpload),
             summary="Rank CVs against a vacancy, with reasons (X-API-Key)")
async def screen(request: Request, svc: Annotated[Service, Depends(service)]) -> Response:
    """JSON `{"vacancy": text, "cvs": [{"id"?, "text"}]}`, or a form with a `vacancy` part and one `cvs` part per
    CV (files or text; a file's name is its id). CVs that cannot be read are listed in `unreadable`."""
    m = svc.require_matcher()
    limit = svc.settings.max_screen_cvs
    body = await request.body()
    cvs: list[tuple[str, str]] = []
    unreadable: list[UnreadableCV] = []
    if body_kind(request) == "json":
        req = parse_json(body, ScreenRequest)
        if len(req.cvs) > limit:
            raise _too_many(len(req.cvs), limit)
        try:
            vacancy = clean_text(req.vacancy, svc)
        except DocumentError as exc:
            raise document_problem(exc, _VACANCY) from None
        for n, cv in enumerate(req.cvs, start=1):
            cv_id = cv.id or f"cv-{n}"
            try:
                cvs.append((cv_id, clean_text(cv.text, svc)))
            except DocumentError as exc:
                unreadable.append(UnreadableCV(id=cv_id, code=exc.code, detail=exc.message))
    else:
        parts = parse_multipart(body, request.headers.get("content-type", ""), max_parts=limit + 8)
        vacancy_part = next((p for p in parts if p.name == "vacancy"), None)
        cv_parts = [p for p in parts if p.name == "cvs"]
        if vacancy_part is None or not cv_parts:
            raise ApiError(422, "validation", "The form needs a 'vacancy' part and at least one 'cvs' part.")
        if len(cv_parts) > limit:
            raise _too_many(len(cv_parts), limit)
        try:
            vacancy = (await part_text(vacancy_part, svc)).text
        except DocumentError as exc:
            raise document_problem(exc, _VACANCY) from None
        for n, part in enumerate(cv_parts, start=1):
            cv_id = (part.filename or "").strip()[:200] or f"cv-{n}"
            try:
                cvs.append((cv_id, (await part_text(part, svc)).text))
            except DocumentError as exc:
                unreadable.append(UnreadableCV(id=cv_id, code=exc.code, detail=exc.message))
    if not cvs:
        reasons = "; ".join(f"{u.id}: {u.detail}" for u in unreadable[:3])
        raise ApiError(422, "no_readable_cvs", f"None of the CVs could be read. {reasons}")

    def run() -> tuple[int, str]:
        result = m.screen(vacancy, cvs)
        answer = ScreenResponse(vacancy=result.vacancy, required=result.required, cvs=result.cvs,
                                unreadable=unreadable)
        return result.vacancy.clause, answer.model_dump_json()

    try:
        request.state.occupation, body = await svc.run_matching(run)
    except InputError as exc:
        raise input_problem(exc, _VACANCY) from None
    return Response(body, media_type="application/json")
