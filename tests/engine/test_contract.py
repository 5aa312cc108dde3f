"""The result's contract on the deterministic hashing encoder (conftest.py): shape and invariants, not quality."""

from __future__ import annotations

from helpers import EN_CV, KK_CV, RU_CV

from matcher.engine import Matcher
from matcher.standard import statements


def test_every_card_lists_each_distinct_statement_once_with_offsets(hash_matcher: Matcher) -> None:
    canonical = {st.id: st.canonical for _, st in statements(hash_matcher.std)}
    for text in (RU_CV, KK_CV, EN_CV):
        res = hash_matcher.match(text, "cv")
        assert sorted(o.clause for o in res.occupations) == list(range(9, 19))
        for occ in res.occupations:
            card = {st.canonical for *_, st in hash_matcher.occupation(occ.clause).walk()}
            listed = [canonical[x.id] for x in [*occ.covered, *occ.missing]]
            assert sorted(listed) == sorted(card)
            assert all(0 <= c.start < c.end <= len(text) for c in occ.covered)


def test_an_encoder_without_a_calibration_gives_uncalibrated_results(hash_matcher: Matcher) -> None:
    res = hash_matcher.match(RU_CV, "cv", top=2)
    assert hash_matcher.calibration is None and res.calibration is None
    assert res.in_scope and res.band == "review" and res.scope_probability is None
    assert [o.probability for o in res.occupations] == [o.score for o in res.occupations]
