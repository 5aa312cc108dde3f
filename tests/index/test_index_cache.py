"""The index directory is checked, never trusted (issue 15, item 6): a damaged vector cache is discarded with a
logged reason, a damaged or mismatched index is rebuilt, and matching works afterwards.

Real components: the index module, FAISS and the ``Matcher`` on the deterministic hashing encoder of conftest.py
(a real encoder without a model, so every rebuild takes well under a second). The damaged files are made here.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from helpers import RU_CV

from matcher import index as index_mod
from matcher.config import Settings
from matcher.engine import Matcher
from matcher.errors import EncoderError


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


def _build(settings: Settings, encoder) -> tuple[Matcher, tuple]:  # noqa: ANN001
    m = Matcher.create(settings, encoder=encoder)
    return m, index_mod.paths(encoder.id, settings)


def _assert_matches(m: Matcher) -> None:
    res = m.match(RU_CV)
    assert res.occupations and all(0.0 <= o.score <= 1.0 for o in res.occupations)
    assert m.idx.index.d == m.encoder.dim == m.idx.manifest.dim


def _rebuild_from_cache(settings: Settings, encoder, caplog) -> Matcher:  # noqa: ANN001
    """The index files removed, so the next start must rebuild through the (damaged) cache."""
    faiss_path, manifest_path, _ = index_mod.paths(encoder.id, settings)
    faiss_path.unlink()
    manifest_path.unlink()
    with caplog.at_level(logging.WARNING, logger="matcher.index"):
        return Matcher.create(settings, encoder=encoder)


def test_cache_records_encoder_id_and_dimension(settings, hash_encoder):
    _, (_, manifest_path, cache_path) = _build(settings, hash_encoder)
    with np.load(cache_path) as npz:
        assert str(npz["encoder"]) == hash_encoder.id and int(npz["dim"]) == hash_encoder.dim
        assert npz["vectors"].shape == (npz["keys"].shape[0], hash_encoder.dim)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["dim"] == hash_encoder.dim and manifest["encoder"] == hash_encoder.id


def test_truncated_cache_is_discarded_and_the_index_rebuilt(settings, hash_encoder, caplog):
    _, (_, _, cache_path) = _build(settings, hash_encoder)
    data = cache_path.read_bytes()
    cache_path.write_bytes(data[: len(data) // 2])  # a truncated zip: BadZipFile when read
    m = _rebuild_from_cache(settings, hash_encoder, caplog)
    assert "discarding the vector cache" in caplog.text and "BadZipFile" in caplog.text
    _assert_matches(m)
    assert index_mod.read_cache(cache_path, hash_encoder.id, hash_encoder.dim)  # written anew, and valid


def test_wrong_shape_cache_is_discarded_and_the_index_rebuilt(settings, hash_encoder, caplog):
    """The attack of issue 15: a cache of vectors of another size used to build an index that said it was ready
    and then failed every match."""
    _, (_, _, cache_path) = _build(settings, hash_encoder)
    with np.load(cache_path) as npz:
        keys = npz["keys"]
    rng = np.random.default_rng(0)
    wrong = rng.normal(size=(len(keys), 7)).astype(np.float32)
    wrong /= np.linalg.norm(wrong, axis=1, keepdims=True)
    np.savez(cache_path, keys=keys, vectors=wrong, encoder=np.array(hash_encoder.id), dim=np.array(7))
    m = _rebuild_from_cache(settings, hash_encoder, caplog)
    assert f"records dimension 7, the encoder has {hash_encoder.dim}" in caplog.text
    _assert_matches(m)
    # the same wrong vectors in the old format (no encoder id, no dimension) are refused as well
    np.savez(cache_path, keys=keys, vectors=wrong)
    caplog.clear()
    _assert_matches(_rebuild_from_cache(settings, hash_encoder, caplog))
    assert "not a cache of format" in caplog.text


def _cache_with(path, keys, vectors, encoder_id="enc", dim=4) -> None:  # noqa: ANN001
    np.savez(path, keys=np.array(keys, dtype=str), vectors=np.asarray(vectors, dtype=np.float32),
             encoder=np.array(encoder_id), dim=np.array(dim))


UNIT = np.eye(4, dtype=np.float32)[:2]


@pytest.mark.parametrize(("keys", "vectors", "encoder_id", "dim", "why"), [
    (["a", "b"], UNIT, "enc", 4, None),
    (["a", "b"], UNIT, "other", 4, "made for encoder 'other'"),
    (["a", "b"], UNIT, "enc", 5, "records dimension 5"),
    (["a", "b", "c"], UNIT, "enc", 4, "3 keys but 2 vectors"),
    (["a", "b"], UNIT[:, :3], "enc", 4, "not (n, 4)"),
    (["a", "b"], UNIT.reshape(-1), "enc", 4, "not (n, 4)"),
    (["a", "b"], np.where(UNIT == 1, np.nan, 0), "enc", 4, "not finite"),
    (["a", "b"], np.where(UNIT == 1, np.inf, 0), "enc", 4, "not finite"),
    (["a", "b"], UNIT * 2, "enc", 4, "not unit-norm"),
    (["a", "b"], np.zeros((2, 4)), "enc", 4, "not unit-norm"),
])
def test_every_cache_check(tmp_path, keys, vectors, encoder_id, dim, why):
    path = tmp_path / "c.npz"
    _cache_with(path, keys, vectors, encoder_id, dim)
    if why is None:
        assert set(index_mod.read_cache(path, "enc", 4)) == {"a", "b"}
        return
    with pytest.raises(index_mod.CacheProblem, match=why.replace("(", r"\(").replace(")", r"\)")):
        index_mod.read_cache(path, "enc", 4)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really a zip", b"\x93NUMPY garbage", b"plain text"])
def test_unreadable_cache_files(tmp_path, content):
    path = tmp_path / "c.npz"
    path.write_bytes(content)
    with pytest.raises(index_mod.CacheProblem, match="unreadable"):
        index_mod.read_cache(path, "enc", 4)


@pytest.mark.parametrize("damage", ["manifest_garbage", "manifest_dim", "faiss_truncated", "faiss_replaced",
                                    "entries_differ"])
def test_damaged_index_directory_is_rebuilt_not_served(settings, hash_encoder, caplog, damage):
    m0, (faiss_path, manifest_path, _) = _build(settings, hash_encoder)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if damage == "manifest_garbage":
        manifest_path.write_bytes(b"{not json")
    elif damage == "manifest_dim":  # a self-consistent index of another dimension than the encoder's
        small = index_mod.faiss.IndexFlatIP(8)
        small.add(np.eye(8, dtype=np.float32)[np.arange(len(manifest["entries"])) % 8])
        data = index_mod.faiss.serialize_index(small).tobytes()
        faiss_path.write_bytes(data)
        manifest |= {"dim": 8, "index_sha256": index_mod.hashlib.sha256(data).hexdigest()}
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    elif damage == "faiss_truncated":
        faiss_path.write_bytes(faiss_path.read_bytes()[:100])
    elif damage == "faiss_replaced":  # checksum updated to match a file faiss cannot read
        faiss_path.write_bytes(b"\0" * 64)
        manifest["index_sha256"] = index_mod.hashlib.sha256(b"\0" * 64).hexdigest()
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    elif damage == "entries_differ":
        manifest["entries"] = manifest["entries"][:-1]
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="matcher.index"):
        m = Matcher.create(settings, encoder=hash_encoder)
    assert "is not served" in caplog.text and "rebuilding" in caplog.text
    _assert_matches(m)
    assert len(m.idx.manifest.entries) == m.idx.index.ntotal == m0.idx.index.ntotal
    # and the rebuilt directory is served as it is on the next start, without a warning
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="matcher.index"):
        _, rebuilt = index_mod.load_or_build(m.std, settings.dataset_path, hash_encoder, settings.languages(),
                                             settings, settings.contrast_path)
    assert not rebuilt and caplog.text == ""


class _RuntimeEncoder:
    """The hashing encoder with the two attributes an encoder with runtimes (e5) carries."""

    def __init__(self, inner, runtime: str, reason: str):  # noqa: ANN001
        self._inner, self.runtime, self.runtime_reason = inner, runtime, reason
        self.id, self.dim = inner.id + "-rt", inner.dim

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._inner.queries(texts)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._inner.passages(texts)


def test_manifest_records_the_runtime_and_why(settings, hash_encoder):
    enc = _RuntimeEncoder(hash_encoder, "onnx", "auto: no native bf16 on this CPU")
    m = Matcher.create(settings, encoder=enc)
    assert (m.idx.manifest.runtime, m.idx.manifest.runtime_reason) == ("onnx", "auto: no native bf16 on this CPU")
    described = json.loads(index_mod.describe(m.idx))
    assert described["runtime"] == "onnx" and described["runtime_reason"].startswith("auto:")


class _BrokenEncoder(_RuntimeEncoder):
    def __init__(self, inner, bad: str):  # noqa: ANN001
        super().__init__(inner, "broken", bad)
        self.bad = bad

    def passages(self, texts: list[str]) -> np.ndarray:
        v = self._inner.passages(texts)
        return v[:, :-1] if self.bad == "shape" else np.where(v > 0, np.nan, v)


@pytest.mark.parametrize("bad", ["shape", "nan"])
def test_an_encoder_that_returns_bad_vectors_builds_no_index(settings, hash_encoder, bad):
    enc = _BrokenEncoder(hash_encoder, bad)
    with pytest.raises(EncoderError, match="expected|not finite"):
        Matcher.create(settings, encoder=enc)
    faiss_path, manifest_path, cache_path = index_mod.paths(enc.id, settings)
    assert not faiss_path.exists() and not manifest_path.exists() and not cache_path.exists()
