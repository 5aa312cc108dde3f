"""``POST /v1/screen``: rank CVs against one vacancy, for employment centres (needs the API key); and the other way
round, ``POST /v1/rank-vacancies``: rank vacancies for one CV, for job seekers (open, with the open limits).

Both call the engine's one screening core (``matcher.engine.screening``): the same fit and reasons as
``matcher screen`` and ``matcher rank-vacancies``. Larger pools go to the screening jobs (``api.routes.jobs``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.errors import ApiError, matcher_problem, problems
from api.inputs import body_kind, clean_text, parse_json, parse_multipart, part_text, read_screening, screen_answer
from api.jobs import unique_ids
from api.routes.deps import body_spec, require_api_key, service
from api.routes.match import check_cost
from api.schemas import RankVacanciesRequest, RankVacanciesUpload, ScreenRequest, ScreenResponse, ScreenUpload
from api.service import Service
from matcher.engine.screening import VacancyRanking, rank_vacancies
from matcher.errors import DocumentError, InputError

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


_CV = "The CV: "


async def _read_ranking(request: Request, svc: Service) -> tuple[str, list[tuple[str, str]]]:
    limit = svc.settings.max_rank_vacancies
    body = await request.body()
    if body_kind(request) == "json":
        req = parse_json(body, RankVacanciesRequest)
        if len(req.vacancies) > limit:
            raise ApiError(422, "too_many_vacancies", f"{len(req.vacancies)} vacancies were sent; at most {limit} "
                           "can be ranked at once.")
        try:
            cv = clean_text(req.cv, svc)
        except DocumentError as exc:
            raise matcher_problem(exc, _CV) from None
        ids = unique_ids([v.id or f"vacancy-{n}" for n, v in enumerate(req.vacancies, start=1)])
        vacancies = []
        for n, (vac_id, v) in enumerate(zip(ids, req.vacancies, strict=True), start=1):
            try:
                vacancies.append((vac_id, clean_text(v.text, svc)))
            except DocumentError as exc:  # by position: an id can carry anything
                raise matcher_problem(exc, f"Vacancy {n}: ") from None
        return cv, vacancies
    parts = parse_multipart(body, request.headers.get("content-type", ""), max_parts=limit + 8)
    cv_part = next((p for p in parts if p.name == "cv"), None)
    vac_parts = [p for p in parts if p.name == "vacancies"]
    if cv_part is None or not vac_parts:
        raise ApiError(422, "validation", "The form needs a 'cv' part and at least one 'vacancies' part.")
    if len(vac_parts) > limit:
        raise ApiError(422, "too_many_vacancies", f"{len(vac_parts)} vacancies were sent; at most {limit} can be "
                       "ranked at once.")
    try:
        cv = (await part_text(cv_part, svc)).text
    except DocumentError as exc:
        raise matcher_problem(exc, _CV) from None
    ids = unique_ids([(p.filename or "").strip()[:200] or f"vacancy-{n}" for n, p in enumerate(vac_parts, start=1)])
    vacancies = []
    for n, (vac_id, part) in enumerate(zip(ids, vac_parts, strict=True), start=1):
        try:
            vacancies.append((vac_id, (await part_text(part, svc)).text))
        except DocumentError as exc:
            raise matcher_problem(exc, f"Vacancy {n}: ") from None
    return cv, vacancies


@router.post("/rank-vacancies", response_model=VacancyRanking,
             responses=problems(400, 408, 413, 415, 422, 429, 503),
             openapi_extra=body_spec(RankVacanciesRequest, RankVacanciesUpload),
             summary="Rank vacancies for one CV, with the screening's fit and reasons")
async def rank_vacancies_route(request: Request, svc: Annotated[Service, Depends(service)]) -> Response:
    """JSON `{"cv": text, "vacancies": [{"id"?, "text"}]}`, or a form with a `cv` part and one `vacancies` part per
    vacancy. Open, so each text has the open endpoints' limits, and all of them count against the client's budget.
    """
    m = svc.require_matcher()
    cv, vacancies = await _read_ranking(request, svc)
    for text in [cv] + [t for _, t in vacancies]:
        await check_cost(request, svc, m, text)

    def run() -> str:
        try:
            return rank_vacancies(m, cv, vacancies).model_dump_json()
        except InputError as exc:
            raise matcher_problem(exc, _CV) from None

    return Response(await svc.run_matching(run), media_type="application/json")
