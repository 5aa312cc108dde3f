"""Fitted scikit-learn models, frozen into plain arrays so that a match never imports scikit-learn.

scikit-learn fits the engine's models (``lexical_cache.fit``, ``python -m eval.calibrate``), but importing it costs
about 0.9 s of every cold start (``sklearn.utils.fixes`` imports ``scipy.stats``, and pandas when it is installed),
more than the rest of the engine's imports together. What a match needs of the fitted models is small and exactly
specified, so it is kept here as arrays and applied with NumPy and SciPy's sparse matrices:

* ``FrozenVectorizer``: ``CountVectorizer.transform`` / ``TfidfVectorizer.transform`` for the configurations the
  engine fits (analyzer ``char_wb`` or ``word`` with lower-casing, or a callable analyzer; raw or binary counts;
  sublinear tf, idf and l2 norm for TF-IDF);
* ``FrozenCoverage``: ``CalibratedClassifierCV(HistGradientBoostingClassifier, method="isotonic").predict_proba(x)
  [:, 1]`` (numerical splits only; ``ensemble`` either way), saved as an ``.npz`` of arrays
  (``allow_pickle=False``: no code is loaded from the file).

``FrozenVectorizer.of`` refuses any other configuration rather than guess, and ``FrozenCoverage.of`` checks its
own predictions against scikit-learn's on the rows it is given before it returns. ``tests/engine/test_frozen.py``
compares both with scikit-learn on real texts, and ``tests/eval/test_calibrate.py`` on real calibration features.
Freezing reads fitted attributes (for the trees, scikit-learn's private ``_predictors`` and
``_baseline_prediction``), but never imports scikit-learn itself.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's ``_VectorizerMixin._white_spaces``


def _char_wb_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """scikit-learn's ``_char_wb_ngrams``: char n-grams inside each space-padded word, a short word once."""
    out: list[str] = []
    for w in _WHITE_SPACES.sub(" ", text).split():
        w = f" {w} "
        size = len(w)
        for n in range(lo, hi + 1):
            out.extend(w[i : i + n] for i in range(max(size - n, 0) + 1))
            if size <= n:  # the whole padded word was the one n-gram: longer n add nothing
                break
    return out


@dataclass
class FrozenVectorizer:
    """A fitted ``CountVectorizer`` or ``TfidfVectorizer`` reduced to what ``transform`` reads."""

    analyzer: str | Callable[[str], list[str]]  # "char_wb", "word" or a callable (applied to the raw document)
    ngram_range: tuple[int, int]
    lowercase: bool
    token_pattern: str | None
    vocabulary_: dict[str, int]
    binary: bool
    idf: np.ndarray | None = None  # TF-IDF only (``None``: raw counts)
    sublinear_tf: bool = False
    norm: str | None = None
    tfidf: bool = False

    @classmethod
    def of(cls, vec: object) -> FrozenVectorizer:
        """Freeze a fitted scikit-learn vectorizer; ``ValueError`` for a configuration ``transform`` would not
        reproduce."""
        g = vec.__dict__
        tfidf = type(vec).__name__ == "TfidfVectorizer"
        unsupported = [k for k, v in (("input", "content"), ("strip_accents", None), ("preprocessor", None),
                                      ("tokenizer", None), ("stop_words", None)) if g.get(k, v) != v]
        if g["analyzer"] not in ("char_wb", "word") and not callable(g["analyzer"]):
            unsupported.append("analyzer")
        if g["analyzer"] == "word" and tuple(g["ngram_range"]) != (1, 1):
            unsupported.append("ngram_range")
        if g["analyzer"] == "word" and not isinstance(g.get("token_pattern"), str):
            unsupported.append("token_pattern")
        if tfidf and g.get("norm") not in ("l2", None):
            unsupported.append("norm")
        if unsupported or not isinstance(getattr(vec, "vocabulary_", None), dict):
            raise ValueError(f"cannot freeze this {type(vec).__name__}: {', '.join(unsupported) or 'not fitted'}")
        idf = np.asarray(vec.idf_, dtype=np.float64).copy() if tfidf and g.get("use_idf", True) else None
        return cls(analyzer=g["analyzer"], ngram_range=tuple(g["ngram_range"]), lowercase=bool(g["lowercase"]),
                   token_pattern=g.get("token_pattern"), vocabulary_=dict(vec.vocabulary_),
                   binary=bool(g["binary"]), idf=idf, sublinear_tf=bool(g.get("sublinear_tf", False)),
                   norm=g.get("norm") if tfidf else None, tfidf=tfidf)

    def analyze(self, doc: str) -> list[str]:
        if callable(self.analyzer):
            return self.analyzer(doc)
        if self.lowercase:
            doc = doc.lower()
        if self.analyzer == "char_wb":
            return _char_wb_ngrams(doc, *self.ngram_range)
        return re.findall(self.token_pattern, doc)

    def transform(self, docs: Iterable[str]) -> sp.csr_matrix:
        """The document-term matrix of ``docs``, as the fitted vectorizer's ``transform`` gives it."""
        vocab = self.vocabulary_
        cols: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for doc in docs:
            counter: dict[int, int] = {}
            for feature in self.analyze(doc):
                j = vocab.get(feature)
                if j is not None:
                    counter[j] = counter.get(j, 0) + 1
            cols.extend(counter)
            counts.extend(counter.values())
            indptr.append(len(cols))
        dtype = np.float64 if self.tfidf else np.int64
        x = sp.csr_matrix((np.asarray(counts, dtype=dtype), np.asarray(cols, dtype=np.int32),
                           np.asarray(indptr, dtype=np.int32)), shape=(len(indptr) - 1, len(vocab)))
        x.sort_indices()
        if self.binary:
            x.data.fill(1)
        if not self.tfidf:
            return x
        if self.sublinear_tf:
            np.log(x.data, x.data)
            x.data += 1.0
        if self.idf is not None:
            x.data *= self.idf[x.indices]
        if self.norm == "l2":
            rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
            # summed row by row in order, as scikit-learn's ``inplace_csr_row_normalize_l2`` does
            norms = np.sqrt(np.bincount(rows, weights=x.data * x.data, minlength=x.shape[0]))
            norms[norms == 0.0] = 1.0
            x.data /= np.repeat(norms, np.diff(x.indptr))
        return x


@dataclass
class FrozenCoverage:
    """Gradient-boosted trees (numerical splits), each member's raw score calibrated by isotonic regression, the
    members' probabilities averaged (one member for ``ensemble=False``, one per fold for ``ensemble=True``)."""

    feature: np.ndarray  # per node, over all trees: the feature index of its split
    threshold: np.ndarray  # go left when x <= threshold
    missing_left: np.ndarray  # where a NaN goes
    left: np.ndarray  # child node indices, global (into these arrays)
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray  # a leaf's raw score
    roots: np.ndarray  # each tree's root node, in the order the trees are summed
    tree_member: np.ndarray  # each tree's member
    baseline: np.ndarray  # each member's baseline raw score
    iso_x: np.ndarray  # the members' isotonic thresholds, one after the other (clipped, linearly interpolated)
    iso_y: np.ndarray
    iso_start: np.ndarray  # where each member's thresholds start in iso_x, and the end
    n_features: int

    FIELDS = ("feature", "threshold", "missing_left", "left", "right", "leaf", "value", "roots", "tree_member",
              "baseline", "iso_x", "iso_y", "iso_start")

    @classmethod
    def of(cls, model: object, x_check: np.ndarray) -> FrozenCoverage:
        """Freeze a fitted ``CalibratedClassifierCV(HistGradientBoostingClassifier(...), method="isotonic")`` of a
        binary target; ``ValueError`` for anything else, or if the frozen model does not give scikit-learn's
        probabilities on ``x_check`` (to 1e-9)."""
        members = getattr(model, "calibrated_classifiers_", None)
        if not members or getattr(model, "method", None) != "isotonic" or len(model.classes_) != 2:
            raise ValueError("only a fitted CalibratedClassifierCV(method='isotonic') of two classes")
        nodes_of, tree_member, baselines, isos, n_features = [], [], [], [], None
        for k, member in enumerate(members):
            est, (iso,) = member.estimator, member.calibrators
            if type(est).__name__ != "HistGradientBoostingClassifier" or est.n_trees_per_iteration_ != 1:
                raise ValueError(f"only a binary HistGradientBoostingClassifier, not {type(est).__name__}")
            if n_features not in (None, est.n_features_in_):
                raise ValueError("members fitted on different features")
            n_features = int(est.n_features_in_)
            for (tree,) in est._predictors:
                if tree.nodes["is_categorical"].any():
                    raise ValueError("a tree with categorical splits")
                nodes_of.append(tree.nodes)
                tree_member.append(k)
            baselines.append(float(np.ravel(est._baseline_prediction)[0]))
            isos.append((np.asarray(iso.X_thresholds_, dtype=np.float64), np.asarray(iso.y_thresholds_,
                                                                                      dtype=np.float64)))
        sizes = np.array([len(n) for n in nodes_of], dtype=np.int64)
        roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        shift = np.repeat(roots, sizes)

        def cat(field: str) -> np.ndarray:
            return np.concatenate([n[field] for n in nodes_of])

        frozen = cls(feature=cat("feature_idx").astype(np.int64), threshold=cat("num_threshold").astype(np.float64),
                     missing_left=cat("missing_go_to_left").astype(bool), left=cat("left").astype(np.int64) + shift,
                     right=cat("right").astype(np.int64) + shift, leaf=cat("is_leaf").astype(bool),
                     value=cat("value").astype(np.float64), roots=roots,
                     tree_member=np.array(tree_member, dtype=np.int64), baseline=np.array(baselines),
                     iso_x=np.concatenate([x for x, _ in isos]), iso_y=np.concatenate([y for _, y in isos]),
                     iso_start=np.cumsum([0] + [len(x) for x, _ in isos]).astype(np.int64), n_features=n_features)
        want = model.predict_proba(x_check)[:, 1]
        got = frozen.predict(x_check)
        if not np.allclose(got, want, rtol=0, atol=1e-9):
            raise ValueError(f"the frozen model differs from scikit-learn's by {np.abs(got - want).max():.3g}")
        return frozen

    def raw(self, x: np.ndarray) -> np.ndarray:
        """(members, rows): each member's summed raw score (``HistGradientBoostingClassifier.decision_function``)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"expected (n, {self.n_features}) features, got {x.shape}")
        rows = np.arange(x.shape[0])[:, None]
        node = np.broadcast_to(self.roots, (x.shape[0], self.roots.shape[0])).copy()
        while True:
            inner = ~self.leaf[node]
            if not inner.any():
                break
            v = x[rows, self.feature[node]]
            go_left = np.where(np.isnan(v), self.missing_left[node], v <= self.threshold[node])
            node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
        values = self.value[node]
        out = np.repeat(self.baseline[:, None], x.shape[0], axis=1)
        for t, k in enumerate(self.tree_member.tolist()):  # tree by tree, as scikit-learn adds them
            out[k] += values[:, t]
        return out

    def predict(self, x: np.ndarray) -> np.ndarray:
        """P(class 1) for each row of ``x``: the mean of the members' calibrated probabilities."""
        total = np.zeros(np.asarray(x).shape[0])
        for k, raw in enumerate(self.raw(x)):
            xs, ys = (a[self.iso_start[k] : self.iso_start[k + 1]] for a in (self.iso_x, self.iso_y))
            total += np.interp(np.clip(raw, xs[0], xs[-1]), xs, ys) if len(xs) > 1 else np.full(len(raw), ys[0])
        return total / len(self.baseline)

    def save(self, path: Path | object) -> None:
        """Write the arrays as an ``.npz`` (``path``: a file name or a binary file object)."""
        np.savez(path, n_features=np.int64(self.n_features), **{k: getattr(self, k) for k in self.FIELDS})

    @classmethod
    def load(cls, path: Path | object) -> FrozenCoverage:
        """Read an ``.npz`` written by ``save``; ``ValueError`` if it is not one, or its arrays do not fit."""
        try:
            with np.load(path, allow_pickle=False) as npz:
                a = {k: npz[k] for k in cls.FIELDS}
                n_features = int(npz["n_features"])
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"not a frozen coverage model ({type(exc).__name__})") from None
        n, n_trees, n_members = len(a["feature"]), len(a["roots"]), len(a["baseline"])
        inner = np.flatnonzero(~a["leaf"].astype(bool))
        try:
            fits = (all(len(a[k]) == n for k in ("threshold", "missing_left", "left", "right", "leaf", "value"))
                    and len(a["tree_member"]) == n_trees and n_members > 0 and len(a["iso_start"]) == n_members + 1
                    and len(a["iso_x"]) == len(a["iso_y"]) == a["iso_start"][-1] and a["iso_start"][0] == 0
                    and (np.diff(a["iso_start"]) > 0).all() and ((a["roots"] >= 0) & (a["roots"] < n)).all()
                    and ((a["tree_member"] >= 0) & (a["tree_member"] < n_members)).all()
                    # a child always comes after its node (as scikit-learn grows them): every walk ends at a leaf
                    and (a["left"][inner] > inner).all() and (a["right"][inner] > inner).all()
                    and (a["left"][inner] < n).all() and (a["right"][inner] < n).all()
                    and ((a["feature"][inner] >= 0) & (a["feature"][inner] < n_features)).all())
        except (TypeError, ValueError, IndexError):
            fits = False
        if not fits:
            raise ValueError("a frozen coverage model whose arrays do not fit together")
        return cls(n_features=n_features, **a)
