"""The fitted lexical models persisted in the index folder (``matcher.engine.lexical_cache``): loaded on a second
build instead of refitted, identical to a fresh fit, refitted when the file is damaged or the fit's inputs change,
and never a crash when the folder cannot be written."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import numpy as np
import pytest
from helpers import EN_CV, KK_CV, RU_CV

from matcher import standard
from matcher.config import Settings
from matcher.engine import Matcher, lexical_cache
from matcher.engine.lexical_cache import LexicalModels
from matcher.standard.contrast import ContrastLine, load_contrast
from matcher.standard.curate import statements
from matcher.standard.schema import Standard


@pytest.fixture(scope="module")
def std() -> Standard:
    return standard.load(Settings())


@pytest.fixture(scope="module")
def contrast() -> list[ContrastLine]:
    return load_contrast(Settings().contrast_path)


@pytest.fixture(scope="module")
def fresh(std: Standard, contrast: list[ContrastLine]) -> LexicalModels:
    """A fit from scratch, never through a file: what every loaded model must equal."""
    return lexical_cache.fit(std, contrast, None)


def texts(std: Standard) -> list[str]:
    """Real texts of the dataset in its three languages, and three example CVs."""
    rows = [st for _, st in statements(std)]
    return [RU_CV, KK_CV, EN_CV, *(getattr(st.text, lang) for st in rows[::150] for lang in ("kk", "ru", "en"))]


def assert_same(a: LexicalModels, b: LexicalModels, std: Standard) -> None:
    """Every model of ``a`` gives ``b``'s similarities (to 1e-9) on real texts, from the same vocabularies."""
    sample = texts(std)
    assert a.statements.vocabulary_ == b.statements.vocabulary_
    assert a.cards.vectorizer.vocabulary_ == b.cards.vectorizer.vocabulary_
    assert a.stems.vectorizer.vocabulary_ == b.stems.vectorizer.vocabulary_
    lex_a = (a.statements.transform(sample) @ a.statement_matrix.T).toarray()
    lex_b = (b.statements.transform(sample) @ b.statement_matrix.T).toarray()
    assert lex_a.shape == (len(sample), len(statements(std))) and lex_a.max() > 0.5  # a real, non-empty signal
    np.testing.assert_allclose(lex_a, lex_b, rtol=0, atol=1e-9)
    for text in sample:
        np.testing.assert_allclose(a.cards.similarities(text), b.cards.similarities(text), rtol=0, atol=1e-9)
        np.testing.assert_allclose(a.contrast.similarities(text), b.contrast.similarities(text), rtol=0, atol=1e-9)
    from matcher.text import prepare_segments

    segs = prepare_segments(RU_CV + "\n" + KK_CV)
    np.testing.assert_array_equal(a.stems.overlap(segs), b.stems.overlap(segs))


def no_fit(*_: object, **__: object) -> LexicalModels:
    raise AssertionError("fitted although the cache holds the models")


def cached_file(settings: Settings, std: Standard, contrast: list[ContrastLine]) -> Path:
    return lexical_cache.cache_path(settings, lexical_cache.cache_key(std, contrast, settings, None))


def test_second_build_loads_from_the_cache_and_equals_a_fresh_fit(tmp_path, std, contrast, fresh, monkeypatch):
    settings = Settings(index_dir=tmp_path)
    path = cached_file(settings, std, contrast)
    assert not path.exists()
    first = lexical_cache.load_or_fit(std, contrast, settings)
    assert path.is_file() and path.parent == tmp_path
    monkeypatch.setattr(lexical_cache, "fit", no_fit)
    second = lexical_cache.load_or_fit(std, contrast, settings)
    assert second is not first
    assert_same(second, fresh, std)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong type", "other key"])
def test_a_damaged_cache_file_is_refitted_and_rewritten(tmp_path, std, contrast, fresh, damage, caplog):
    settings = Settings(index_dir=tmp_path)
    path = cached_file(settings, std, contrast)
    key = lexical_cache.cache_key(std, contrast, settings, None)
    lexical_cache.write(path, fresh, key)
    good = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\x00\xffnot a pickle file" * 100)
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "wrong type":
        path.write_bytes(pickle.dumps({"format": lexical_cache.FORMAT, "key": key, "models": ["not", "models"]}))
    else:
        path.write_bytes(pickle.dumps({"format": lexical_cache.FORMAT, "key": "another key", "models": fresh}))
    with caplog.at_level(logging.WARNING, logger="matcher.engine.lexical_cache"):
        models = lexical_cache.load_or_fit(std, contrast, settings)
    assert any("refitting" in r.getMessage() for r in caplog.records), caplog.text
    assert_same(models, fresh, std)
    rewritten = lexical_cache.read(path, key, std, None)  # readable again
    assert rewritten.cards.vectorizer.vocabulary_ == fresh.cards.vectorizer.vocabulary_


def test_without_a_contrast_set_the_models_round_trip(tmp_path, std, monkeypatch):
    """ContrastLexical without contrast lines holds no vectorizers: stored and loaded as such."""
    settings = Settings(index_dir=tmp_path)
    first = lexical_cache.load_or_fit(std, [], settings)
    assert first.contrast.similarities(RU_CV) is None
    assert lexical_cache.cache_path(settings, lexical_cache.cache_key(std, [], settings, None)).is_file()
    monkeypatch.setattr(lexical_cache, "fit", no_fit)
    second = lexical_cache.load_or_fit(std, [], settings)
    assert second.contrast.similarities(RU_CV) is None
    np.testing.assert_allclose(second.cards.similarities(RU_CV), first.cards.similarities(RU_CV), atol=1e-9)


def test_models_of_another_shape_are_refused(tmp_path, std, contrast, fresh):
    """A file whose key matches but whose models do not fit the standard (fewer statements) is not served."""
    path = tmp_path / "models.pickle"
    smaller = std.model_copy(update={"occupations": std.occupations[:3]})
    path.write_bytes(pickle.dumps(lexical_cache._pack(lexical_cache.fit(smaller, contrast, None), "k")))
    assert lexical_cache.read(path, "k", smaller, None).statement_matrix.shape[0] == len(statements(smaller))
    with pytest.raises(lexical_cache.CacheProblem, match="shape"):
        lexical_cache.read(path, "k", std, None)


def test_a_match_works_after_the_cache_file_is_damaged(tmp_path, hash_encoder, monkeypatch):
    settings = Settings(index_dir=tmp_path)
    first = Matcher.create(settings, encoder=hash_encoder)
    expected = first.match(RU_CV, "cv")
    files = list(tmp_path.glob("*.lexical-*.pickle"))
    assert len(files) == 1
    monkeypatch.setattr(lexical_cache, "fit", no_fit)
    second = Matcher.create(settings, encoder=hash_encoder)  # from the cache: fitting would fail
    assert second.match(RU_CV, "cv").model_dump() == expected.model_dump()
    files[0].write_bytes(b"garbage")
    monkeypatch.undo()
    third = Matcher.create(settings, encoder=hash_encoder)
    assert third.match(RU_CV, "cv").model_dump() == expected.model_dump()


def test_a_setting_that_changes_the_fit_gives_another_file(tmp_path, std, contrast):
    plain = Settings(index_dir=tmp_path)
    stems = Settings(index_dir=tmp_path, card_lexical_stems=True)
    from matcher.text.morphology import default_normaliser

    normaliser = default_normaliser()
    key_plain = lexical_cache.cache_key(std, contrast, plain, None)
    key_stems = lexical_cache.cache_key(std, contrast, stems, normaliser)
    assert key_plain != key_stems
    assert lexical_cache.cache_path(plain, key_plain) != lexical_cache.cache_path(stems, key_stems)
    assert lexical_cache.cache_key(std, contrast, plain.model_copy(update={"name_weight": 0.3}), None) == key_plain
    lexical_cache.load_or_fit(std, contrast, plain)
    models = lexical_cache.load_or_fit(std, contrast, stems, normaliser)
    assert hasattr(models.cards, "words") and models.cards.normaliser is normaliser
    assert lexical_cache.cache_path(plain, key_plain).is_file()  # the other variant's file stays
    assert lexical_cache.cache_path(stems, key_stems).is_file()
    loaded = lexical_cache.read(lexical_cache.cache_path(stems, key_stems), key_stems, std, normaliser)
    for text in texts(std)[:6]:
        np.testing.assert_allclose(loaded.cards.similarities(text), models.cards.similarities(text), atol=1e-9)


def test_changed_inputs_give_another_key_and_replace_the_stale_file(tmp_path, std, contrast):
    settings = Settings(index_dir=tmp_path)
    key = lexical_cache.cache_key(std, contrast, settings, None)
    assert lexical_cache.cache_key(std, contrast[:-1], settings, None) != key
    occ = std.occupations[0].model_copy(deep=True)
    st = next(st for *_, st in occ.walk())
    st.text.kk += " өзгерді"
    changed = std.model_copy(update={"occupations": [occ, *std.occupations[1:]]})
    assert lexical_cache.cache_key(changed, contrast, settings, None) != key
    other_file = Settings(index_dir=tmp_path, data_dir=tmp_path / "no-data")  # no dataset or contrast file
    assert lexical_cache.cache_key(std, contrast, other_file, None) != key
    lexical_cache.load_or_fit(std, contrast, settings)
    lexical_cache.load_or_fit(changed, contrast, settings)
    names = sorted(p.name for p in tmp_path.glob("*.pickle"))
    assert names == [lexical_cache.cache_path(settings, lexical_cache.cache_key(changed, contrast, settings,
                                                                                None)).name]


def test_an_unwritable_index_folder_fits_in_memory(tmp_path, std, contrast, fresh, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = Settings(index_dir=blocker / "index")  # cannot be created, even by root
    with caplog.at_level(logging.WARNING, logger="matcher.engine.lexical_cache"):
        models = lexical_cache.load_or_fit(std, contrast, settings)
    assert "not written" in caplog.text
    assert_same(models, fresh, std)


def test_vocabulary_packing_round_trips_any_terms():
    vocab = {"ab": 2, " é\n": 0, "": 3, "қызме": 1, "a b\x00": 4}
    assert lexical_cache._Terms.of(vocab).vocabulary() == vocab
    with pytest.raises(ValueError):
        lexical_cache._Terms.of({"a": 0, "b": 2})
    bad = lexical_cache._Terms("abc", np.array([1, 1], dtype=np.int64))
    with pytest.raises(lexical_cache.CacheProblem):
        bad.vocabulary()
