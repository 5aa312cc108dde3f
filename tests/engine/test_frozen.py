"""Frozen models (``matcher.engine.frozen``): the engine's vectorizers and coverage classifier applied without
scikit-learn give scikit-learn's own results on real texts, other configurations are refused, a damaged model file
is refused, and a cold ``matcher match`` with a warm index never imports scikit-learn or joblib."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from matcher import standard
from matcher.config import Settings
from matcher.engine.coverage import prefix_stems
from matcher.engine.frozen import FrozenCoverage, FrozenVectorizer
from matcher.standard.curate import statements
from matcher.text.morphology import default_normaliser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """The dev split's real and synthetic texts, line by line, and every statement in kk/ru/en."""
    lines = []
    for name in ("dev.jsonl", "dev_real.jsonl"):
        for row in (ROOT / "eval/data" / name).read_text(encoding="utf-8").splitlines():
            lines += [x for x in json.loads(row)["text"].splitlines() if x.strip()]
    rows = [st for _, st in statements(standard.load(Settings()))]
    return lines + [getattr(st.text, lang) for st in rows for lang in ("kk", "ru", "en") if getattr(st.text, lang)]


def _tokens(tokens: list[str]) -> list[str]:
    return tokens


def assert_identical(a: object, b: object) -> None:
    """Two sparse matrices with the same shape, structure and values, bit for bit."""
    assert a.shape == b.shape and a.nnz == b.nnz > 0
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("make", [
    lambda: TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    lambda: TfidfVectorizer(analyzer="word", sublinear_tf=True),
    lambda: TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), use_idf=False, norm=None),
    lambda: CountVectorizer(analyzer=prefix_stems, binary=True),
    lambda: CountVectorizer(analyzer="word"),
], ids=["char_wb tfidf", "word tfidf", "char_wb tf", "stems binary", "word counts"])
def test_a_frozen_vectorizer_transforms_as_scikit_learn(texts, make):
    vec = make().fit(texts[::3])  # fitted on a third: the other lines hold unseen terms too
    frozen = FrozenVectorizer.of(vec)
    assert_identical(frozen.transform(texts), vec.transform(texts))
    assert frozen.transform([""]).nnz == 0 and frozen.transform([]).shape == (0, len(vec.vocabulary_))


def test_a_callable_analyzer_on_stems_transforms_as_scikit_learn(texts):
    n = default_normaliser()
    docs = [n.tokens(t) for t in texts[:400]]
    vec = TfidfVectorizer(analyzer=_tokens, sublinear_tf=True).fit(docs[::2])
    assert_identical(FrozenVectorizer.of(vec).transform(docs), vec.transform(docs))


@pytest.mark.parametrize("options", [{"analyzer": "char"}, {"strip_accents": "unicode"}, {"ngram_range": (1, 2)},
                                     {"stop_words": ["және"]}, {"norm": "l1"}])
def test_configurations_it_would_not_reproduce_are_refused(texts, options):
    vec = TfidfVectorizer(**options).fit(texts[:50])
    with pytest.raises(ValueError, match="cannot freeze"):
        FrozenVectorizer.of(vec)
    with pytest.raises(ValueError, match="not fitted"):
        FrozenVectorizer.of(TfidfVectorizer())


def _real_rows(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Features of real lines (lengths, letters, digits, Cyrillic share, words), some missing, and whether the line
    is Kazakh-specific (has one of әғқңөұүһі): a real binary target, with NaNs the trees must route."""
    kk = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
    x, y = [], []
    for i, t in enumerate(texts):
        letters = sum(c.isalpha() for c in t)
        x.append([math.log1p(len(t)), letters / max(len(t), 1), sum(c.isdigit() for c in t) / max(len(t), 1),
                  sum("а" <= c.lower() <= "я" for c in t) / max(letters, 1), len(t.split()),
                  float("nan") if i % 7 == 0 else t.count(",")])
        y.append(int(any(c in kk for c in t)))
    return np.array(x, dtype=np.float32), np.array(y)


@pytest.mark.parametrize("ensemble", [False, True])
def test_a_frozen_coverage_model_predicts_as_scikit_learn(texts, ensemble, tmp_path):
    x, y = _real_rows(texts)
    assert 0.2 < y.mean() < 0.8
    model = CalibratedClassifierCV(HistGradientBoostingClassifier(max_depth=3, max_iter=60, random_state=0), cv=3,
                                   method="isotonic", ensemble=ensemble).fit(x[::2], y[::2])
    frozen = FrozenCoverage.of(model, x[::2])
    want = model.predict_proba(x)[:, 1]
    np.testing.assert_allclose(frozen.predict(x), want, rtol=0, atol=1e-12)
    assert len(set(np.round(want, 3))) > 5  # a real spread of probabilities, not a constant
    path = tmp_path / "m.npz"
    frozen.save(path)
    np.testing.assert_array_equal(FrozenCoverage.load(path).predict(x), frozen.predict(x))
    with pytest.raises(ValueError, match="features"):
        frozen.predict(x[:, :3])


def test_a_damaged_or_foreign_coverage_file_is_refused(texts, tmp_path):
    x, y = _real_rows(texts[:600])
    model = CalibratedClassifierCV(HistGradientBoostingClassifier(max_depth=3, max_iter=20, random_state=0), cv=3,
                                   method="isotonic", ensemble=False).fit(x, y)
    buf = io.BytesIO()
    FrozenCoverage.of(model, x).save(buf)
    good = buf.getvalue()
    (tmp_path / "truncated.npz").write_bytes(good[: len(good) // 2])
    (tmp_path / "garbage.npz").write_bytes(b"\x00not a model" * 50)
    frozen = FrozenCoverage.load(io.BytesIO(good))
    frozen.left = frozen.left.copy()
    inner = np.flatnonzero(~frozen.leaf)
    frozen.left[inner[-1]] = inner[-1]  # a node that is its own child: a walk that would never end
    frozen.save(tmp_path / "cycle.npz")
    for name, why in (("truncated.npz", "not a frozen"), ("garbage.npz", "not a frozen"), ("cycle.npz", "fit")):
        with pytest.raises(ValueError, match=why):
            FrozenCoverage.load(tmp_path / name)
    with pytest.raises(ValueError, match="only a fitted CalibratedClassifierCV"):
        FrozenCoverage.of(HistGradientBoostingClassifier(max_iter=5).fit(x, y), x)


@pytest.mark.slow  # the real model, in a child process
def test_a_cold_match_on_a_warm_index_never_imports_scikit_learn(matcher, tmp_path):
    """The shared matcher has built the index and the lexical cache; a fresh ``matcher match`` then loads them and
    the frozen coverage model, and answers without scikit-learn, SciPy's statistics or joblib; the ``matcher``
    command's fast exit loses none of its output and keeps its exit status."""
    cv = tmp_path / "cv.txt"
    cv.write_text((ROOT / "examples/cv_ru_interpreter.txt").read_text(encoding="utf-8"), encoding="utf-8")
    code = ("import sys, json\nfrom matcher.cli import main\n"
            "code = main(['match', sys.argv[1], '--json'])\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'joblib') or "
            "m == 'scipy.stats')), file=sys.stderr)\nsys.exit(code)\n")
    run = subprocess.run([sys.executable, "-c", code, str(cv)], capture_output=True, text=True, timeout=300,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["in_scope"] is True and result["occupations"][0]["covered"]  # a real answer, with evidence
    assert json.loads(run.stderr.strip().splitlines()[-1]) == []
    # the command itself (``run``: ``main``, then os._exit for a one-shot command) prints the same, flushed
    command = subprocess.run([sys.executable, "-m", "matcher.cli", "match", str(cv), "--json"], capture_output=True,
                             text=True, timeout=300, cwd=ROOT)
    assert command.returncode == 0 and command.stdout == run.stdout, command.stderr[-2000:]
    missing = subprocess.run([sys.executable, "-m", "matcher.cli", "match", str(tmp_path / "none.txt")],
                             capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert missing.returncode == 2 and "no such file" in missing.stderr and not missing.stdout
