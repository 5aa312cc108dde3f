"""``POST /v1/match`` (job seekers, open) and ``POST /v1/vacancies/analyse``: JSON text or an uploaded file.

Both are open (no key), so each request's cost is bounded before the encoder sees it: at most
``open_max_chars`` characters and ``open_max_segments`` segments (413), charged to the client's budget of
characters a minute (429 ``rate_limited``; ``api.limits``).

``/v1/match`` answers in all three languages by default (every text a ``{kk, ru, en}`` object), in one language
with ``lang`` (every text a string), or as the compact summary with ``detail=summary``
(``matcher.engine.views``); its OpenAPI answer schema lists the three shapes.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.errors import ApiError, problems
from api.inputs import body_kind, clean_text, options, parse_json, parse_multipart, part_text, validate
from api.middleware import client_of
from api.routes.deps import body_spec, service
from api.schemas import MatchOptions, MatchRequest, MatchUpload, VacancyOptions, VacancyRequest, VacancyUpload
from api.service import Service
from matcher.engine import Matcher, MatchResult, vacancy
from matcher.engine.vacancy import VacancyAnalysis
from matcher.engine.views import MatchSummary, render

router = APIRouter(prefix="/v1", tags=["matching"])

Opts = TypeVar("Opts", MatchOptions, VacancyOptions)

_ERRORS = problems(400, 408, 413, 415, 422, 429, 503)


async def check_cost(request: Request, svc: Service, m: Matcher, text: str) -> None:
    """The limits of one open request: characters, then segments (what the encoder would read), then the
    client's budget, which is charged with the characters of those segments."""
    s = svc.settings
    if len(text) > s.open_max_chars:
        raise ApiError(413, "too_long", f"The text has {len(text):,} characters; this service matches at most "
                       f"{s.open_max_chars:,} at a time. A CV rarely needs more than a few thousand: please send "
                       "a shorter one.")
    segments, _ = await anyio.to_thread.run_sync(m.segments, text)
    if len(segments) > s.open_max_segments:
        raise ApiError(413, "too_many_segments", f"The text has {len(segments):,} or more sentences and lines; this "
                       f"service matches at most {s.open_max_segments:,} at a time. Please send a shorter text.")
    svc.clients.charge(client_of(request.scope), sum(len(seg.text) for seg in segments))


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


def _is_text_schema(schema: dict[str, Any]) -> bool:
    return set(schema.get("properties", {})) == {"kk", "ru", "en"}


def one_language_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of ``views.localise(model, lang)``: the model's schema inlined, with every ``{kk, ru, en}``
    text object (``Text``) a string."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                target = defs[ref.removeprefix("#/$defs/")]
                rest = {k: inline(v) for k, v in node.items() if k != "$ref"}
                return {**rest, "type": "string"} if _is_text_schema(target) else {**inline(target), **rest}
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    out = inline(schema)
    out["title"] = f"{model.__name__} in one language"
    return out


@lru_cache(maxsize=1)
def _match_answers() -> dict[str, Any]:
    """The answer of /v1/match in one language (``lang``): listed beside MatchResult and MatchSummary."""
    return {"responses": {"200": {"description": "all three languages (no lang); one language (lang); or the "
                                  "summary (detail=summary)", "content": {"application/json": {"schema": {
                                      "anyOf": [one_language_schema(MatchResult)]}}}}}}


def answer_spec() -> dict[str, Any]:
    """The ``openapi_extra`` part of an endpoint that answers as /v1/match does (``render``: all languages, one
    language or the summary); with ``response_model=MatchResult | MatchSummary`` the answer lists all three shapes
    (``/v1/checklist`` can use it too)."""
    return copy.deepcopy(_match_answers())


def _match_spec() -> dict[str, Any]:
    return copy.deepcopy(body_spec(MatchRequest, MatchUpload)) | answer_spec()


@router.post("/match", response_model=MatchResult | MatchSummary, responses=_ERRORS, openapi_extra=_match_spec(),
             summary="Match a CV or vacancy: occupations, SBSh level, covered and missing statements, learning "
                     "plan, career moves")
async def match(request: Request, svc: Annotated[Service, Depends(service)]) -> Response:
    """The same result as `matcher match --json`. Send JSON `{"text", "kind"?, "lang"?, "top"?, "detail"?}`, or a
    form with a `file` (.txt, .pdf or .docx, recognised by content) and optional `kind`, `top`, `lang`, `detail`
    fields. Without `lang` every text is a `{kk, ru, en}` object; with `lang` it is a string in that language;
    `detail=summary` gives the compact summary (in `lang`, default the text's language)."""
    m = svc.require_matcher()
    text, opts = await read_text(request, svc, MatchRequest, MatchOptions)
    await check_cost(request, svc, m, text)

    def run() -> tuple[int, str]:  # serialised in the worker thread too: the answer can be a few hundred KB
        result = m.match(text, opts.kind, opts.top)
        return result.occupations[0].clause, render(result, opts.lang, opts.detail)

    request.state.occupation, body = await svc.run_matching(run)
    return Response(body, media_type="application/json")


@router.post("/vacancies/analyse", response_model=VacancyAnalysis, responses=_ERRORS,
             openapi_extra=body_spec(VacancyRequest, VacancyUpload),
             summary="A vacancy's occupation, SBSh level and required statements")
async def analyse_vacancy(request: Request, svc: Annotated[Service, Depends(service)]) -> Response:
    """Send JSON `{"text", "lang"?}` or a form with a `file`."""
    m = svc.require_matcher()
    text, _ = await read_text(request, svc, VacancyRequest, VacancyOptions)
    await check_cost(request, svc, m, text)

    def run() -> tuple[int, str]:
        analysis = vacancy.analyse(m, text)
        return analysis.occupation.clause, analysis.model_dump_json()

    request.state.occupation, body = await svc.run_matching(run)
    return Response(body, media_type="application/json")
