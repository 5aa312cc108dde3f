"""Features of "does this text show this statement?", for the calibrated coverage classifier.

One row per statement of the standard, computed from a scored text (``Scored``) after the evidence mask (headings,
languages and the like are never evidence). The classifier itself is fitted on the dev split's statement labels by
``python -m eval.calibrate`` and applied by ``matcher.engine.calibration``; this module only measures.

The features (``COVERAGE_FEATURES``, in this order):

* ``best``, ``second``, ``margin``: the best and second-best segment cosine of the statement, and their gap;
* ``lexical``: the best Kazakh char n-gram TF-IDF cosine;
* ``rank_log``: log(1 + the statement's rank among the best segment's nearest statements);
* ``stem_overlap``: the share of the statement's word stems (in the best segment's language) found in that segment,
  and ``stem_overlap_max`` the same over every segment;
* ``statement_len_log``, ``segment_len_log``: log character lengths of the statement and of its best segment;
* ``z``, ``rel_top10``: the best cosine relative to this text's other statements (standard score, and minus the
  mean of its ten best), since some texts are near everything;
* ``knowledge``: 1 for knowledge statements (Білімі), 0 for abilities (Машығы);
* ``segments_sqrt``: sqrt(segments) / 10, the text's size.
"""

from __future__ import annotations

import math
import re

import numpy as np

from matcher.engine.frozen import FrozenVectorizer
from matcher.standard.schema import Statement
from matcher.text import Segment

COVERAGE_FEATURES = ("best", "second", "margin", "lexical", "rank_log", "stem_overlap", "stem_overlap_max",
                     "statement_len_log", "segment_len_log", "z", "rel_top10", "knowledge", "segments_sqrt")
LANGS = ("kk", "ru", "en")
_WORD = re.compile(r"[^\W\d_]{3,}")


def prefix_stems(text: str) -> list[str]:
    """Words of three letters or more, cut to their first five: a crude stem that holds across the case endings of
    Kazakh and Russian (қызметкерлердің, қызметкерге -> қызме; социальных, социальной -> социа)."""
    return [w[:5] for w in _WORD.findall(text.lower())]


class StatementStems:
    """Binary stem vectors of every statement row, in each language of the standard's texts."""

    def __init__(self, rows: list[Statement], kinds: list[str]):
        texts = {lang: [getattr(st.text, lang) or st.text.kk for st in rows] for lang in LANGS}
        from sklearn.feature_extraction.text import CountVectorizer  # fitting only: a match never imports it

        self.vectorizer = FrozenVectorizer.of(CountVectorizer(analyzer=prefix_stems, binary=True)
                                              .fit([t for lang in LANGS for t in texts[lang]]))
        self.rows = {lang: self.vectorizer.transform(texts[lang]).T.tocsr().astype(np.float32) for lang in LANGS}
        self.sizes = {lang: np.maximum(np.asarray(self.rows[lang].sum(axis=0)).ravel(), 1.0) for lang in LANGS}
        self.statement_len = np.log(np.array([max(len(st.text.kk), 1) for st in rows], dtype=np.float32))
        self.knowledge = np.array([k == "knowledge" for k in kinds], dtype=np.float32)

    def overlap(self, segs: list[Segment]) -> np.ndarray:
        """(segments, statements): the share of each statement's stems that each segment contains, the statement
        taken in the segment's language (Kazakh for any other)."""
        seg_m = self.vectorizer.transform([s.text for s in segs]).astype(np.float32)
        out = np.zeros((len(segs), self.statement_len.shape[0]), dtype=np.float32)
        for lang in LANGS:
            idx = [i for i, s in enumerate(segs) if (s.lang if s.lang in LANGS else "kk") == lang]
            if idx:
                out[idx] = (seg_m[idx] @ self.rows[lang]).toarray() / self.sizes[lang]
        return out


def features(segs: list[Segment], dense: np.ndarray, lexical: np.ndarray, stems: StatementStems) -> np.ndarray:
    """(statements, len(COVERAGE_FEATURES)) for one text: ``dense`` and ``lexical`` are (segments, statements),
    with the segments that may not be quoted already masked (dense -1, lexical 0)."""
    n_seg, n_rows = dense.shape
    cols = np.arange(n_rows)
    best_seg = dense.argmax(axis=0)
    best = dense[best_seg, cols]
    second = np.partition(dense, n_seg - 2, axis=0)[n_seg - 2] if n_seg > 1 else np.full(n_rows, -1.0, np.float32)
    # rank of each statement among its best segment's statements: how many score higher for that segment
    rank = (dense[best_seg] > best[:, None]).sum(axis=1)
    overlap = stems.overlap(segs)
    seg_len = np.log(np.array([len(s.text) + 1 for s in segs], dtype=np.float32))
    top10 = float(np.sort(best)[-10:].mean())
    return np.column_stack([
        best, second, best - second, lexical.max(axis=0), np.log1p(rank), overlap[best_seg, cols],
        overlap.max(axis=0), stems.statement_len, seg_len[best_seg], (best - best.mean()) / (best.std() + 1e-6),
        best - top10, stems.knowledge, np.full(n_rows, math.sqrt(n_seg) / 10, np.float32),
    ]).astype(np.float32)
