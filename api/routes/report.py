"""``POST /v1/report`` (open): the printable report of a match, as a PDF in one language (``api.report``).

It takes what ``/v1/match`` takes (JSON ``{"text", ...}`` or a form with a ``file``), with the same limits, or what
``/v1/checklist`` takes (JSON ``{"statements": [ids], "clause"?}``). The matching runs in the encoder queue like any
match; the PDF is drawn afterwards in a worker thread, outside the queue. Nothing is kept: the PDF is made in memory
and sent with ``Cache-Control: no-store`` (set for every API answer).
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api import report
from api.errors import ApiError, problems
from api.inputs import body_kind, clean_text, parse_json
from api.routes.checklist import checklist_result
from api.routes.deps import body_spec, service
from api.routes.match import check_cost, read_text
from api.schemas import ChecklistRequest, MatchOptions, MatchRequest, MatchUpload, ReportRequest
from api.service import Service
from matcher.engine import MatchResult
from matcher.standard.schema import Lang

router = APIRouter(prefix="/v1", tags=["matching"])

PDF = "application/pdf"

_ANSWER = {"requestBody": body_spec(ReportRequest, MatchUpload)["requestBody"],
           "responses": {"200": {"description": "the report (a PDF in lang)",
                                 "content": {PDF: {"schema": {"type": "string", "format": "binary"}}}}}}


def _unavailable(exc: report.ReportUnavailable) -> ApiError:
    return ApiError(503, exc.code, str(exc))


@router.post("/report", response_class=Response, responses=problems(400, 408, 413, 415, 422, 429, 503),
             openapi_extra=_ANSWER,
             summary="A printable PDF report of a match (CV, vacancy or ticked statements) in one language")
async def make_report(request: Request, svc: Annotated[Service, Depends(service)]) -> Response:
    """Send the body of `/v1/match` (JSON `{"text", "kind"?, "lang"?, "top"?}` or a form with a `file`), or that
    of `/v1/checklist` (JSON `{"statements": [ids], "clause"?, "lang"?, "top"?}`). The answer is an
    `application/pdf` in `lang` (default: the text's language): the closest card, the SBSh level and its reasons,
    the statements the text shows with the sentence that shows each, the learning plan and the career moves. A text
    outside the standard gets a report that says so. 503 `report_unavailable` when the server has no Unicode
    font."""
    m = svc.require_matcher()
    try:
        report.require_font()
    except report.ReportUnavailable as exc:
        raise _unavailable(exc) from None

    lang: Lang | None
    if body_kind(request) == "json":
        req = parse_json(await request.body(), ReportRequest)
        lang, top = req.lang, req.top
        if req.statements is not None:
            ticks = ChecklistRequest(statements=req.statements, clause=req.clause, top=req.top)

            def run() -> MatchResult:
                return checklist_result(m, ticks)  # its mistakes are 422 problems, as on /v1/checklist
        else:
            text, kind = clean_text(req.text or "", svc), req.kind
            await check_cost(request, svc, m, text)

            def run() -> MatchResult:
                return m.match(text, kind, top)
    else:
        text, opts = await read_text(request, svc, MatchRequest, MatchOptions)
        lang = opts.lang
        await check_cost(request, svc, m, text)

        def run() -> MatchResult:
            return m.match(text, opts.kind, opts.top)

    result = await svc.run_matching(run)
    request.state.occupation = result.occupations[0].clause
    lang = lang or result.language
    try:
        pdf = await anyio.to_thread.run_sync(report.render, result, lang)
    except report.ReportUnavailable as exc:
        raise _unavailable(exc) from None
    name = f"report-{result.occupations[0].clause if result.in_scope else 'out-of-scope'}-{lang}.pdf"
    return Response(pdf, media_type=PDF, headers={"Content-Disposition": f'attachment; filename="{name}"'})
