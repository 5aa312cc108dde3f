"""Metrics of one system on labelled items, named as WorkRB and MELO name them, with bootstrap 95 % intervals.

* occupation: ``hit@1``, ``hit@3``, ``mrr`` (ranx; ``alt_clauses`` count as correct);
* level: ``level_accuracy`` (exact), ``level_within_range``, ``level_mae`` (scikit-learn);
* missing skills, over the labelled statements of the gold card (scikit-learn, pooled over items):
  ``missing_recall`` (labelled-missing reported missing), ``covered_as_missing`` (labelled-covered wrongly reported
  missing), ``missing_precision`` and ``missing_f1`` (items that have both lists only).

Point values come from the libraries; the bootstrap resamples items and recomputes the same quantities from
per-item counts with numpy (1000 resamples by default), which the tests check against the library values.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field
from sklearn.metrics import accuracy_score, mean_absolute_error, precision_recall_fscore_support

METRICS = ("hit@1", "hit@3", "mrr", "level_accuracy", "level_within_range", "level_mae", "missing_recall",
           "covered_as_missing", "missing_precision", "missing_f1")
HIGHER_IS_BETTER = {m: m not in ("level_mae", "covered_as_missing") for m in METRICS}


class Outcome(BaseModel):
    """What one system predicted for one item, reduced to what the metrics need."""

    id: str
    lang: str
    kind: str
    clause: int
    split: str
    source: str = "synthetic"
    correct: list[int]  # gold clause and alternatives
    ranking: list[int]  # clauses, best first
    scores: list[float]  # the system's score of each ranked clause
    level: int
    level_gold: int
    level_range: tuple[int, int]
    # missing-skill counts over the labelled statements of the gold card; None: the system does not report them
    tp: int | None = None  # labelled missing, reported missing
    fn: int | None = None  # labelled missing, reported covered
    fp: int | None = None  # labelled covered, reported missing
    tn: int | None = None  # labelled covered, reported covered

    @property
    def rank(self) -> int | None:
        """1-based rank of the first correct clause."""
        return next((i + 1 for i, c in enumerate(self.ranking) if c in self.correct), None)


class Value(BaseModel):
    value: float | None
    ci95: tuple[float, float] | None
    n: int  # items (occupation, level) or labelled statements (missing skills) behind the value


def occupation_values(outcomes: Sequence[Outcome]) -> dict[str, np.ndarray]:
    """Per-item hit@1, hit@3 and reciprocal rank from ranx (scores are rank-based so ties keep the system's order)."""
    from ranx import Qrels, Run, evaluate

    qrels = Qrels({o.id: {str(c): 1 for c in o.correct} for o in outcomes})
    run = Run({o.id: {str(c): float(len(o.ranking) - i) for i, c in enumerate(o.ranking)} for o in outcomes})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety notes about uint64 casts
        res = evaluate(qrels, run, ["hit_rate@1", "hit_rate@3", "mrr"], return_mean=False, make_comparable=True)
    order = {qid: i for i, qid in enumerate(sorted(o.id for o in outcomes))}  # ranx returns queries sorted by id
    pos = np.array([order[o.id] for o in outcomes])
    return {"hit@1": np.asarray(res["hit_rate@1"])[pos], "hit@3": np.asarray(res["hit_rate@3"])[pos],
            "mrr": np.asarray(res["mrr"])[pos]}


def _missing_arrays(outcomes: Sequence[Outcome]) -> dict[str, np.ndarray] | None:
    if any(o.tp is None for o in outcomes):
        return None
    tp, fn, fp, tn = (np.array([getattr(o, f) for o in outcomes], dtype=float) for f in ("tp", "fn", "fp", "tn"))
    both = ((tp + fn) > 0) & ((fp + tn) > 0)
    return {"tp": tp, "fn": fn, "fp": fp, "tn": tn, "both": both.astype(float)}


def per_item(outcomes: Sequence[Outcome]) -> dict[str, np.ndarray]:
    """The per-item arrays every metric is a function of."""
    arrays = occupation_values(outcomes)
    pred = np.array([o.level for o in outcomes], dtype=float)
    gold = np.array([o.level_gold for o in outcomes], dtype=float)
    lo = np.array([o.level_range[0] for o in outcomes])
    hi = np.array([o.level_range[1] for o in outcomes])
    arrays |= {"level_exact": (pred == gold).astype(float), "level_within": ((pred >= lo) & (pred <= hi)).astype(float),
               "level_abs": np.abs(pred - gold)}
    arrays |= _missing_arrays(outcomes) or {}
    return arrays


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _from_sums(a: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric for each row of ``idx`` (rows of item indices); works for one row or a bootstrap matrix."""
    out = {"hit@1": a["hit@1"][idx].mean(-1), "hit@3": a["hit@3"][idx].mean(-1), "mrr": a["mrr"][idx].mean(-1),
           "level_accuracy": a["level_exact"][idx].mean(-1), "level_within_range": a["level_within"][idx].mean(-1),
           "level_mae": a["level_abs"][idx].mean(-1)}
    if "tp" in a:
        tp, fn, fp, tn, both = (a[k][idx] for k in ("tp", "fn", "fp", "tn", "both"))
        out["missing_recall"] = _ratio(tp.sum(-1), (tp + fn).sum(-1))
        out["covered_as_missing"] = _ratio(fp.sum(-1), (fp + tn).sum(-1))
        p = _ratio((tp * both).sum(-1), ((tp + fp) * both).sum(-1))
        r = _ratio((tp * both).sum(-1), ((tp + fn) * both).sum(-1))
        out["missing_precision"] = p
        out["missing_f1"] = _ratio(2 * p * r, p + r)
    return out


def library_values(outcomes: Sequence[Outcome]) -> dict[str, float | None]:
    """Point values computed by ranx and scikit-learn (the numbers the report prints)."""
    occ = occupation_values(outcomes)
    pred = [o.level for o in outcomes]
    gold = [o.level_gold for o in outcomes]
    values: dict[str, float | None] = {k: float(np.mean(v)) for k, v in occ.items()}
    values["level_accuracy"] = float(accuracy_score(gold, pred))
    values["level_within_range"] = float(np.mean([o.level_range[0] <= o.level <= o.level_range[1]
                                                  for o in outcomes]))
    values["level_mae"] = float(mean_absolute_error(gold, pred))
    if _missing_arrays(outcomes) is None:
        return values | {m: None for m in METRICS if m not in values}
    # one (y_true, y_pred) pair per labelled statement: 1 = missing
    def pairs(select: Callable[[Outcome], bool]) -> tuple[list[int], list[int]]:
        t: list[int] = []
        p: list[int] = []
        for o in outcomes:
            if select(o):
                t += [1] * (o.tp + o.fn) + [0] * (o.fp + o.tn)
                p += [1] * o.tp + [0] * o.fn + [1] * o.fp + [0] * o.tn
        return t, p

    t, p = pairs(lambda o: True)
    pos, neg = sum(t), len(t) - sum(t)
    values["missing_recall"] = float(np.mean([pp for tt, pp in zip(t, p, strict=True) if tt])) if pos else None
    values["covered_as_missing"] = float(np.mean([pp for tt, pp in zip(t, p, strict=True) if not tt])) if neg else None
    tb, pb = pairs(lambda o: (o.tp + o.fn) > 0 and (o.fp + o.tn) > 0)
    if tb:
        prec, _, f1, _ = precision_recall_fscore_support(tb, pb, average="binary", pos_label=1, zero_division=0)
        values["missing_precision"], values["missing_f1"] = float(prec), float(f1)
    else:
        values["missing_precision"] = values["missing_f1"] = None
    return values


def _counts(a: dict[str, np.ndarray]) -> dict[str, int]:
    n = len(a["hit@1"])
    counts = {m: n for m in METRICS}
    if "tp" in a:
        counts["missing_recall"] = int((a["tp"] + a["fn"]).sum())
        counts["covered_as_missing"] = int((a["fp"] + a["tn"]).sum())
        counts["missing_precision"] = counts["missing_f1"] = int(((a["tp"] + a["fn"] + a["fp"] + a["tn"])
                                                                  * a["both"]).sum())
    return counts


def summarise(outcomes: Sequence[Outcome], group: str, resamples: int = 1000, seed: int = 20261126) -> dict:
    """Every metric with its bootstrap 95 % interval. The seed depends on the group name only, so a group's
    interval does not change when other groups are added."""
    if not outcomes:
        return {}
    values = library_values(outcomes)
    a = per_item(outcomes)
    n = len(outcomes)
    rng = np.random.default_rng(seed + zlib.crc32(group.encode()))
    boot = _from_sums(a, rng.integers(0, n, size=(resamples, n)))
    counts = _counts(a)
    out = {}
    for m in METRICS:
        v = values.get(m)
        ci = None
        if v is not None and m in boot:
            sample = boot[m][~np.isnan(boot[m])]
            if len(sample):
                ci = (round(float(np.percentile(sample, 2.5)), 4), round(float(np.percentile(sample, 97.5)), 4))
        out[m] = Value(value=None if v is None else round(v, 4), ci95=ci, n=counts[m]).model_dump(mode="json")
    return out


def breakdown(outcomes: Sequence[Outcome], resamples: int = 1000, seed: int = 20261126) -> dict:
    """``overall``, ``by_lang``, ``by_kind``, ``by_clause`` and ``by_split`` blocks of one system."""
    def by(key: Callable[[Outcome], object], name: str) -> dict:
        groups: dict[str, list[Outcome]] = {}
        for o in outcomes:
            groups.setdefault(str(key(o)), []).append(o)
        return {g: summarise(v, f"{name}:{g}", resamples, seed) for g, v in sorted(groups.items(),
                                                                                   key=lambda kv: _order(kv[0]))}

    return {"overall": summarise(outcomes, "overall", resamples, seed), "by_lang": by(lambda o: o.lang, "lang"),
            "by_kind": by(lambda o: o.kind, "kind"), "by_clause": by(lambda o: o.clause, "clause"),
            "by_split": by(lambda o: o.split, "split"), "by_source": by(lambda o: o.source, "source"),
            "by_split_source": by(lambda o: f"{o.split}/{o.source}", "split_source"),
            "by_source_lang": by(lambda o: f"{o.source}/{o.lang}", "source_lang")}


class ScopeOutcome(BaseModel):
    """Every item, in-domain or not: was the text kept in scope, and how sure was the engine of its best card."""

    id: str
    lang: str
    source: str
    split: str
    out_of_domain: bool
    in_scope: bool
    probability: float  # the best card's calibrated probability
    correct: bool  # the best card is right (always False out of domain)


def ece(prob: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the bin-weighted gap between confidence and accuracy (equal-width bins)."""
    if len(prob) == 0:
        return float("nan")
    which = np.minimum((prob * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            total += sel.mean() * abs(prob[sel].mean() - correct[sel].mean())
    return float(total)


def scope_summary(rows: Sequence[ScopeOutcome], group: str, resamples: int = 1000, seed: int = 20261126) -> dict:
    """Out-of-domain texts flagged, in-domain texts kept in scope, and the calibration error, with 95 % intervals."""
    if not rows:
        return {}
    ood = np.array([r.out_of_domain for r in rows])
    kept = np.array([r.in_scope for r in rows])
    prob = np.array([r.probability for r in rows])
    correct = np.array([r.correct for r in rows], dtype=float)
    rng = np.random.default_rng(seed + zlib.crc32(("scope:" + group).encode()))
    idx = rng.integers(0, len(rows), size=(resamples, len(rows)))

    def value(fn: Callable[[np.ndarray], float], n: int) -> dict:
        v = fn(np.arange(len(rows)))
        sample = np.array([fn(i) for i in idx])
        sample = sample[~np.isnan(sample)]
        ci = (round(float(np.percentile(sample, 2.5)), 4), round(float(np.percentile(sample, 97.5)), 4)) \
            if len(sample) and not np.isnan(v) else None
        return Value(value=None if np.isnan(v) else round(v, 4), ci95=ci, n=n).model_dump(mode="json")

    def flagged(i: np.ndarray) -> float:
        sel = ood[i]
        return float((~kept[i][sel]).mean()) if sel.any() else float("nan")

    def kept_in(i: np.ndarray) -> float:
        sel = ~ood[i]
        return float(kept[i][sel].mean()) if sel.any() else float("nan")

    return {"ood_flagged": value(flagged, int(ood.sum())), "in_domain_kept": value(kept_in, int((~ood).sum())),
            "ece": value(lambda i: ece(prob[i], correct[i]), len(rows))}


def scope_breakdown(rows: Sequence[ScopeOutcome], resamples: int = 1000, seed: int = 20261126) -> dict:
    def by(key: Callable[[ScopeOutcome], str], name: str) -> dict:
        groups: dict[str, list[ScopeOutcome]] = {}
        for r in rows:
            groups.setdefault(key(r), []).append(r)
        return {g: scope_summary(v, f"{name}:{g}", resamples, seed) for g, v in sorted(groups.items())}

    return {"overall": scope_summary(rows, "overall", resamples, seed), "by_split": by(lambda r: r.split, "split"),
            "by_lang": by(lambda r: r.lang, "lang"), "by_split_source": by(lambda r: f"{r.split}/{r.source}", "ss")}


class Claim(BaseModel):
    """One covered statement of a best card as the engine quotes it, with its hand label when one exists."""

    item: str
    lang: str
    source: str
    split: str = "dev"
    statement_id: str
    evidence: str
    label: Literal["shown", "partly", "not_shown"] | None = None
    quoted: bool = Field(True, description="the engine quotes a sentence for it (source 'text'); false: covered "
                         "but 'inferred' by the evidence judge, with no quote, hence no claim of evidence")
    labelled_covered: bool = Field(False, description="the item's labels list the statement as covered")


CLAIM_VALUE = {"shown": 1.0, "partly": 0.5, "not_shown": 0.0}


def claim_precision(claims: Sequence[Claim], resamples: int = 1000, seed: int = 20261126) -> dict:
    """Precision of the covered claims that carry a hand label (the quoted sentence shows the statement): strict
    (only "shown" counts) and lenient ("partly" counts half), with 95 % intervals over claims, overall and per
    split, split and source, and language; how many of the engine's claims were labelled at all. Only the test
    split's figure is held out: the dev labels were read while the coverage rules were chosen. Only quoted claims are
    claims: a covered statement the evidence judge left unquoted (``inferred``) shows nothing. ``covered`` counts
    both, and ``quoted_of_labelled_covered`` is the share of the covered statements that the labels call covered
    that keep their quote (what the judge costs)."""
    def value(x: np.ndarray, rng: np.random.Generator) -> dict:
        sample = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
        return Value(value=round(float(x.mean()), 4), n=len(x),
                     ci95=(round(float(np.percentile(sample, 2.5)), 4),
                           round(float(np.percentile(sample, 97.5)), 4))).model_dump(mode="json")

    def summary(rows: list[Claim], group: str) -> dict:
        quoted = [c for c in rows if c.quoted]
        labelled = [c for c in quoted if c.label is not None]
        out: dict = {"covered": len(rows), "claims": len(quoted), "labelled": len(labelled)}
        rng = np.random.default_rng(seed + zlib.crc32(("claims:" + group).encode()))
        on_labels = np.array([c.quoted for c in rows if c.labelled_covered], dtype=float)
        if len(on_labels):  # of the covered statements the labels also call covered, how many are quoted
            out["quoted_of_labelled_covered"] = value(on_labels, rng)
        if not labelled:
            return out
        v = np.array([CLAIM_VALUE[c.label] for c in labelled])
        for name, x in (("precision_strict", (v == 1.0).astype(float)), ("precision_lenient", v)):
            out[name] = value(x, rng)
        return out

    groups: dict[str, list[Claim]] = {}
    for c in claims:
        groups.setdefault(c.split, []).append(c)
        groups.setdefault(f"{c.split}/{c.source}", []).append(c)
        groups.setdefault(c.lang, []).append(c)
    return {"overall": summary(list(claims), "overall"),
            "groups": {g: summary(v, g) for g, v in sorted(groups.items(), key=lambda kv: _order(kv[0]))}}


def _order(key: str) -> tuple:
    langs = {"ru": 0, "kk": 1, "en": 2}
    return (0, int(key), "") if key.isdigit() else (1, langs.get(key, 9), key)
