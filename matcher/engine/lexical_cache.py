"""The engine's fitted lexical models, persisted in the index folder so a cold start loads instead of refitting.

What ``Matcher.__init__`` fits depends only on the dataset, the contrast set, the settings that change the fit
(``card_lexical_stems``) and the code and library versions that fit it: the statement TF-IDF (Kazakh texts, char
3-5-grams), ``CardLexical``, ``ContrastLexical`` and the statement stems (``coverage.StatementStems``). ``load_or_fit``
keeps them in ``<index_dir>/<code>.lexical-<variant>.<key>.pickle``, where ``key`` is a sha256 of all of it (see
``cache_key``), so a stale file is simply another name, never served; after a new file is written the older files
of the same variant are removed.

The file is a pickle (the index folder is trusted like the FAISS index next to it) of the models as the engine
applies them: the vectorizers frozen (``matcher.engine.frozen``), so that loading it imports neither scikit-learn nor
joblib. Each vectorizer's vocabulary is stored as its terms in index order, one string and an array of lengths, not
as a dict: the unpickler rebuilds a dict of 100,000 n-grams an order of magnitude slower than this module does. A
file that cannot be read, holds something else or does not fit the dataset is logged and refitted; a folder that
cannot be written (read-only) only means fitting in memory on every start. Writes go through a temporary file and
a rename.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import logging
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from matcher.config import Settings
from matcher.engine import coverage as coverage_mod
from matcher.engine import frozen as frozen_mod
from matcher.engine import lexical as lexical_mod
from matcher.engine.coverage import StatementStems
from matcher.engine.frozen import FrozenVectorizer
from matcher.engine.lexical import CardLexical, ContrastLexical
from matcher.files import sha256_file, slug, write_atomic
from matcher.standard.contrast import ContrastLine
from matcher.standard.curate import statements
from matcher.standard.schema import Standard
from matcher.text import morphology
from matcher.text.morphology import Normaliser

log = logging.getLogger(__name__)

FORMAT = 2  # bump when what is stored, or how it is fitted, changes in a way the key does not see
# libraries whose versions change the stems of a Normaliser (part of the key when card_lexical_stems is on)
_MORPHOLOGY_PACKAGES = ("chunspell", "pymorphy3", "pymorphy3-dicts-ru", "snowballstemmer", "spacy")


@dataclass
class LexicalModels:
    """Everything lexical ``Matcher.__init__`` fits: the statement TF-IDF and its matrix (one row per statement, in
    ``curate.statements`` order), the card and contrast similarities and the statement stems."""

    statements: FrozenVectorizer
    statement_matrix: sp.csr_matrix
    cards: CardLexical
    contrast: ContrastLexical
    stems: StatementStems


def fit(std: Standard, contrast: list[ContrastLine], normaliser: Normaliser | None) -> LexicalModels:
    """Fit every lexical model from scratch (what a cache file holds)."""
    rows = statements(std)
    vectorizer, matrix = lexical_mod.fit_tfidf([st.text.kk for _, st in rows], analyzer="char_wb",
                                               ngram_range=(3, 5), sublinear_tf=True, min_df=1)
    return LexicalModels(statements=vectorizer, statement_matrix=matrix, cards=CardLexical(std, normaliser),
                         contrast=ContrastLexical(std, contrast),
                         stems=StatementStems([st for _, st in rows], [kind for kind, _ in rows]))


# -- the key ------------------------------------------------------------------------------------------------
def _file_digest(path: Path) -> str:
    return sha256_file(path) if path.is_file() else "absent"


def _source_digest(*modules: object) -> str:
    """sha256 of the modules' source files: the code that fits (its n-gram ranges, analyzers, documents)."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(_file_digest(Path(getattr(module, "__file__", "") or "")).encode())
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _normaliser_fingerprint(normaliser: Normaliser | None) -> list[str]:
    """What the stems of ``normaliser`` depend on: its options, what it lacks, its dictionary, libraries, code."""
    if normaliser is None:
        return ["no-normaliser"]
    n = normaliser
    return [type(n).__qualname__, str(n.kk_dictionary), f"suffixes={n.kk_suffixes}", f"stop_words={n.stop_words}",
            "missing=" + ",".join(f"{k}:{v}" for k, v in sorted(n.missing.items())),
            _file_digest(n.kk_dictionary.with_suffix(".aff")), _file_digest(n.kk_dictionary.with_suffix(".dic")),
            *(f"{p}={_version(p)}" for p in _MORPHOLOGY_PACKAGES), _source_digest(morphology)]


def _inputs_digest(std: Standard, contrast: list[ContrastLine]) -> str:
    """sha256 of the texts the models are fitted on, so a standard or contrast set passed in that differs from the
    files (a test's, an evaluation variant's) never meets a model fitted on the files."""
    digest = hashlib.sha256()
    for kind, st in statements(std):
        digest.update("\0".join(["row", kind, st.id, st.text.kk, st.text.ru, st.text.en]).encode())
    for occ in std.occupations:
        digest.update(("\0card\0" + lexical_mod.card_document(occ)).encode())
        for *_, st in occ.walk():
            digest.update("\0".join(["", st.text.kk, st.text.ru, st.text.en]).encode())
    for line in contrast:
        digest.update("\0".join(["contrast", line.occupation, line.lang, line.text]).encode())
    return digest.hexdigest()


def variant(settings: Settings) -> str:
    """The part of the file name set by the settings that change the fit (files of one variant replace each
    other; those of another are left alone)."""
    return "stems" if settings.card_lexical_stems else "char"


def cache_key(std: Standard, contrast: list[ContrastLine], settings: Settings, normaliser: Normaliser | None) -> str:
    """sha256 of everything the fit depends on: this module's ``FORMAT``, the Python, scikit-learn, SciPy and NumPy
    versions, the bytes of the dataset and contrast files (``settings.dataset_path``, ``settings.contrast_path``),
    the texts actually fitted on, the fitting code, ``card_lexical_stems`` and, with it, the normaliser's
    fingerprint."""
    s = settings
    parts = [f"format={FORMAT}", f"python={sys.version_info.major}.{sys.version_info.minor}",
             f"sklearn={_version('scikit-learn')}", f"scipy={_version('scipy')}", f"numpy={np.__version__}",
             "dataset=" + _file_digest(s.dataset_path), "contrast=" + _file_digest(s.contrast_path),
             "inputs=" + _inputs_digest(std, contrast), "code=" + _source_digest(sys.modules[__name__], lexical_mod,
                                                                                  coverage_mod, frozen_mod),
             f"card_lexical_stems={s.card_lexical_stems}", *_normaliser_fingerprint(normaliser)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def cache_path(settings: Settings, key: str) -> Path:
    """``<index_dir>/<standard>.lexical-<variant>.<key>.pickle`` (the key shortened to 32 hex digits)."""
    return settings.index_dir / f"{slug(settings.standard_code)}.lexical-{variant(settings)}.{key[:32]}.pickle"


# -- packing: vocabularies as term lists ----------------------------------------------------------------------
class CacheProblem(ValueError):
    """Why a lexical cache file cannot be used (logged, then the models are refitted)."""


@dataclass
class _Terms:
    """A vectorizer's vocabulary (term -> column) as its terms in column order: all of them in one string, and
    each one's length."""

    text: str
    lengths: np.ndarray

    @classmethod
    def of(cls, vocabulary: dict[str, int]) -> _Terms:
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        if [vocabulary[t] for t in terms] != list(range(len(terms))):
            raise ValueError("a vocabulary whose columns are not 0..n-1")
        return cls("".join(terms), np.array([len(t) for t in terms], dtype=np.int64))

    def vocabulary(self) -> dict[str, int]:
        lengths = np.asarray(self.lengths)
        if not isinstance(self.text, str) or lengths.ndim != 1 or lengths.dtype.kind != "i" or (lengths < 0).any() \
                or int(lengths.sum()) != len(self.text):
            raise CacheProblem("a vocabulary that does not add up")
        ends = np.cumsum(lengths).tolist()
        starts = [0, *ends[:-1]]
        vocab = {self.text[a:b]: i for i, (a, b) in enumerate(zip(starts, ends, strict=True))}
        if len(vocab) != len(ends):
            raise CacheProblem("a vocabulary with repeated terms")
        return vocab


_CONTAINERS = (LexicalModels, CardLexical, ContrastLexical, StatementStems)


def _convert(obj: object, fn: Callable[[FrozenVectorizer], FrozenVectorizer]) -> object:
    """A copy of ``obj`` with every vectorizer inside it (in the models' attributes and lists) replaced by
    ``fn(vectorizer)``; the original is left as it is."""
    if isinstance(obj, FrozenVectorizer):
        return fn(obj)
    if isinstance(obj, list):
        return [_convert(x, fn) for x in obj]
    if isinstance(obj, _CONTAINERS):
        out = copy.copy(obj)
        for name, value in vars(obj).items():
            setattr(out, name, _convert(value, fn))
        return out
    return obj


def _packed(vec: FrozenVectorizer) -> FrozenVectorizer:
    out = copy.copy(vec)
    out.vocabulary_ = _Terms.of(vec.vocabulary_)
    return out


def _unpacked(vec: FrozenVectorizer) -> FrozenVectorizer:
    terms = vec.vocabulary_
    if not isinstance(terms, _Terms):
        raise CacheProblem(f"a vectorizer whose vocabulary is a {type(terms).__name__}")
    out = copy.copy(vec)
    out.vocabulary_ = terms.vocabulary()
    return out


def _pack(models: LexicalModels, key: str) -> dict[str, object]:
    packed = _convert(models, _packed)
    assert isinstance(packed, LexicalModels)
    packed.cards.normaliser = None  # set again on load: a Normaliser holds hunspell's C++ object
    return {"format": FORMAT, "key": key, "models": packed}


def _n_terms(vec: FrozenVectorizer) -> int:
    vocabulary = getattr(vec, "vocabulary_", None)
    if not isinstance(vocabulary, dict):
        raise CacheProblem(f"a {type(vec).__name__} without a vocabulary")
    return len(vocabulary)


def _check(models: object, std: Standard, normaliser: Normaliser | None) -> LexicalModels:
    """``models`` if it is a complete ``LexicalModels`` of this standard's shape; else ``CacheProblem``."""
    if not isinstance(models, LexicalModels):
        raise CacheProblem(f"holds a {type(models).__name__}, not LexicalModels")
    m = models
    expect = [("statements", m.statements, FrozenVectorizer), ("cards", m.cards, CardLexical),
              ("contrast", m.contrast, ContrastLexical), ("stems", m.stems, StatementStems),
              ("card vectorizer", getattr(m.cards, "vectorizer", None), FrozenVectorizer),
              ("stems vectorizer", getattr(m.stems, "vectorizer", None), FrozenVectorizer),
              *(("contrast vectorizer", v, FrozenVectorizer) for v in getattr(m.contrast, "vectorizers", []))]
    for what, value, cls in expect:
        if not isinstance(value, cls):
            raise CacheProblem(f"its {what} is a {type(value).__name__}, not {cls.__name__}")
    n_rows, n_cards = len(statements(std)), len(std.occupations)
    if (normaliser is None) == hasattr(m.cards, "words"):
        raise CacheProblem("card models fitted with another stems setting")
    shapes = [(m.statement_matrix, (n_rows, _n_terms(m.statements))),
              (m.cards.cards, (n_cards, _n_terms(m.cards.vectorizer)))]
    if normaliser is not None:
        shapes.append((m.cards.word_cards, (n_cards, _n_terms(m.cards.words))))
    if m.contrast.n_cards != n_cards or len(m.contrast.docs) != len(m.contrast.vectorizers):
        raise CacheProblem("contrast models of another shape")
    shapes += [(docs, (docs.shape[0], _n_terms(vec))) for vec, docs in zip(m.contrast.vectorizers,
                                                                                m.contrast.docs, strict=True)]
    for matrix, shape in shapes:
        if not sp.issparse(matrix) or matrix.shape != shape:
            raise CacheProblem(f"a matrix of shape {getattr(matrix, 'shape', None)}, expected {shape}")
    if m.stems.statement_len.shape != (n_rows,):
        raise CacheProblem(f"stems of {m.stems.statement_len.shape} rows, expected {n_rows}")
    return m


def read(path: Path, key: str, std: Standard, normaliser: Normaliser | None) -> LexicalModels:
    """The models in a cache file, checked; ``CacheProblem`` says why they cannot be used."""
    try:
        with path.open("rb") as f:
            payload = pickle.load(f)  # noqa: S301 - the index folder is trusted, as its FAISS index
    except Exception as exc:  # truncated or foreign bytes: pickle, EOF, zlib, import or attribute errors
        raise CacheProblem(f"unreadable ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or payload.get("key") != key:
        raise CacheProblem("not a lexical cache of this format and key")
    try:
        models = _convert(payload.get("models"), _unpacked)
    except CacheProblem:
        raise
    except Exception as exc:
        raise CacheProblem(f"models unreadable ({type(exc).__name__})") from None
    try:
        models = _check(models, std, normaliser)
    except CacheProblem:
        raise
    except Exception as exc:  # attributes of another shape than the classes have today
        raise CacheProblem(f"models of another shape ({type(exc).__name__})") from None
    models.cards.normaliser = normaliser
    return models


def write(path: Path, models: LexicalModels, key: str) -> None:
    """Dump the models atomically (temporary file and rename), then remove older files of the same variant."""
    write_atomic(path, pickle.dumps(_pack(models, key), protocol=pickle.HIGHEST_PROTOCOL))
    prefix = path.name.rsplit(".", 2)[0]  # <standard>.lexical-<variant>
    for old in [*path.parent.glob(f"{prefix}.*.pickle"), *path.parent.glob(f"{prefix}.*.joblib")]:
        if old != path:
            try:
                old.unlink(missing_ok=True)
            except OSError as exc:  # another process's file system rights: it stays, and is never read
                log.info("lexical cache: stale %s not removed (%s)", old, type(exc).__name__)


def load_or_fit(std: Standard, contrast: list[ContrastLine], settings: Settings,
                normaliser: Normaliser | None = None) -> LexicalModels:
    """The lexical models from the index folder's cache file, or fitted (and the file written) when it is missing,
    stale, unreadable or does not fit; never fails for the file's sake (a read-only folder: fitted in memory)."""
    key = cache_key(std, contrast, settings, normaliser)
    path = cache_path(settings, key)
    if path.is_file():
        try:
            return read(path, key, std, normaliser)
        except CacheProblem as why:
            log.warning("lexical cache: refitting, %s cannot be used: %s", path, why)
        except OSError as exc:
            log.warning("lexical cache: refitting, %s cannot be read: %s", path, type(exc).__name__)
    models = fit(std, contrast, normaliser)
    try:
        write(path, models, key)
    except Exception as exc:  # a read-only or full folder, a model that cannot be packed: never fails a match
        log.warning("lexical cache: %s not written (%s); the models are fitted on every start", path,
                    type(exc).__name__)
    return models
