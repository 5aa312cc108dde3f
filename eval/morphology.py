"""Morphology against char n-grams on the lexical side (issue 11, item 5), on the dev split only.

    python -m eval.morphology [--resamples 1000] [--seed 20261126] [--json OUT.json]

Card level: each variant ranks the 10 cards for every in-domain dev item (``dev.jsonl`` + ``dev_real.jsonl``;
``out_of_domain`` items skipped); hit@1 and MRR of the first correct card (``gold_clause`` or ``alt_clauses``):

* ``char``: today's ``CardLexical`` (char_wb 3-5-grams, sublinear tf) of the whole text against each card document
  (its names and every statement in kk, ru and en);
* ``words``: word TF-IDF (sublinear tf) of lower-cased words, no morphology (tells morphology from word matching);
* ``stems-hs``: word TF-IDF of ``Normaliser`` tokens with Kazakh stems from hunspell alone (``kk_suffixes=False``);
* ``stems``: word TF-IDF of ``Normaliser`` tokens (hunspell + the suffix-chain cut); card documents are normalised
  part by part in each part's language, the text line by line in each line's detected language;
* ``char+words``, ``char+stems-hs``, ``char+stems``: the mean of the two cosines. This is also the union (hstack) of
  the two L2-normalised TF-IDF blocks scaled by 1/sqrt(2): both give the same numbers, so only one is reported.

Statement level: for each item, its labelled covered statements (label 1) and missing ones (label 0) of the gold
card, resolved to canonical keys with ``StatementResolver``; each statement's score is its best match over the
text's evidence segments (``prepare_segments`` + ``is_evidence``), the statement taken in the segment's language:
char n-gram cosine, stem TF-IDF cosine, stem Jaccard, stem containment (share of the statement's stems found in
the segment) and the mean of the char and stem cosines. ROC AUC per language and per source.

Every interval is a bootstrap 95 % percentile interval over items (1000 resamples, fixed seed); differences against
``char`` are paired (the same resampled items for both variants).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import roc_auc_score

from eval.dataset import EvalItem, StatementResolver, load_items
from matcher import paths as locations
from matcher import standard
from matcher.config import get_settings
from matcher.engine.lexical import CardLexical
from matcher.errors import MatcherError
from matcher.standard.schema import Standard, Statement
from matcher.text import is_evidence, prepare_segments
from matcher.text.morphology import LANGS, Normaliser

DEV = ("dev.jsonl", "dev_real.jsonl")
SEED = 20261126
GROUPS: tuple[tuple[str, Callable[[EvalItem], bool]], ...] = (
    ("all", lambda it: True),
    ("kk", lambda it: it.lang == "kk"),
    ("ru", lambda it: it.lang == "ru"),
    ("en", lambda it: it.lang == "en"),
    ("real", lambda it: it.source == "real"),
    ("synthetic", lambda it: it.source == "synthetic"),
    ("real/kk", lambda it: it.source == "real" and it.lang == "kk"),
    ("real/ru", lambda it: it.source == "real" and it.lang == "ru"),
    ("real/en", lambda it: it.source == "real" and it.lang == "en"),
)
_WORD_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def dev_items(paths: Sequence[Path] | None = None) -> list[EvalItem]:
    """The in-domain items of the dev files."""
    paths = paths or [locations.eval_data_dir() / f for f in DEV]
    return [it for p in paths for it in load_items(p) if not it.out_of_domain]


# --- card-level rankers ----------------------------------------------------------------------


def card_parts(std: Standard) -> list[list[tuple[str, str]]]:
    """(text, language) of every part of each card: its names and every statement, in kk, ru and en."""
    cards = []
    for occ in std.occupations:
        parts = [(occ.name.get(lang), lang) for lang in LANGS]
        for *_, st in occ.walk():
            parts += [(st.text.get(lang), lang) for lang in LANGS]
        cards.append([(t, lang) for t, lang in parts if t])
    return cards


class WordRanker:
    """Word TF-IDF (sublinear tf) of each card: lower-cased words (``normaliser`` None) or stems."""

    def __init__(self, std: Standard, normaliser: Normaliser | None):
        self.normaliser = normaliser
        cards = card_parts(std)
        if normaliser is None:
            self.vectorizer = TfidfVectorizer(token_pattern=_WORD_PATTERN, sublinear_tf=True)
            docs: list = ["\n".join(t for t, _ in parts) for parts in cards]
        else:
            self.vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
            docs = [[tok for t, lang in parts for tok in normaliser.tokens(t, lang)] for parts in cards]
        self.cards = self.vectorizer.fit_transform(docs)

    def similarities(self, text: str) -> np.ndarray:
        doc = text if self.normaliser is None else self.normaliser.tokens(text)
        return (self.vectorizer.transform([doc]) @ self.cards.T).toarray()[0]


class MeanRanker:
    """The mean of two rankers' cosines (= the cosine of the hstacked, 1/sqrt(2)-scaled unit vectors)."""

    def __init__(self, a: CardLexical | WordRanker, b: CardLexical | WordRanker):
        self.a, self.b = a, b

    def similarities(self, text: str) -> np.ndarray:
        return (self.a.similarities(text) + self.b.similarities(text)) / 2


def rank_of_correct(sims: np.ndarray, clauses: list[int], correct: set[int]) -> int:
    order = sorted(range(len(sims)), key=lambda i: (-sims[i], clauses[i]))
    return 1 + next(k for k, i in enumerate(order) if clauses[i] in correct)


# --- bootstrap ------------------------------------------------------------------------------


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng(seed + zlib.crc32(name.encode()))


def _ci(sample: np.ndarray) -> tuple[float, float]:
    sample = sample[~np.isnan(sample)]
    if not len(sample):
        return (float("nan"), float("nan"))
    return (float(np.percentile(sample, 2.5)), float(np.percentile(sample, 97.5)))


def mean_with_ci(values: dict[str, np.ndarray], base: str, idx: np.ndarray, resamples: int, seed: int,
                 name: str) -> dict[str, dict]:
    """Each variant's mean over ``idx`` with its interval, and its paired difference to ``base``."""
    n = len(idx)
    boot = idx[_rng(seed, name).integers(0, n, size=(resamples, n))]
    out = {}
    for v, x in values.items():
        diff = x - values[base]
        out[v] = {"value": float(x[idx].mean()), "ci95": _ci(x[boot].mean(axis=1)), "n": n,
                  "diff": float(diff[idx].mean()), "diff_ci95": _ci(diff[boot].mean(axis=1))}
    return out


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan")


def auc_with_ci(rows: list[Row], scores: Sequence[str], base: str, items: list[int], resamples: int, seed: int,
                name: str) -> dict[str, dict]:
    """ROC AUC of each score over the rows of ``items`` (item ids), the bootstrap resampling items."""
    by_item: dict[int, list[int]] = {}
    for k, r in enumerate(rows):
        by_item.setdefault(r.item, []).append(k)
    items = [i for i in items if i in by_item]
    y = np.array([r.label for r in rows])
    s = {sc: np.array([r.scores[sc] for r in rows]) for sc in scores}
    rng = _rng(seed, name)
    picks = [np.concatenate([by_item[items[j]] for j in rng.integers(0, len(items), len(items))])
             for _ in range(resamples)]
    own = np.concatenate([by_item[i] for i in items]) if items else np.array([], dtype=int)
    base_boot = np.array([_auc(y[p], s[base][p]) for p in picks])
    out = {}
    for sc in scores:
        boot = np.array([_auc(y[p], s[sc][p]) for p in picks])
        value = _auc(y[own], s[sc][own])
        out[sc] = {"value": value, "ci95": _ci(boot), "n_items": len(items), "n_covered": int(y[own].sum()),
                   "n_missing": int(len(own) - y[own].sum()),
                   "diff": value - _auc(y[own], s[base][own]), "diff_ci95": _ci(boot - base_boot)}
    return out


# --- statement level ------------------------------------------------------------------------


@dataclass
class Row:
    item: int
    lang: str
    source: str
    label: int  # 1 covered, 0 missing
    scores: dict[str, float] = field(default_factory=dict)


STATEMENT_SCORES = ("char_cosine", "stem_cosine", "stem-hs_cosine", "stem_jaccard", "stem_containment",
                    "char+stem_cosine")


class StatementScorer:
    """Best-segment scores of a statement; ``hs_only`` gives ``stem-hs_cosine`` (Kazakh stems from hunspell alone)."""

    def __init__(self, std: Standard, normaliser: Normaliser, hs_only: Normaliser):
        self.normaliser = normaliser
        self.hs_only = hs_only
        texts = [(st.text.get(lang), lang) for occ in std.occupations for *_, st in occ.walk() for lang in LANGS]
        texts = [(t, lang) for t, lang in texts if t]
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self.char.fit([t for t, _ in texts])
        self.stem = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
        self.stem.fit([normaliser.tokens(t, lang) for t, lang in texts])
        self.stem_hs = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
        self.stem_hs.fit([hs_only.tokens(t, lang) for t, lang in texts])

    def _cosines(self, vectorizer: TfidfVectorizer, normaliser: Normaliser, statement: Statement,
                 segments: list[tuple[str, str]]) -> list[float]:
        langs = sorted({lang for _, lang in segments})
        st = dict(zip(langs, vectorizer.transform([normaliser.tokens(statement.text.get(lang), lang)
                                                   for lang in langs]), strict=True))
        seg = vectorizer.transform([normaliser.tokens(t, lang) for t, lang in segments])
        return [float((seg[k] @ st[lang].T).toarray()[0, 0]) for k, (_, lang) in enumerate(segments)]

    def score(self, statement: Statement, segments: list[tuple[str, str]]) -> dict[str, float]:
        """Best match of ``statement`` over ``segments`` ((text, language)), the statement in that language."""
        best = dict.fromkeys(STATEMENT_SCORES, 0.0)
        best["stem-hs_cosine"] = max(self._cosines(self.stem_hs, self.hs_only, statement, segments))
        seg_tokens = [self.normaliser.tokens(t, lang) for t, lang in segments]
        st_text = {lang: statement.text.get(lang) for lang in LANGS}
        st_tokens = {lang: self.normaliser.tokens(t, lang) for lang, t in st_text.items()}
        langs = sorted({lang for _, lang in segments})
        st_char = dict(zip(langs, self.char.transform([st_text[lang] for lang in langs]), strict=True))
        st_stem = dict(zip(langs, self.stem.transform([st_tokens[lang] for lang in langs]), strict=True))
        seg_char = self.char.transform([t for t, _ in segments])
        seg_stem = self.stem.transform(seg_tokens)
        for k, (_, lang) in enumerate(segments):
            c = float((seg_char[k] @ st_char[lang].T).toarray()[0, 0])
            w = float((seg_stem[k] @ st_stem[lang].T).toarray()[0, 0])
            a, b = set(st_tokens[lang]), set(seg_tokens[k])
            jac = len(a & b) / len(a | b) if a | b else 0.0
            cont = len(a & b) / len(a) if a else 0.0
            for name, v in (("char_cosine", c), ("stem_cosine", w), ("stem_jaccard", jac),
                            ("stem_containment", cont), ("char+stem_cosine", (c + w) / 2)):
                best[name] = max(best[name], v)
        return best


def statement_rows(items: list[EvalItem], std: Standard, normaliser: Normaliser, hs_only: Normaliser) -> list[Row]:
    resolver = StatementResolver(std)
    scorer = StatementScorer(std, normaliser, hs_only)
    cards = {occ.clause: occ for occ in std.occupations}
    rows = []
    for i, it in enumerate(items):
        res = resolver.resolve(it)
        if it.gold_clause is None or not (res.covered or res.missing):
            continue
        by_key: dict[str, Statement] = {}
        for *_, st in cards[it.gold_clause].walk():
            by_key.setdefault(st.canonical, st)
        segs = prepare_segments(it.text)
        evidence = [s for s in segs if is_evidence(s.text)] or segs
        segments = [(s.text, s.lang if s.lang in LANGS else it.lang) for s in evidence]
        if not segments:
            continue
        for keys, label in ((res.covered, 1), (res.missing, 0)):
            for key in sorted(keys):
                rows.append(Row(i, it.lang, it.source, label, scorer.score(by_key[key], segments)))
    return rows


# --- the run --------------------------------------------------------------------------------


def run(items: list[EvalItem], resamples: int = 1000, seed: int = SEED) -> dict:
    std = standard.load(get_settings())
    clauses = [o.clause for o in std.occupations]
    t0 = time.perf_counter()
    full = Normaliser(strict=True)
    hs_only = Normaliser(kk_suffixes=False, strict=True)
    load_s = time.perf_counter() - t0
    builders: dict[str, Callable[[], CardLexical | WordRanker]] = {
        "char": lambda: CardLexical(std),
        "words": lambda: WordRanker(std, None),
        "stems-hs": lambda: WordRanker(std, hs_only),
        "stems": lambda: WordRanker(std, full),
    }
    rankers: dict[str, CardLexical | WordRanker | MeanRanker] = {}
    build_s: dict[str, float] = {}
    for name, make in builders.items():
        t = time.perf_counter()
        rankers[name] = make()
        build_s[name] = time.perf_counter() - t
    for other in ("words", "stems-hs", "stems"):
        rankers[f"char+{other}"] = MeanRanker(rankers["char"], rankers[other])  # type: ignore[arg-type]
    hit: dict[str, np.ndarray] = {}
    rr: dict[str, np.ndarray] = {}
    ms: dict[str, float] = {}
    for name, ranker in rankers.items():
        ranks = []
        t = time.perf_counter()
        for it in items:
            ranks.append(rank_of_correct(ranker.similarities(it.text), clauses, it.correct_clauses))
        ms[name] = 1000 * (time.perf_counter() - t) / len(items)
        r = np.array(ranks, dtype=float)
        hit[name], rr[name] = (r == 1).astype(float), 1 / r
    cards: dict[str, dict] = {"hit@1": {}, "mrr": {}}
    for group, pred in GROUPS:
        idx = np.array([k for k, it in enumerate(items) if pred(it)])
        if len(idx):
            cards["hit@1"][group] = mean_with_ci(hit, "char", idx, resamples, seed, f"hit@1:{group}")
            cards["mrr"][group] = mean_with_ci(rr, "char", idx, resamples, seed, f"mrr:{group}")
    t = time.perf_counter()
    rows = statement_rows(items, std, full, hs_only)
    statement_s = time.perf_counter() - t
    aucs = {}
    for group, pred in GROUPS:
        ids = [k for k, it in enumerate(items) if pred(it)]
        if not any(r.item in set(ids) for r in rows):
            continue
        aucs[group] = auc_with_ci(rows, STATEMENT_SCORES, "char_cosine", ids, resamples, seed, f"auc:{group}")
    return {"n_items": len(items), "resamples": resamples, "seed": seed, "cards": cards, "ms_per_text": ms,
            "build_s": build_s, "normaliser_load_s": load_s, "statement_s": statement_s, "statements": aucs,
            "missing": full.missing}


def _fmt(v: dict, diff: bool = False) -> str:
    if diff:
        lo, hi = v["diff_ci95"]
        return f"{v['diff']:+.3f} ({lo:+.2f}..{hi:+.2f})"
    lo, hi = v["ci95"]
    return f"{v['value']:.3f} ({lo:.2f}-{hi:.2f})"


def markdown(out: dict) -> str:
    lines: list[str] = []
    groups = list(out["cards"]["mrr"])
    variants = list(out["cards"]["mrr"]["all"])
    head = "| variant | " + " | ".join(f"{g} (n={out['cards']['mrr'][g]['char']['n']})" for g in groups) + " |"
    sep = "|---" * (len(groups) + 1) + "|"
    for metric in ("hit@1", "mrr"):
        for diff in (False, True):
            title = f"Card {metric}" + (", paired difference to char" if diff else "") + " (95 % CI)"
            lines += ["", f"**{title}**", "", head, sep]
            for v in variants:
                if diff and v == "char":
                    continue
                lines.append(f"| {v} | " + " | ".join(_fmt(out["cards"][metric][g][v], diff) for g in groups) + " |")
    lines += ["", "**Time per text (card ranking, ms; card documents built once)**", "",
              "| variant | ms/text | build s |", "|---|---|---|"]
    for v, t in out["ms_per_text"].items():
        lines.append(f"| {v} | {t:.1f} | {out['build_s'].get(v, 0.0):.2f} |")
    lines.append(f"\nNormaliser load: {out['normaliser_load_s']:.2f} s (both); statement scoring: "
                 f"{out['statement_s']:.1f} s for all items.")
    st = out["statements"]
    sgroups = list(st)
    counts = {g: f"{st[g]['char_cosine']['n_covered']}+/{st[g]['char_cosine']['n_missing']}-" for g in sgroups}
    lines += ["", "**Statement level: ROC AUC covered vs missing (95 % CI; labelled covered+/missing-)**", "",
              "| score | " + " | ".join(f"{g} ({counts[g]})" for g in sgroups) + " |",
              "|---" * (len(sgroups) + 1) + "|"]
    for sc in STATEMENT_SCORES:
        lines.append(f"| {sc} | " + " | ".join(_fmt(st[g][sc]) for g in sgroups) + " |")
    lines += ["", "**Statement level: paired AUC difference to char_cosine (95 % CI)**", "",
              "| score | " + " | ".join(sgroups) + " |", "|---" * (len(sgroups) + 1) + "|"]
    for sc in STATEMENT_SCORES[1:]:
        lines.append(f"| {sc} | " + " | ".join(_fmt(st[g][sc], True) for g in sgroups) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.morphology", description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", type=Path, action="append", help="JSONL file (repeatable; default: the dev files)")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args(argv)
    try:
        items = dev_items(args.dataset)
        out = run(items, args.resamples, args.seed)
    except MatcherError as exc:  # e.g. runtime_missing: hunspell-kk, pymorphy3 or snowballstemmer not installed
        print(f"error ({exc.code}): {exc.message}", file=sys.stderr)
        return 2
    print(f"{out['n_items']} in-domain dev items; bootstrap {args.resamples} resamples, seed {args.seed}")
    print(markdown(out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
