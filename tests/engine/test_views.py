"""``matcher.engine.views``: a result in one language (``localise``), the compact summary (``summarise``) and the
choice between them (``view``, ``render``), on the real standard with the deterministic hashing encoder.

The CV texts are built from the standard's own statements (so the hashing encoder covers some of them) plus a
line of experience; what is asserted is the shape and the language of the answer, never a quality judgement.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import KK_CV
from pydantic import BaseModel

from matcher.engine import Matcher, MatchResult
from matcher.engine.views import PLAN_ITEMS, MatchSummary, localise, render, summarise, view
from matcher.standard.schema import Text

KAZAKH_ONLY = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def statements_cv(m: Matcher, clause: str, lang: str, n: int = 12) -> str:
    occ = m.std.occupation(clause)
    sts = [st for lf in occ.labour_functions for sk in lf.skills for _, st in sk.statements()]
    head = {"ru": "Социальный работник, опыт работы 5 лет.", "kk": "Әлеуметтік қызметкер, 5 жыл жұмыс тәжірибесі.",
            "en": "Social worker, 5 years of experience."}[lang]
    return head + "\n" + "\n".join(st.text.get(lang) for st in sts[:n])  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def result(hash_matcher: Matcher) -> MatchResult:
    res = hash_matcher.match(statements_cv(hash_matcher, "13", "ru"), "cv", 3)
    assert res.in_scope and res.occupations[0].covered, "the fixture must cover some statements"
    return res


def texts_left(node: Any) -> list[Any]:
    """Every {kk, ru, en} object still in a dumped result."""
    if isinstance(node, dict):
        if set(node) == {"kk", "ru", "en"}:
            return [node]
        return [t for v in node.values() for t in texts_left(v)]
    if isinstance(node, list):
        return [t for v in node for t in texts_left(v)]
    return []


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_localise_turns_every_text_into_one_language_and_keeps_the_rest(result: MatchResult, lang: str) -> None:
    full = result.model_dump(mode="json")
    assert texts_left(full)  # the full result has them ...
    data = localise(result, lang)  # type: ignore[arg-type]
    assert texts_left(data) == []  # ... the localised one has none left
    for occ, src in zip(data["occupations"], result.occupations, strict=True):
        assert occ["name"] == src.name.get(lang)  # type: ignore[arg-type]
        assert (occ["clause"], occ["score"], occ["sbsh_level"]) == (src.clause, src.score, src.sbsh_level)
        assert [(c["id"], c["start"], c["end"], c["evidence"]) for c in occ["covered"]] == [
            (c.id, c.start, c.end, c.evidence) for c in src.covered]
        assert [c["text"] for c in occ["covered"]] == [c.text.get(lang) for c in src.covered]  # type: ignore
        assert [m["labour_function"]["title"] for m in occ["missing"]] == [
            m.labour_function.title.get(lang) for m in src.missing]  # type: ignore[arg-type]
        assert [p["why"] for p in occ["learning_plan"]] == [p.why.get(lang) for p in src.learning_plan]  # type: ignore
        assert [mv["name"] for mv in occ["career_moves"]] == [mv.name.get(lang) for mv in src.career_moves]  # type: ignore
    assert data["languages"] == result.languages and data["level_evidence"] == full["level_evidence"]
    if lang != "kk":  # names and statements in Russian or English carry no Kazakh-only letter
        names = [o["name"] for o in data["occupations"]] + [c["text"] for o in data["occupations"]
                                                           for c in o["covered"] + o["missing"]]
        assert not KAZAKH_ONLY & set("".join(names))


def test_localise_is_generic_and_falls_back_to_kazakh() -> None:
    class Later(BaseModel):  # a field added to a result later, nested in lists and dicts
        note: Text
        items: list[dict[str, Text | int]]
        counts: dict[str, int]

    later = Later(note=Text(kk="қазақша", ru="", en="English"), items=[{"t": Text(kk="а", ru="б", en="в"), "n": 1}],
                  counts={"kk": 1, "ru": 2, "en": 3})  # language counts are numbers, not a text
    assert localise(later, "ru") == {"note": "қазақша", "items": [{"t": "б", "n": 1}],
                                     "counts": {"kk": 1, "ru": 2, "en": 3}}
    assert localise(later, "en")["note"] == "English"


def test_summary_keeps_every_cards_statements_and_the_best_cards_plan(result: MatchResult) -> None:
    s = summarise(result, "ru")
    assert isinstance(s, MatchSummary) and s.lang == "ru" and s.detail == "summary"
    assert (s.kind, s.language, s.in_scope, s.band, s.calibration) == (
        result.kind, result.language, result.in_scope, result.band, result.calibration)
    best, src = s.occupations[0], result.occupations[0]
    assert [c.id for c in best.covered] == [c.id for c in src.covered]  # every covered and missing statement
    assert [m.id for m in best.missing] == [m.id for m in src.missing]
    assert [m.text for m in best.missing] == [m.text.get("ru") for m in src.missing]
    assert [p.id for p in best.learning_plan] == [p.id for p in src.learning_plan[:PLAN_ITEMS]]
    assert [p.why for p in best.learning_plan] == [p.why.get("ru") for p in src.learning_plan[:PLAN_ITEMS]]
    assert [(mv.kind, mv.clause, mv.name, mv.gap.covered, mv.gap.total) for mv in best.career_moves] == [
        (mv.kind, mv.clause, mv.name.get("ru"), mv.gap.covered, mv.gap.total) for mv in src.career_moves]
    for brief, full in zip(s.occupations, result.occupations, strict=True):
        assert (brief.clause, brief.code, brief.name, brief.score, brief.sbsh_level, brief.in_scope) == (
            full.clause, full.code, full.name.get("ru"), full.score, full.sbsh_level, full.in_scope)
        assert (brief.covered_count, brief.missing_count) == (len(full.covered), len(full.missing))
        assert [(c.id, c.text, c.start, c.end) for c in brief.covered] == [
            (c.id, c.text.get("ru"), c.start, c.end) for c in full.covered]  # complete lists on every card
        assert [(m.id, m.text) for m in brief.missing] == [(m.id, m.text.get("ru")) for m in full.missing]
    assert all(brief.learning_plan == [] for brief in s.occupations[1:])


def test_summary_quotes_each_sentence_once(result: MatchResult) -> None:
    s = summarise(result, "kk")
    seen: set[tuple[int, int]] = set()
    full_quotes = {(c.start, c.end): c.evidence for o in result.occupations for c in o.covered}
    for occ in s.occupations:
        for c in occ.covered:
            span = (c.start, c.end)
            assert c.evidence == ("" if span in seen else full_quotes[span])
            seen.add(span)
    assert sum(1 for o in s.occupations for c in o.covered if c.evidence) == len(seen)


def test_summary_defaults_to_the_texts_language_and_is_small(hash_matcher: Matcher) -> None:
    res = hash_matcher.match(KK_CV, "cv", 3)
    assert res.language == "kk"
    s = summarise(res)
    assert s.lang == "kk" and s.occupations[0].name == res.occupations[0].name.kk
    summary, full = render(res, None, "summary").encode(), render(res).encode()
    one_language = render(res, "kk").encode()
    assert 3 * len(summary) < len(one_language) < len(full)  # the real sizes: bench/bench_sizes.py


def test_render_and_view_choose_the_shape(result: MatchResult) -> None:
    assert render(result) == result.model_dump_json()  # no lang: all three languages, as before
    assert view(result) == result.model_dump(mode="json")
    assert json.loads(render(result, "en")) == localise(result, "en") == view(result, "en")
    assert json.loads(render(result, "en", "summary")) == view(result, "en", "summary")
    assert MatchSummary.model_validate_json(render(result, None, "summary")).lang == result.language


def test_a_checklist_result_summarises_with_its_ticks(hash_matcher: Matcher) -> None:
    occ = hash_matcher.std.occupation("13")
    ticks = [st.id for lf in occ.labour_functions[:1] for sk in lf.skills for _, st in sk.statements()][:6]
    res = hash_matcher.checklist(ticks, 13, 3)
    s = summarise(res, "en")
    assert s.kind == "checklist" and s.occupations[0].clause == 13
    ticked = {c.id for c in s.occupations[0].covered}
    assert set(ticks) <= ticked and all(c.evidence == "" and c.start == c.end == 0
                                        for c in s.occupations[0].covered)
