"""``POST /v1/checklist`` (open): the reverse flow. The person ticks the statements they can do; the occupations,
SBSh level, learning plan and career moves follow from the ticks alone (``Matcher.checklist``), with no CV.

It costs no encoder call (a few vector operations over the standard), so it is not charged to the client's budget
of characters; the list of ticks is bounded by the number of statements in the standard.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.errors import ApiError, problems
from api.inputs import body_kind, parse_json
from api.routes.deps import service
from api.routes.match import answer_spec
from api.schemas import ChecklistRequest
from api.service import Service
from matcher.engine import Matcher, MatchResult
from matcher.engine.views import MatchSummary, render
from matcher.errors import InputError

router = APIRouter(prefix="/v1", tags=["matching"])


def checklist_result(m: Matcher, req: ChecklistRequest) -> MatchResult:
    """``Matcher.checklist`` for a request (also for ``/v1/report``): its mistakes are 422 problems with the
    engine's codes (``empty``, ``unknown_statement``, ``unknown_occupation``), more ids than the standard has
    statements a 422 ``validation``. Runs in the worker (``svc.run_matching``)."""
    if len(req.statements) > len(m.rows):
        raise ApiError(422, "validation", f"At most {len(m.rows)} statements can be ticked (the statements of the "
                       f"standard); the request has {len(req.statements)}.")
    try:
        return m.checklist(req.statements, req.clause, req.top)
    except InputError as exc:  # the client's mistake, whatever the code
        raise ApiError(422, exc.code, exc.message) from None


def _spec() -> dict[str, Any]:
    """The JSON body, and the answer's three shapes as ``/v1/match`` lists them (all languages, one, summary)."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/ChecklistRequest"}}}}} | answer_spec()


@router.post("/checklist", response_model=MatchResult | MatchSummary,
             responses=problems(400, 408, 413, 415, 422, 429, 503), openapi_extra=_spec(),
             summary="Match from ticked statements (no CV): occupations, level, learning plan, career moves")
async def checklist(request: Request, svc: Annotated[Service, Depends(service)]) -> Response:
    """JSON `{"statements": [ids], "clause"?, "top"?, "lang"?, "detail"?}`: the same JSON as `/v1/match`, with
    `kind: "checklist"` and covered statements marked `source: "checklist"`. Unknown ids are a 422
    `unknown_statement`, an unknown `clause` a 422 `unknown_occupation`, no ticks a 422 `empty`."""
    m = svc.require_matcher()
    if body_kind(request) != "json":
        raise ApiError(415, "unsupported_media_type", "Send the ticked statements as JSON (Content-Type: "
                       "application/json): {\"statements\": [ids]}.")
    req = parse_json(await request.body(), ChecklistRequest)

    def run() -> tuple[int, str]:
        result = checklist_result(m, req)
        # no lang: all three languages; the summary without lang is in Kazakh (result.language of a checklist)
        return result.occupations[0].clause, render(result, req.lang, req.detail)

    request.state.occupation, body = await svc.run_matching(run)
    return Response(body, media_type="application/json")
