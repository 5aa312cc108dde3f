"""What a person sees of the evidence: one line per statement, offsets into their own text, no headings or
language lists as proof, and a calibrated in-scope answer."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import RU_CV

from eval.dataset import EvalItem
from matcher.engine import Matcher
from matcher.text import is_evidence

RU_WITH_NOISE = RU_CV + "\nЯзыки: казахский, русский, английский\nОпыт работы\n"


def test_covered_is_one_line_per_distinct_statement_with_offsets(matcher: Matcher) -> None:
    res = matcher.match(RU_WITH_NOISE, "cv")
    canon = {st.id: st.canonical for occ in matcher.std.occupations for *_, st in occ.walk()}
    for occ in res.occupations:
        keys = [canon[c.id] for c in occ.covered]
        assert len(keys) == len(set(keys)), f"card {occ.clause} repeats a statement"
        assert not {canon[m.id] for m in occ.missing} & set(keys)
        for c in occ.covered:
            if c.source == "inferred":  # the evidence judge found no sentence that shows it: nothing quoted
                assert c.evidence == "" and c.start == c.end == 0
                continue
            assert 0 <= c.start < c.end <= len(RU_WITH_NOISE)
            assert " ".join(RU_WITH_NOISE[c.start : c.end].split())[:20] == c.evidence[:20]


def test_headings_languages_and_the_job_wanted_are_never_evidence(matcher: Matcher) -> None:
    res = matcher.match(RU_WITH_NOISE, "cv")
    quoted = {c.evidence for o in res.occupations for c in o.covered}
    assert not any(q.startswith(("Языки", "Опыт работы", "Желаемая должность")) for q in quoted)
    assert not is_evidence("Білімі: ЕҰУ, әлеуметтік жұмыс, бакалавр (2019)")
    assert is_evidence("синхронный перевод с русского и казахского на жестовый язык на приёмах у врача")


def test_result_carries_scope_band_and_calibrated_probability(matcher: Matcher) -> None:
    res = matcher.match(RU_CV, "cv", top=3)
    assert res.calibration is not None, "the committed calibration for the default encoder must load"
    assert res.in_scope and res.band in ("confident", "review") and 0 < res.scope_probability <= 1
    assert res.occupations[0].clause == 11 and res.occupations[0].in_scope
    assert all(0 <= o.probability <= 1 for o in res.occupations)
    assert res.occupations[0].probability >= res.occupations[1].probability


def test_an_uncalibrated_matcher_says_so(matcher: Matcher) -> None:
    raw = matcher.with_settings()
    raw.calibration = None
    res = raw.match(RU_CV, "cv", top=1)
    assert res.calibration is None and res.in_scope and res.band == "review" and res.scope_probability is None


def test_out_of_domain_items_have_no_card_and_in_domain_items_need_one() -> None:
    ood = EvalItem(id="o", kind="cv", lang="en", text="Python developer", gold_clause=None, out_of_domain=True)
    assert ood.correct_clauses == set()
    with pytest.raises(ValueError):
        EvalItem(id="x", kind="cv", lang="en", text="t", gold_clause=None)
    with pytest.raises(ValueError):
        EvalItem(id="y", kind="cv", lang="en", text="t", gold_clause=13, out_of_domain=True, gold_level=4,
                 level_range=(4, 4))


def test_coverage_is_decided_by_the_calibrated_classifier(matcher: Matcher) -> None:
    cal = matcher.calibration
    assert cal is not None and cal.coverage is not None, "the committed calibration must carry a coverage model"
    res = matcher.match(RU_CV, "cv", top=1)
    best = res.occupations[0]
    assert best.covered, "a sign-language interpreter's CV shows some of card 11"
    assert all(c.probability is not None and c.probability >= cal.coverage.threshold for c in best.covered)
    probs = [c.probability for c in best.covered]
    assert probs == sorted(probs, reverse=True), "the most certain statements come first"
    # the classifier disagrees with a plain support threshold somewhere: otherwise it would add nothing
    plain = matcher.with_settings(coverage_classifier=False).match(RU_CV, "cv", top=1).occupations[0]
    assert {c.id for c in plain.covered} != {c.id for c in best.covered}
    assert all(c.probability is None for c in plain.covered)


def test_a_coverage_model_file_that_is_not_the_one_recorded_is_refused(matcher: Matcher, tmp_path) -> None:
    from matcher.engine import calibration as calib
    from matcher.errors import DatasetError

    src = matcher.settings.calibration_path(matcher.encoder.id)
    cal = calib.Calibration.model_validate_json(src.read_text(encoding="utf-8"))
    (tmp_path / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / cal.coverage.file).write_bytes((src.parent / cal.coverage.file).read_bytes()[:-10])
    with pytest.raises(DatasetError) as err:
        calib.load(tmp_path / src.name)
    assert err.value.code == "dataset_missing" and "sha256" in str(err.value)


OTHER_TRADES = {
    "en": "Senior Python developer, 7 years of experience.\nBuilt REST APIs with FastAPI and Django, PostgreSQL and "
          "Redis.\nDeployed services on Kubernetes with Docker and GitLab CI.\nSkills: Python, SQL, asyncio, AWS, "
          "Linux.",
    "ru": "Главный бухгалтер, стаж 12 лет.\nВедение бухгалтерского и налогового учёта в 1С:Бухгалтерия 8.3.\n"
          "Составление и сдача форм 300.00 и 910.00, расчёт заработной платы и ИПН.\nЗнание Налогового кодекса РК, "
          "МСФО.",
    "kk": "Жүргізуші, С және Е санатты жүргізуші куәлігі бар.\nЖүк көлігімен Алматы мен Астана арасында тауар "
          "тасымалдадым.\nКөлікке техникалық қызмет көрсету, жол парағын толтыру, тахограф режимін сақтау.",
}


@pytest.mark.parametrize("lang", sorted(OTHER_TRADES))
def test_a_text_of_another_trade_is_out_of_scope(matcher: Matcher, lang: str) -> None:
    res = matcher.match(OTHER_TRADES[lang], "cv", top=3)
    assert not res.in_scope and res.band == "unlikely", f"a {lang} text of another trade was kept in scope"
    assert all(not o.in_scope and o.band == "unlikely" for o in res.occupations)
    assert res.scope_probability < matcher.calibration.scope_threshold


def test_the_contrast_set_is_indexed_and_read(matcher: Matcher) -> None:
    sc = matcher.score(RU_CV)
    assert sc.contrast is not None and (sc.contrast > 0).all(), "every segment has a nearest other-trade line"
    feats, _ = matcher.calibration_inputs(sc)
    assert 0.5 < feats["lexical_share_char"] <= 1 and 0.5 < feats["contrast_share"] <= 1
    other, _ = matcher.calibration_inputs(matcher.score(OTHER_TRADES["ru"]))
    assert other["lexical_share_char"] < feats["lexical_share_char"]
    assert other["lexical_share_word"] < feats["lexical_share_word"]


class _KeywordJudge:
    """A stand-in evidence judge for the contract: a sentence shows a statement when it has a word of it."""

    threshold = 0.5

    def probabilities(self, sentences: list[str], statements: list[str]) -> np.ndarray:
        def shows(s: str, st: str) -> bool:
            return bool({w[:5] for w in s.lower().split() if len(w) > 4} & {w[:5] for w in st.lower().split()})
        return np.array([0.9 if shows(s, st) else 0.1 for s, st in zip(sentences, statements, strict=True)])


def test_the_judge_only_decides_what_is_quoted_never_what_is_covered(hash_matcher: Matcher) -> None:
    base = hash_matcher.with_settings(cover_threshold=0.3)  # the hashing encoder's cosines are low
    plain = base.result(base.score(RU_CV), "cv", top=3)
    judged_matcher = base.with_settings(judge_cards=3)
    judged_matcher.judge = _KeywordJudge()
    judged = judged_matcher.result(judged_matcher.score(RU_CV), "cv", top=3)
    sources = set()
    for a, b in zip(plain.occupations, judged.occupations, strict=True):
        assert a.clause == b.clause and a.score == b.score and a.coverage == b.coverage
        assert {c.id for c in a.covered} == {c.id for c in b.covered}
        assert [m.id for m in a.missing] == [m.id for m in b.missing]
        assert all(c.source == "text" and c.evidence_probability is None for c in a.covered)
        for c in b.covered:
            sources.add(c.source)
            assert c.evidence_probability is not None
            if c.source == "inferred":
                assert c.evidence_probability < 0.5 and c.evidence == "" and c.start == c.end == 0
            else:
                assert c.evidence_probability >= 0.5 and c.evidence and c.end > c.start
        quoted = [c.source == "text" for c in b.covered]
        assert quoted == sorted(quoted, reverse=True), "quoted statements come first"
    assert sources == {"text", "inferred"}, "this CV has both kinds"


def test_the_judge_is_loaded_once_on_first_need_and_never_with_judge_cards_0(hash_matcher: Matcher) -> None:
    calls: list[int] = []

    def load() -> _KeywordJudge:
        calls.append(1)
        return _KeywordJudge()

    m = Matcher(hash_matcher.std, hash_matcher.encoder, hash_matcher.idx,
                hash_matcher.s.model_copy(update={"cover_threshold": 0.3}), judge=load)
    m.with_settings(judge_cards=0).match_many([RU_CV, RU_CV], ["cv", "cv"])
    assert calls == [], "a screening's CVs never load the judge"
    copy = m.with_settings(judge_cards=3)
    res = copy.match(RU_CV, "cv", top=3)
    m.match(RU_CV, "cv")
    assert calls == [1], "loaded once, shared by the with_settings copies"
    assert any(c.source == "inferred" for c in res.occupations[0].covered)
