"""A result in one language (``localise``) and the compact summary of it (``summarise``).

The full result (``MatchResult``) carries every text of the standard in Kazakh, Russian and English: a
``{kk, ru, en}`` object (``Text``) per name, statement, labour function, skill and reason. ``localise`` turns every
such object into the string of one language, wherever it sits in the result, so fields added to the result later
are localised too; ids, numbers and offsets are left as they are. ``summarise`` keeps what a page or a program
needs to show the match (ids, scores, levels and texts in one language) and drops the rest.

``render`` is the one place the API (``/v1/match``, ``/v1/checklist``) and the command line (``matcher match
--json``, ``matcher match-batch``) choose between the three: all languages (no ``lang``), one language
(``lang``), or the summary (``detail="summary"``; in the text's own language when no ``lang`` is given).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.engine.calibration import Band
from matcher.engine.results import MatchResult, ResultKind
from matcher.standard.schema import Lang

Detail = Literal["full", "summary"]

LANGS: tuple[Lang, ...] = ("kk", "ru", "en")
_TEXT_KEYS = frozenset(LANGS)


def _is_text(node: dict[str, Any]) -> bool:
    """A dumped ``Text``: exactly the keys kk, ru, en, each a string."""
    return node.keys() == _TEXT_KEYS and all(isinstance(v, str) for v in node.values())


def _pick(node: Any, lang: Lang) -> Any:
    if isinstance(node, dict):
        if _is_text(node):
            return node[lang] or node["kk"]  # as Text.get: Kazakh (the source) when a translation is missing
        return {key: _pick(value, lang) for key, value in node.items()}
    if isinstance(node, list):
        return [_pick(value, lang) for value in node]
    return node


def localise(result: BaseModel, lang: Lang) -> dict[str, Any]:
    """The result as JSON-ready data with every ``{kk, ru, en}`` text replaced by its string in ``lang`` (Kazakh
    where that translation is empty). Works on any result model (``MatchResult``, a screening result ...)."""
    return _pick(result.model_dump(mode="json"), lang)


# --- the compact summary -------------------------------------------------------------------------------------
# Every card keeps its complete covered and missing lists (ids and texts: a program may compare them with the full
# result); what goes is everything else: the other two languages, labour function and skill titles, scores and
# probabilities of single statements, the plan beyond its first PLAN_ITEMS (best card only), the statements of
# the career moves' gaps (their counts stay), and repeated quotes: a covered statement shown by a sentence that an
# earlier one of the answer already quotes (the same start and end) has an empty ``evidence``.

PLAN_ITEMS = 8  # learning plan items of the best card (the page shows the top 5-8)


class _Brief(BaseModel):
    model_config = ConfigDict(extra="ignore")


class BriefCovered(_Brief):
    id: str
    text: str
    evidence: str = Field(description="the sentence of the text that shows it; empty when an earlier covered "
                          "statement of this answer quotes the same sentence (same start and end), or when the "
                          "person ticked it (checklist)")
    start: int = Field(description="character offset of the evidence in the submitted text (0 for a tick)")
    end: int = Field(description="character offset just after it (0 for a tick)")
    source: Literal["text", "checklist", "inferred"] = Field("text", description="as in the full result: "
                                                             "'inferred' has no quote (no sentence shows it)")


class BriefStatement(_Brief):
    id: str
    text: str


class BriefPlanItem(_Brief):
    id: str
    text: str
    why: str = Field(description="which labour function it serves, and whether it is a skill or knowledge")


class BriefGap(_Brief):
    covered: int
    total: int
    missing: int
    coverage: float


class BriefMove(_Brief):
    kind: Literal["up", "lateral", "feeder"]
    clause: int
    name: str
    gap: BriefGap


class BriefRelated(_Brief):
    clause: int | None = None
    name: str
    sbsh_levels: list[int]


class BriefOccupation(_Brief):
    clause: int
    code: str
    name: str
    score: float
    probability: float
    sbsh_level: int
    sbsh_levels: list[int]
    in_scope: bool
    band: Band
    coverage: float
    covered_count: int = Field(description="how many statements of the card the text shows")
    missing_count: int = Field(description="how many it does not show")
    covered: list[BriefCovered] = Field(description="every statement of the card the text shows")
    missing: list[BriefStatement] = Field(description="every statement of the card it does not show")
    learning_plan: list[BriefPlanItem] = Field(default_factory=list, description=f"the first {PLAN_ITEMS} items "
                                               "of the plan, for the best card only")
    career_moves: list[BriefMove] = Field(default_factory=list)
    beyond_standard: list[BriefRelated] = Field(default_factory=list, description="occupations outside this "
                                                "standard that the card links onward to")


class MatchSummary(_Brief):
    """``detail=summary``: a result's ids, scores and levels, with its texts in one language."""

    detail: Literal["summary"] = "summary"
    lang: Lang = Field(description="the language of every text in this answer")
    kind: ResultKind
    language: Lang = Field(description="the language the submitted text is written in")
    in_scope: bool
    band: Band
    calibration: str | None
    occupations: list[BriefOccupation]


def _brief(occ: dict[str, Any], best: bool, quoted: set[tuple[int, int]]) -> dict[str, Any]:
    covered, missing, plan = occ["covered"], occ["missing"], occ.get("learning_plan", [])
    plan = plan[:PLAN_ITEMS] if best else []
    brief = []
    for c in covered:
        span = (c["start"], c["end"])
        brief.append({**c, "evidence": ""} if span in quoted else c)
        if c["evidence"]:
            quoted.add(span)
    return {**occ, "covered": brief, "missing": missing, "learning_plan": plan,
            "covered_count": len(occ["covered"]), "missing_count": len(occ["missing"])}


def summarise(result: MatchResult, lang: Lang | None = None) -> MatchSummary:
    """The compact summary of ``result`` in ``lang`` (default: the language of the submitted text)."""
    lang = lang or result.language
    data = localise(result, lang)
    quoted: set[tuple[int, int]] = set()
    data["occupations"] = [_brief(occ, n == 0, quoted) for n, occ in enumerate(data["occupations"])]
    return MatchSummary.model_validate({**data, "lang": lang})


def view(result: MatchResult, lang: Lang | None = None, detail: Detail = "full") -> dict[str, Any]:
    """The result as JSON-ready data: all three languages (no ``lang``, full), one language, or the summary."""
    if detail == "summary":
        return summarise(result, lang).model_dump(mode="json")
    return localise(result, lang) if lang else result.model_dump(mode="json")


def render(result: MatchResult, lang: Lang | None = None, detail: Detail = "full") -> str:
    """``view`` as compact JSON text (what ``/v1/match`` answers and ``matcher match --json`` prints)."""
    if detail == "summary":
        return summarise(result, lang).model_dump_json()
    if not lang:
        return result.model_dump_json()
    return json.dumps(localise(result, lang), ensure_ascii=False, separators=(",", ":"))
