"""``POST /v1/match`` (job seekers, open) and ``POST /v1/vacancies/analyse``: JSON text or an uploaded file."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.errors import ApiError, problems
from api.inputs import body_kind, clean_text, options, parse_json, parse_multipart, part_text, validate
from api.routes.deps import body_spec, service
from api.schemas import MatchOptions, MatchRequest, MatchUpload, VacancyOptions, VacancyRequest, VacancyUpload
from api.service import Service
from matcher.engine import MatchResult, vacancy
from matcher.engine.vacancy import VacancyAnalysis

router = APIRouter(prefix="/v1", tags=["matching"])

Opts = TypeVar("Opts", MatchOptions, VacancyOptions)

_ERRORS = problems(400, 413, 415, 422, 429, 503)


async def read_text(request: Request, svc: Service, json_model: type[MatchRequest | VacancyRequest],
                    options_model: type[Opts]) -> tuple[str, Opts]:
    """The text to match (typed, or read from the uploaded ``file``) and the request's options, which are
    checked before the file is read."""
    body = await request.body()
    if body_kind(request) == "json":
        req = parse_json(body, json_model)
        return clean_text(req.text, svc), options_model.model_validate(req.model_dump(exclude={"text"}))
    parts = parse_multipart(body, request.headers.get("content-type", ""), max_parts=8)
    opts = validate(options_model, options(parts, tuple(options_model.model_fields)))
    upload = next((p for p in parts if p.name == "file"), None)
    if upload is None:
        raise ApiError(422, "validation", "The form needs a 'file' part with the CV or vacancy.")
    return (await part_text(upload, svc)).text, opts


@router.post("/match", response_model=MatchResult, responses=_ERRORS,
             openapi_extra=body_spec(MatchRequest, MatchUpload),
             summary="Match a CV or vacancy: occupations, SBSh level, covered and missing statements")
async def match(request: Request, svc: Annotated[Service, Depends(service)]) -> Response:
    """The same result as `matcher match --json`. Send JSON `{"text", "kind"?, "lang"?, "top"?}`, or a form with
    a `file` (.txt, .pdf or .docx, recognised by content) and optional `kind`, `top`, `lang` fields."""
    m = svc.require_matcher()
    text, opts = await read_text(request, svc, MatchRequest, MatchOptions)

    def run() -> tuple[int, str]:  # serialised in the worker thread too: the answer can be a few hundred KB
        result = m.match(text, opts.kind, opts.top)
        return result.occupations[0].clause, result.model_dump_json()

    request.state.occupation, body = await svc.run_matching(run)
    return Response(body, media_type="application/json")


@router.post("/vacancies/analyse", response_model=VacancyAnalysis, responses=_ERRORS,
             openapi_extra=body_spec(VacancyRequest, VacancyUpload),
             summary="A vacancy's occupation, SBSh level and required statements")
async def analyse_vacancy(request: Request, svc: Annotated[Service, Depends(service)]) -> Response:
    """Send JSON `{"text", "lang"?}` or a form with a `file`."""
    m = svc.require_matcher()
    text, _ = await read_text(request, svc, VacancyRequest, VacancyOptions)

    def run() -> tuple[int, str]:
        analysis = vacancy.analyse(m, text)
        return analysis.occupation.clause, analysis.model_dump_json()

    request.state.occupation, body = await svc.run_matching(run)
    return Response(body, media_type="application/json")
