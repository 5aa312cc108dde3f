"""The learning plan, the career moves with their gaps, and the checklist (the reverse flow), on the real standard.

The hashing encoder (conftest.py) serves where quality is not judged: these are the plan's and the moves' rules,
checked against the dataset itself (its cards, links and levels) and against the result's own covered/missing lists.
"""

from __future__ import annotations

import copy

import pytest
from helpers import EN_CV, KK_CV, RU_CV

from matcher.engine import Matcher, MatchResult
from matcher.engine.plan import level_key
from matcher.errors import InputError
from matcher.standard.schema import Occupation

CLAUSES = list(range(9, 19))
OUT_OF_SCOPE_EN = ("Senior Python developer, 7 years of experience.\nBuilt REST APIs with FastAPI and Django, "
                   "PostgreSQL and Redis.\nDeployed services on Kubernetes with Docker and GitLab CI.")


def _canon(m: Matcher) -> dict[str, str]:
    return {st.id: st.canonical for occ in m.std.occupations for *_, st in occ.walk()}


def _distinct_keys(occ: Occupation) -> set[str]:
    return {st.canonical for *_, st in occ.walk()}


@pytest.fixture(scope="module")
def results(hash_matcher: Matcher) -> list[MatchResult]:
    return [hash_matcher.match(text, "cv") for text in (RU_CV, KK_CV, EN_CV)]


# --------------------------------------------------------------------------- the learning plan


def test_the_plan_is_exactly_the_missing_statements_required_first_then_by_gain(results: list[MatchResult]) -> None:
    for res in results:
        assert res.in_scope
        for occ in res.occupations:
            plan = occ.learning_plan
            assert sorted(p.id for p in plan) == sorted(m.id for m in occ.missing)
            by_id = {m.id: m for m in occ.missing}
            for p in plan:
                m = by_id[p.id]
                assert (p.kind, p.text, p.labour_function, p.skill) == (m.kind, m.text, m.labour_function, m.skill)
                assert p.required == bool(m.labour_function.mandatory)
                assert 0 <= p.gain <= 1
            flags = [p.required for p in plan]
            assert flags == sorted(flags, reverse=True), f"card {occ.clause}: an additional function ranks first"
            for required in (True, False):
                gains = [p.gain for p in plan if p.required is required]
                assert gains == sorted(gains, reverse=True), f"card {occ.clause}: not ranked by gain"


def test_a_gain_is_what_the_statement_adds_to_the_cards_coverage(hash_matcher: Matcher) -> None:
    m = hash_matcher
    support = m.support(m.score(RU_CV))
    cov = m._soft(support, m.s.soft_lo, m.s.soft_hi)
    canon = _canon(m)
    res = m.result(m.score(RU_CV), "cv")
    checked = 0
    for occ_match in res.occupations:
        occ = m.occupation(occ_match.clause)
        before = m._coverage(occ, cov)
        assert before == pytest.approx(occ_match.coverage, abs=1e-4)
        for p in occ_match.learning_plan[:: max(1, len(occ_match.learning_plan) // 4)]:
            rows = [m.row_of[st.id] for *_, st in occ.walk() if st.canonical == canon[p.id]]
            learned = cov.copy()
            learned[rows] = 1.0
            assert p.gain == pytest.approx(m._coverage(occ, learned) - before, abs=1e-4)
            checked += 1
    assert checked > 20


def test_why_names_the_labour_function_and_skill_or_knowledge_in_each_language(hash_matcher: Matcher) -> None:
    m = hash_matcher
    occ = m.occupation(9)  # card 9 has an additional labour function (3)
    res = m.checklist([next(st.id for *_, st in occ.walk())], clause=9)
    plan = res.occupations[0].learning_plan
    assert {p.required for p in plan} == {True, False} and {p.kind for p in plan} == {"ability", "knowledge"}
    for p in plan:
        lf = next(f for f in occ.labour_functions if f.number == p.labour_function.number)
        for lang in ("kk", "ru", "en"):
            assert lf.title.get(lang).strip().rstrip(".;:").strip() in p.why.get(lang)
            assert str(lf.number) in p.why.get(lang)
        assert p.why.kk.startswith("Машығы" if p.kind == "ability" else "Білімі")
        assert ("Машығы" if p.kind == "ability" else "Білімі") in p.why.ru
        assert ("Машығы" if p.kind == "ability" else "Білімі") in p.why.en
        assert ("міндетті" if lf.mandatory else "қосымша") in p.why.kk
        assert ("обязательной" if lf.mandatory else "дополнительной") in p.why.ru
        assert ("mandatory" if lf.mandatory else "additional") in p.why.en


def test_a_text_out_of_scope_gets_no_plan_and_no_moves(matcher: Matcher) -> None:
    res = matcher.match(OUT_OF_SCOPE_EN, "cv", top=3)
    assert not res.in_scope
    assert all(o.learning_plan == [] and o.career_moves == [] for o in res.occupations)
    assert all(o.missing for o in res.occupations)  # the missing list itself stays, as before


# --------------------------------------------------------------------------- career moves


@pytest.mark.parametrize("clause", CLAUSES)
def test_career_moves_follow_the_related_links_and_levels(hash_matcher: Matcher, clause: int) -> None:
    m = hash_matcher
    occ = m.occupation(clause)
    cards = {o.clause: o for o in m.std.occupations}
    res = m.checklist([next(st.id for *_, st in occ.walk())], clause=clause)
    moves = res.occupations[0].career_moves
    kinds = {(mv.kind, mv.clause) for mv in moves}
    assert len(kinds) == len(moves) and clause not in {mv.clause for mv in moves}
    linked = {r.clause for r in occ.related if r.clause in cards}
    for target in linked:  # every link of the card is a move, up when the target's level is higher
        want = "up" if level_key(cards[target]) > level_key(occ) else \
            "lateral" if level_key(cards[target]) == level_key(occ) else "feeder"
        assert (want, target) in kinds
    for mv in moves:
        target = cards[mv.clause]
        assert (mv.code, mv.name, mv.sbsh_levels) == (target.code, target.name, target.sbsh_levels)
        if mv.kind == "up":
            assert mv.clause in linked and level_key(target) > level_key(occ)
        elif mv.kind == "lateral":
            assert level_key(target) == level_key(occ)
        else:
            assert level_key(target) < level_key(occ)
            assert mv.clause in linked or any(r.clause == clause for r in target.related)
    for other in m.std.occupations:  # a card that links here from below feeds this one
        if any(r.clause == clause for r in other.related) and level_key(other) < level_key(occ):
            assert ("feeder", other.clause) in kinds


@pytest.mark.parametrize("clause", CLAUSES)
def test_a_card_linked_onward_is_never_the_end_of_its_path(hash_matcher: Matcher, clause: int) -> None:
    m = hash_matcher
    occ = m.occupation(clause)
    cards = {o.clause: o for o in m.std.occupations}
    res = m.checklist([next(st.id for *_, st in occ.walk())], clause=clause).occupations[0]
    higher = [r.clause for r in occ.related if r.clause in cards and level_key(cards[r.clause]) > level_key(occ)]
    outside = [r for r in occ.related if r.clause not in cards]
    ups = [mv.clause for mv in res.career_moves if mv.kind == "up"]
    assert set(ups) == set(higher)
    if higher:  # the case: card 12 (SBSh 3-4) links to card 13 (SBSh 4), once shown as "top of the path"
        assert res.next_level is not None and res.next_level.clause == ups[0]
    else:
        assert res.next_level is None
    assert res.beyond_standard == outside  # card 11: the sign-language interpreter, not a card of this standard


def test_a_gap_counts_the_target_card_as_its_own_result_does(results: list[MatchResult]) -> None:
    """The gap to a target card uses the same covered decision, coverage and ranking as that card's own entry."""
    checked = 0
    for res in results:
        by_clause = {o.clause: o for o in res.occupations}  # top=None: every card
        for occ in res.occupations:
            for mv in occ.career_moves:
                target = by_clause[mv.clause]
                gap = mv.gap
                assert (gap.covered, gap.total) == (len(target.covered), len(target.covered) + len(target.missing))
                assert gap.missing == gap.total - gap.covered and gap.coverage == target.coverage
                assert [g.id for g in gap.top] == [p.id for p in target.learning_plan[:5]]
                checked += 1
    assert checked > 30


def test_the_real_engine_gives_a_plan_and_moves_for_a_cv(matcher: Matcher) -> None:
    res = matcher.match(RU_CV, "cv", top=1)  # a sign-language interpreter: card 11
    best = res.occupations[0]
    assert res.in_scope and best.clause == 11
    assert best.learning_plan and len(best.learning_plan) == len(best.missing)
    assert [mv.clause for mv in best.career_moves if mv.kind == "lateral"]
    assert best.beyond_standard and best.beyond_standard[0].sbsh_levels


# --------------------------------------------------------------------------- the checklist


@pytest.mark.parametrize("clause", CLAUSES)
def test_ticking_a_whole_card_ranks_it_first_with_nothing_missing(hash_matcher: Matcher, clause: int) -> None:
    m = hash_matcher
    occ = m.occupation(clause)
    res = m.checklist([st.id for *_, st in occ.walk()])
    best = res.occupations[0]
    assert res.kind == "checklist" and res.in_scope and res.segments == 0
    assert best.clause == clause and best.coverage == 1.0 and best.score == 1.0
    assert best.missing == [] and best.learning_plan == []
    assert len(best.covered) == len(_distinct_keys(occ))
    assert all(c.source == "checklist" and c.evidence == "" and (c.start, c.end) == (0, 0) and c.probability == 1.0
               for c in best.covered)
    assert best.sbsh_level == min(occ.sbsh_levels)  # no text: no education or experience evidence
    assert best.band == "review" and best.in_scope
    scores = [o.score for o in res.occupations]
    assert scores == sorted(scores, reverse=True)


def test_ticking_part_of_a_card_leaves_the_complement_as_the_plan(hash_matcher: Matcher) -> None:
    m = hash_matcher
    occ = m.occupation(13)
    canon = _canon(m)
    rows = [st for *_, st in occ.walk()]
    ticked = [st.id for st in rows[::3]]
    res = m.checklist(ticked, clause=13, top=2)
    best = res.occupations[0]
    assert best.clause == 13 and len(res.occupations) == 2
    keys = {canon[x] for x in ticked}
    assert {canon[c.id] for c in best.covered} == keys
    assert {canon[p.id] for p in best.learning_plan} == _distinct_keys(occ) - keys
    assert {p.id for p in best.learning_plan} == {mi.id for mi in best.missing}
    assert 0 < best.coverage < 1


def test_a_tick_covers_the_same_statement_on_every_card(hash_matcher: Matcher) -> None:
    m = hash_matcher
    canon = _canon(m)
    owners: dict[str, list[tuple[int, str]]] = {}
    for occ in m.std.occupations:
        for *_, st in occ.walk():
            owners.setdefault(st.canonical, []).append((occ.clause, st.id))
    key, places = next((k, v) for k, v in owners.items() if len({c for c, _ in v}) >= 2)
    res = m.checklist([places[0][1]])
    for clause in {c for c, _ in places}:
        card = next(o for o in res.occupations if o.clause == clause)
        assert [canon[c.id] for c in card.covered] == [key] and card.coverage > 0
    untouched = [o for o in res.occupations if o.clause not in {c for c, _ in places}]
    assert untouched and all(o.covered == [] and o.coverage == 0 and o.band == "unlikely" and not o.in_scope
                             for o in untouched)


def test_a_named_card_comes_first_and_the_rest_follow_by_coverage(hash_matcher: Matcher) -> None:
    m = hash_matcher
    ticks = [st.id for *_, st in m.occupation(10).walk()]
    res = m.checklist(ticks, clause=18)
    assert res.occupations[0].clause == 18 and res.occupations[1].clause == 10
    rest = [o.coverage for o in res.occupations[1:]]
    assert rest == sorted(rest, reverse=True)


def test_checklist_gaps_count_the_ticks_shared_with_the_target(hash_matcher: Matcher) -> None:
    m = hash_matcher
    occ = m.occupation(12)
    res = m.checklist([st.id for *_, st in occ.walk()], clause=12)
    for mv in res.occupations[0].career_moves:
        target = m.occupation(mv.clause)
        shared = _distinct_keys(target) & _distinct_keys(occ)
        assert (mv.gap.covered, mv.gap.total) == (len(shared), len(_distinct_keys(target)))
        assert len(mv.gap.top) == min(5, mv.gap.missing)
        assert not {_canon(m)[g.id] for g in mv.gap.top} & shared


@pytest.mark.parametrize(("statements", "clause", "code"), [
    ([], None, "empty"),
    (["Q88100061/13/LF1/S1/A1", "no-such-statement"], None, "unknown_statement"),
    (["Q88100061/13/LF9/S9/A9"], 13, "unknown_statement"),
    (["Q88100061/13/LF1/S1/A1"], 99, "unknown_occupation"),
])
def test_checklist_errors_carry_their_code(hash_matcher: Matcher, statements: list[str], clause: int | None,
                                           code: str) -> None:
    with pytest.raises(InputError) as err:
        hash_matcher.checklist(statements, clause)
    assert err.value.code == code
    assert "no-such-statement" not in err.value.message  # positions, never the client's values


def test_the_checklist_needs_no_encoder(hash_matcher: Matcher) -> None:
    class NoEncoder:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"the checklist used the encoder ({name})")

    m = copy.copy(hash_matcher)
    m.encoder = NoEncoder()  # type: ignore[assignment]
    res = m.checklist([st.id for *_, st in m.occupation(11).walk()][:5])
    assert res.occupations[0].clause == 11 and res.occupations[0].covered


def test_the_cli_prints_the_plan_and_moves_and_no_plan_out_of_scope(tmp_path, capsys) -> None:  # noqa: ANN001
    from matcher.cli import main

    cv, other = tmp_path / "cv.txt", tmp_path / "other.txt"
    cv.write_text(RU_CV, encoding="utf-8")
    other.write_text(OUT_OF_SCOPE_EN, encoding="utf-8")
    assert main(["match", str(cv), "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert "learning plan (best card: the first 8 of" in out and "career moves (best card):" in out
    assert "lateral card 10" in out and "outside this standard" in out  # card 11: no card above it here
    plan_lines = [ln for ln in out.splitlines() if ln.startswith(("  * +", "    +"))]
    assert len(plan_lines) == 8
    assert all(" умение: " in ln or " знание: " in ln for ln in plan_lines)  # the kind, in the CV's language
    # each labour function of the plan is named once, below it, not under every item
    functions = {ln.split()[2].split("/")[0] for ln in plan_lines}
    legend = [ln.strip() for ln in out.splitlines() if ln.startswith("      LF")]
    assert sorted(ln.split()[0] for ln in legend) == sorted(functions)
    assert all("(обязательная)" in ln or "(дополнительная)" in ln for ln in legend)
    assert main(["match", str(other), "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert "no level or learning plan" in out and "learning plan (" not in out and "career moves" not in out
