"""The evaluation harness: metrics against hand-computed values, label resolution, a full `matcher eval` run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval import metrics
from eval.dataset import EvalItem, StatementResolver, load_items, normalise_label
from matcher import standard
from matcher.cli import main
from matcher.config import Settings
from matcher.errors import DatasetError
from matcher.standard.curate import statements

REPO = Path(__file__).resolve().parents[2]
DEV = REPO / "eval" / "data" / "dev.jsonl"


def _outcome(id_: str, correct: list[int], ranking: list[int], level: int, gold: int, rng: tuple[int, int],
             tp: int, fn: int, fp: int, tn: int, lang: str = "ru") -> metrics.Outcome:
    return metrics.Outcome(id=id_, lang=lang, kind="cv", clause=correct[0], split="fixture", correct=correct,
                           ranking=ranking, scores=[1.0 - 0.1 * i for i in range(len(ranking))], level=level,
                           level_gold=gold, level_range=rng, tp=tp, fn=fn, fp=fp, tn=tn)


@pytest.fixture()
def tiny() -> list[metrics.Outcome]:
    return [
        # right at rank 1, level exact; 3 of 4 labelled-missing reported, 1 of 4 labelled-covered reported missing
        _outcome("a", [13], [13, 14, 15], 4, 4, (4, 4), tp=3, fn=1, fp=1, tn=3),
        # the alternative card 15 at rank 2 counts; level one off but within range; only missing labels
        _outcome("b", [14, 15], [13, 15, 14], 5, 6, (5, 6), tp=2, fn=2, fp=0, tn=0, lang="kk"),
        # the gold card at rank 4; level two below and out of range; only covered labels
        _outcome("c", [9], [10, 11, 12, 9], 1, 3, (2, 3), tp=0, fn=0, fp=2, tn=2, lang="en"),
    ]


def test_metrics_match_hand_computed_values(tiny: list[metrics.Outcome]) -> None:
    v = metrics.library_values(tiny)
    assert v["hit@1"] == pytest.approx(1 / 3)
    assert v["hit@3"] == pytest.approx(2 / 3)
    assert v["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 4) / 3)
    assert v["level_accuracy"] == pytest.approx(1 / 3)
    assert v["level_within_range"] == pytest.approx(2 / 3)
    assert v["level_mae"] == pytest.approx((0 + 1 + 2) / 3)
    assert v["missing_recall"] == pytest.approx(5 / 8)  # (3 + 2) of (4 + 4) labelled missing
    assert v["covered_as_missing"] == pytest.approx(3 / 8)  # (1 + 2) of (4 + 4) labelled covered
    # precision and F1 only where both lists exist: item "a" alone, P = 3/4, R = 3/4
    assert v["missing_precision"] == pytest.approx(3 / 4)
    assert v["missing_f1"] == pytest.approx(3 / 4)


@pytest.mark.slow  # full evaluation runs on the real matcher
def test_bootstrap_arithmetic_agrees_with_the_libraries(tiny: list[metrics.Outcome]) -> None:
    lib = metrics.library_values(tiny)
    mine = metrics._from_sums(metrics.per_item(tiny), np.arange(len(tiny)))
    for m in metrics.METRICS:
        assert float(mine[m]) == pytest.approx(lib[m]), m
    s1 = metrics.summarise(tiny, "overall", resamples=300)
    s2 = metrics.summarise(tiny, "overall", resamples=300)
    assert s1 == s2  # seeded: the same input gives the same intervals
    for m in ("hit@1", "mrr", "missing_recall"):
        lo, hi = s1[m]["ci95"]
        assert lo <= s1[m]["value"] <= hi
    assert s1["missing_recall"]["n"] == 8 and s1["hit@1"]["n"] == 3
    blocks = metrics.breakdown(tiny, resamples=100)
    assert list(blocks["by_lang"]) == ["ru", "kk", "en"]
    assert blocks["by_lang"]["kk"]["hit@1"]["value"] == 0.0 and blocks["by_lang"]["ru"]["hit@1"]["value"] == 1.0


def test_a_system_without_missing_lists_reports_none() -> None:
    o = _outcome("a", [13], [13], 4, 4, (4, 4), 0, 0, 0, 0).model_copy(update={"tp": None, "fn": None,
                                                                                "fp": None, "tn": None})
    v = metrics.summarise([o], "x", resamples=50)
    assert v["hit@1"]["value"] == 1.0 and v["missing_recall"]["value"] is None


@pytest.fixture(scope="module")
def resolver() -> StatementResolver:
    return StatementResolver(standard.load(Settings()))


def _item(clause: int, covered: list[str], missing: list[str]) -> EvalItem:
    return EvalItem(id="x", kind="cv", lang="kk", text="...", gold_clause=clause, gold_level=4, level_range=(4, 4),
                    covered_statements=covered, missing_statements=missing)


def test_labels_resolve_by_id_and_by_kazakh_text(resolver: StatementResolver) -> None:
    std = standard.load(Settings())
    st = next(st for _, st in statements(std) if st.id == "Q88100061/13/LF1/S1/A3")
    messy = "  " + st.text.kk.upper().replace(" ", "   ").rstrip(".") + " ;. "
    res = resolver.resolve(_item(13, [st.id], []))
    assert res.covered == {st.canonical} and not res.unresolved
    res = resolver.resolve(_item(13, [messy], []))
    assert res.covered == {st.canonical} and not res.unresolved
    assert normalise_label(messy) == normalise_label(st.text.kk)


def test_unresolvable_labels_are_reported(resolver: StatementResolver) -> None:
    foreign = "Q88100061/9/LF1/S1/A1"  # a real id, but of card 9, not of the gold card 13
    res = resolver.resolve(_item(13, ["Жоқ мәлімдеме, стандартта мұндай сөйлем жоқ.", foreign],
                                 ["Q88100061/13/LF9/S9/A9"]))
    assert res.covered == set() and res.missing == set()
    assert res.unresolved == ["Жоқ мәлімдеме, стандартта мұндай сөйлем жоқ.", foreign, "Q88100061/13/LF9/S9/A9"]


def test_a_statement_repeated_in_a_card_is_one_label_and_conflicts_are_dropped(resolver: StatementResolver) -> None:
    std = standard.load(Settings())
    occ = std.occupation(13)
    by_key: dict[str, list[str]] = {}
    for *_, st in occ.walk():
        by_key.setdefault(st.canonical, []).append(st.id)
    key, ids = next((k, v) for k, v in by_key.items() if len(v) > 1)  # card 13 repeats its laws across skills
    res = resolver.resolve(_item(13, [ids[0], ids[1]], []))
    assert res.covered == {key}
    res = resolver.resolve(_item(13, [ids[0]], [ids[1]]))
    assert res.conflicts == {key} and not res.covered and not res.missing


def test_dataset_errors_name_the_line(tmp_path: Path) -> None:
    good = DEV.read_text(encoding="utf-8").splitlines()[0]
    extra = json.loads(good) | {"reviewer": "someone", "notes": "extra fields are ignored"}
    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps(extra, ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"d.jsonl:2"):
        load_items(p)
    p.write_text(json.dumps(extra, ensure_ascii=False) + "\n", encoding="utf-8")
    assert load_items(p)[0].split == "d"
    bad = extra | {"level_range": [5, 3]}
    p.write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="level_range"):
        load_items(p)


def test_every_card_and_language_is_in_the_team_set() -> None:
    items = load_items(DEV) + load_items(REPO / "eval" / "data" / "test.jsonl")
    assert len(items) >= 100
    langs = {lang: sum(it.lang == lang for it in items) / len(items) for lang in ("ru", "kk", "en")}
    assert 0.35 <= langs["ru"] <= 0.45 and 0.30 <= langs["kk"] <= 0.40 and 0.20 <= langs["en"] <= 0.30
    assert {it.kind for it in items} == {"cv", "vacancy"}
    counts = {c: sum(it.gold_clause == c for it in items) for c in range(9, 19)}
    assert min(counts.values()) >= 8, counts
    resolver = StatementResolver(standard.load(Settings()))
    assert all(not resolver.resolve(it).unresolved for it in items)
    assert sum(bool(it.missing_statements) for it in items) >= 100


@pytest.mark.slow  # full evaluation runs on the real matcher
def test_matcher_eval_on_a_slice_writes_every_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    lines = DEV.read_text(encoding="utf-8").splitlines()
    picked, seen = [], set()
    for line in lines:  # one CV and one vacancy per language
        it = json.loads(line)
        if (it["lang"], it["kind"]) not in seen:
            seen.add((it["lang"], it["kind"]))
            picked.append(it)
    picked[0]["covered_statements"] = picked[0]["covered_statements"] + ["Бұл сөйлем стандартта жоқ."]
    data = tmp_path / "slice.jsonl"
    data.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in picked), encoding="utf-8")
    outs = []
    for run in ("one", "two"):
        out = tmp_path / run
        assert main(["eval", "--dataset", str(data), "--out", str(out), "--quiet", "--resamples", "200"]) == 0
        for name in ("metrics.json", "report.md", "confusion_matrix.png", "reliability.png", "level_errors.png"):
            assert (out / name).stat().st_size > 0, name
        outs.append(json.loads((out / "metrics.json").read_text(encoding="utf-8")))
    doc = outs[0]
    assert outs[0] == outs[1]  # deterministic
    for block in ("overall", "by_lang", "by_kind", "by_clause"):
        assert block in doc
    assert set(doc["overall"]) == set(metrics.METRICS)
    assert set(doc["by_lang"]) == {"ru", "kk", "en"} and set(doc["by_kind"]) == {"cv", "vacancy"}
    assert set(doc["baselines"]) == {"no-titles", "dense", "tfidf", "majority"}
    assert doc["labels"]["unresolved"] == [{"id": picked[0]["id"], "label": "Бұл сөйлем стандартта жоқ."}]
    assert 1 <= len(doc["worst"]) <= 6
    report = (tmp_path / "one" / "report.md").read_text(encoding="utf-8")
    assert "## Headline" in report and "Бұл сөйлем стандартта жоқ." in report
    assert "| group |" in capsys.readouterr().out
    assert set(doc["out_of_domain"]) == {"overall", "by_split", "by_lang", "by_split_source"}


def test_matcher_eval_refuses_unknown_settings(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["eval", "--out", str(tmp_path), "--config", "cover_treshold=0.9"]) == 2
    assert "unknown setting" in capsys.readouterr().err


@pytest.mark.parametrize("name, split", [("claims_dev.jsonl", "dev"), ("claims_test.jsonl", "test")])
def test_hand_checked_claims_belong_to_their_split(name: str, split: str) -> None:
    """Each hand-checked claim names an item of its own split (test labels never come from dev items, or the
    held-out claim precision would not be held out), a statement of the standard, a label and its evidence."""
    from eval.run import CLAIMS, load_claim_labels

    data = REPO / "eval" / "data"
    items = {it.id: it for f in ("dev.jsonl", "dev_real.jsonl", "test.jsonl", "test_real.jsonl")
             for it in load_items(data / f)}
    ids = {st.id for _, st in statements(standard.load(Settings()))}
    rows = [json.loads(x) for x in (data / name).read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(rows) >= 150
    for r in rows:
        it = items[r["item"]]
        assert it.split == split and not it.out_of_domain, r["item"]
        assert r["statement_id"] in ids and r["label"] in metrics.CLAIM_VALUE and r["evidence"].strip()
    keys = {(r["item"], r["statement_id"], r["evidence"]) for r in rows}
    assert len(keys) == len(rows)  # one label per claim
    assert keys <= set(load_claim_labels(*CLAIMS))


def test_claim_precision_is_reported_per_split() -> None:
    claims = [metrics.Claim(item=f"i{n}", lang="ru", source="real", split=split, statement_id="s", evidence="e",
                            label=label)
              for n, (split, label) in enumerate([("dev", "shown"), ("dev", "not_shown"), ("test", "partly"),
                                                  ("test", "not_shown"), ("test", None)])]
    out = metrics.claim_precision(claims, resamples=50)
    assert out["groups"]["dev"]["precision_strict"]["value"] == 0.5
    assert out["groups"]["test"]["labelled"] == 2 and out["groups"]["test"]["claims"] == 3
    assert out["groups"]["test"]["precision_strict"]["value"] == 0.0
    assert out["groups"]["test/real"]["precision_lenient"]["value"] == 0.25
