"""FAISS index over the statement embeddings (passage side), with a manifest that guards against staleness.

Files in ``index/`` (configurable with ``MATCHER_INDEX_DIR``), one set per standard and encoder:

* ``<code>.<encoder>.faiss``          - the inner-product index (vectors are L2-normalised: cosine);
* ``<code>.<encoder>.manifest.json``  - encoder id, dimension, the runtime that built it and why, dataset hash, build
  time, entries, index checksum;
* ``cache/<encoder>.npz``             - text -> vector cache (with the encoder id and dimension it was made for), so a
  rebuild only encodes texts it has not seen.

An index whose manifest does not match the current encoder (id and dimension) or dataset, or whose files are
damaged, is rebuilt, never served, and the reason is logged. The cache is checked before use (a readable archive,
the encoder id and dimension it records, as many vectors as keys, finite unit-norm rows); a cache that fails any
check is discarded with a warning, and only costs the time to encode again. Every write goes through a temporary
file and a rename; the manifest is written last, so a crash leaves the old pair or no manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np
from pydantic import BaseModel

from matcher.config import Settings
from matcher.encoders import Encoder
from matcher.errors import EncoderError
from matcher.files import sha256_file, slug, write_atomic
from matcher.standard.contrast import ContrastLine, load_contrast
from matcher.standard.curate import statements
from matcher.standard.schema import LANGS, Lang, Occupation, Standard

log = logging.getLogger(__name__)

INDEX_FORMAT = 2  # 2: card names are indexed beside the statements
CACHE_FORMAT = 2  # 2: the cache records the encoder id and the dimension
NORM_TOLERANCE = 1e-3  # |norm - 1| allowed for a cached vector (encoders give float32 rows normalised to ~1e-7)


class Entry(BaseModel):
    statement: str  # a statement id, or "card:<clause>" for one of a card's names
    lang: Lang


class Manifest(BaseModel):
    format: int = INDEX_FORMAT
    encoder: str
    dataset: str  # sha256 of the curated dataset file
    dim: int
    # what ran the encoder when the index was built, and why (e5: matcher.encoders.e5.choose_runtime); runtimes
    # whose vectors agree share the encoder id and so this index
    runtime: str | None = None
    runtime_reason: str | None = None
    languages: list[Lang]
    built_at: str
    build_seconds: float
    faiss_version: str
    index_sha256: str
    entries: list[Entry]


@dataclass
class StatementIndex:
    manifest: Manifest
    index: faiss.Index

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, self.index.ntotal))


def dataset_hash(path: Path, contrast_path: Path | None = None) -> str:
    """sha256 of a dataset file (and of the contrast file, when there is one): the manifest's guard against serving
    an index of another dataset."""
    digest = sha256_file(path)
    if contrast_path is not None and contrast_path.is_file():
        digest = hashlib.sha256(f"{digest}+{sha256_file(contrast_path)}".encode()).hexdigest()
    return digest


def paths(encoder_id: str, settings: Settings) -> tuple[Path, Path, Path]:
    s = settings
    base = s.index_dir / f"{s.standard_code}.{slug(encoder_id)}"
    return (base.with_name(base.name + ".faiss"), base.with_name(base.name + ".manifest.json"),
            s.index_dir / "cache" / f"{slug(encoder_id)}.npz")


CARD_PREFIX = "card:"


def card_names(occ: Occupation) -> list[tuple[Lang, str]]:
    """A card's name and its other names, in every language, each text once."""
    seen: dict[str, Lang] = {}
    for text in [occ.name, *(o.name for o in occ.other_names)]:
        for lang in LANGS:
            value = getattr(text, lang)
            if value and value not in seen:
                seen[value] = lang
    return [(lang, value) for value, lang in seen.items()]


CONTRAST_PREFIX = "contrast:"


def passages(std: Standard, languages: list[Lang],
             contrast: Sequence[ContrastLine] = ()) -> tuple[list[Entry], list[str]]:
    """Every statement in the configured languages, then every card's names (all languages), then the contrast
    set's lines of other professions (their entry: ``contrast:<occupation>``)."""
    entries, texts = [], []
    for _, st in statements(std):
        for lang in languages:
            entries.append(Entry(statement=st.id, lang=lang))
            texts.append(st.text.get(lang))
    for occ in std.occupations:
        for lang, name in card_names(occ):
            entries.append(Entry(statement=f"{CARD_PREFIX}{occ.clause}", lang=lang))
            texts.append(name)
    for line in contrast:
        entries.append(Entry(statement=f"{CONTRAST_PREFIX}{line.occupation}", lang=line.lang))
        texts.append(line.text)
    return entries, texts


def _key(text: str) -> str:
    return hashlib.sha1(("passage\0" + text).encode("utf-8")).hexdigest()


class CacheProblem(ValueError):
    """Why a vector cache cannot be used (logged, then the cache is discarded)."""


def read_cache(cache_path: Path, encoder_id: str, dim: int) -> dict[str, np.ndarray]:
    """The text-key -> vector cache for this encoder, checked; ``CacheProblem`` says why it cannot be used."""
    try:
        with np.load(cache_path, allow_pickle=False) as npz:
            fields = set(npz.files)
            if not {"keys", "vectors", "encoder", "dim"} <= fields:
                raise CacheProblem(f"fields {sorted(fields)}: not a cache of format {CACHE_FORMAT}")
            keys, vectors = npz["keys"], npz["vectors"]
            cached_encoder, cached_dim = str(npz["encoder"]), int(npz["dim"])
    except CacheProblem:
        raise
    except Exception as exc:  # a truncated or foreign file: BadZipFile, EOFError, zlib.error, OSError, ValueError
        raise CacheProblem(f"unreadable ({type(exc).__name__}: {str(exc)[:120]})") from None
    if cached_encoder != encoder_id:
        raise CacheProblem(f"made for encoder {cached_encoder!r}, not {encoder_id!r}")
    if cached_dim != dim:
        raise CacheProblem(f"records dimension {cached_dim}, the encoder has {dim}")
    if keys.ndim != 1 or keys.dtype.kind != "U":
        raise CacheProblem(f"keys of shape {keys.shape} and type {keys.dtype}, not a list of strings")
    if vectors.ndim != 2 or vectors.shape[1] != dim:
        raise CacheProblem(f"vectors of shape {vectors.shape}, not (n, {dim})")
    if vectors.shape[0] != keys.shape[0]:
        raise CacheProblem(f"{keys.shape[0]} keys but {vectors.shape[0]} vectors")
    if vectors.dtype != np.float32:
        raise CacheProblem(f"vectors of type {vectors.dtype}, not float32")
    if not np.isfinite(vectors).all():
        raise CacheProblem("vectors that are not finite (NaN or inf)")
    norms = np.linalg.norm(vectors, axis=1)
    if vectors.shape[0] and np.abs(norms - 1.0).max() > NORM_TOLERANCE:
        raise CacheProblem(f"vectors that are not unit-norm (norms {norms.min():.4f} to {norms.max():.4f})")
    return dict(zip(keys.tolist(), vectors, strict=True))


def _write_cache(cache_path: Path, cache: dict[str, np.ndarray], encoder_id: str, dim: int) -> None:
    buf = io.BytesIO()
    np.savez(buf, keys=np.array(list(cache), dtype=str),
             vectors=np.vstack(list(cache.values())).astype(np.float32).reshape(len(cache), dim),
             encoder=np.array(encoder_id), dim=np.array(dim), format=np.array(CACHE_FORMAT))
    write_atomic(cache_path, buf.getvalue())


def _check_vectors(vectors: np.ndarray, n: int, dim: int, what: str) -> None:
    """An encoder's output before it is cached or indexed: (n, dim), finite, unit-norm; else an EncoderError."""
    v = np.asarray(vectors)
    if v.shape != (n, dim):
        raise EncoderError(f"{what}: the encoder returned vectors of shape {v.shape}, expected ({n}, {dim})")
    if not np.isfinite(v).all() or (n and np.abs(np.linalg.norm(v, axis=1) - 1.0).max() > NORM_TOLERANCE):
        raise EncoderError(f"{what}: the encoder returned vectors that are not finite and unit-norm")


def _encode_cached(encoder: Encoder, texts: list[str], cache_path: Path) -> np.ndarray:
    dim = int(encoder.dim)
    cache: dict[str, np.ndarray] = {}
    if cache_path.exists():
        try:
            cache = read_cache(cache_path, encoder.id, dim)
        except CacheProblem as why:
            log.warning("index: discarding the vector cache %s: %s", cache_path, why)
            cache = {}
    keys = [_key(t) for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if todo:
        vecs = encoder.passages([t for _, t in todo])
        _check_vectors(vecs, len(todo), dim, f"encoder {encoder.id}")
        cache.update({k: np.asarray(v, dtype=np.float32) for (k, _), v in zip(todo, vecs, strict=True)})
        _write_cache(cache_path, cache, encoder.id, dim)
    if not keys:
        return np.zeros((0, dim), dtype=np.float32)
    return np.vstack([cache[k] for k in keys]).astype(np.float32)


def build(std: Standard, dataset_hash: str, encoder: Encoder, languages: list[Lang],
          settings: Settings, contrast: Sequence[ContrastLine] = ()) -> StatementIndex:
    """Encode (through the cache), index and write atomically."""
    t0 = time.perf_counter()
    faiss_path, manifest_path, cache_path = paths(encoder.id, settings)
    entries, texts = passages(std, languages, contrast)
    vectors = _encode_cached(encoder, texts, cache_path)
    _check_vectors(vectors, len(texts), int(encoder.dim), f"index of {encoder.id}")
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    data = faiss.serialize_index(index).tobytes()
    write_atomic(faiss_path, data)
    manifest = Manifest(
        encoder=encoder.id, dataset=dataset_hash, dim=int(vectors.shape[1]),
        runtime=getattr(encoder, "runtime", None), runtime_reason=getattr(encoder, "runtime_reason", None),
        languages=languages, built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - t0, 3), faiss_version=faiss.__version__,
        index_sha256=hashlib.sha256(data).hexdigest(), entries=entries,
    )
    write_atomic(manifest_path, manifest.model_dump_json().encode("utf-8"))
    return StatementIndex(manifest, index)


def load(encoder_id: str, dataset_hash: str, languages: list[Lang], settings: Settings,
         dim: int | None = None) -> StatementIndex | None:
    """The index on disk if it was built for this encoder (id and, when given, dimension), dataset and languages
    and its files are intact; otherwise None, with the reason logged (missing is not logged: it is just built)."""
    faiss_path, manifest_path, _ = paths(encoder_id, settings)
    if not (faiss_path.exists() and manifest_path.exists()):
        return None

    def stale(why: str) -> None:
        log.warning("index: %s is not served (%s); rebuilding it", faiss_path, why)

    try:
        manifest = Manifest.model_validate_json(manifest_path.read_bytes())
    except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        return stale(f"manifest unreadable: {type(exc).__name__}")
    if manifest.format != INDEX_FORMAT:
        return stale(f"index format {manifest.format}, this is {INDEX_FORMAT}")
    if manifest.encoder != encoder_id:
        return stale(f"built for encoder {manifest.encoder!r}")
    if dim is not None and manifest.dim != dim:
        return stale(f"manifest dimension {manifest.dim}, the encoder has {dim}")
    if manifest.dataset != dataset_hash:
        return None  # the dataset changed: an ordinary rebuild
    if manifest.languages != languages:
        return None  # other languages configured
    try:
        data = faiss_path.read_bytes()
    except OSError as exc:
        return stale(f"index file unreadable: {type(exc).__name__}")
    if hashlib.sha256(data).hexdigest() != manifest.index_sha256:
        return stale("index file checksum differs from the manifest's")
    try:
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    except Exception as exc:  # faiss raises RuntimeError for a damaged file
        return stale(f"index file unreadable by faiss: {type(exc).__name__}")
    if index.ntotal != len(manifest.entries) or index.d != manifest.dim:
        return stale(f"index holds {index.ntotal} vectors of dimension {index.d}, the manifest "
                     f"{len(manifest.entries)} of {manifest.dim}")
    return StatementIndex(manifest, index)


def load_or_build(std: Standard, dataset_path: Path, encoder: Encoder, languages: list[Lang],
                  settings: Settings, contrast_path: Path | None = None,
                  force: bool = False) -> tuple[StatementIndex, bool]:
    """(index, rebuilt?) - a stale, damaged or missing index is rebuilt, never served. ``contrast_path``: the
    contrast set indexed beside the statements (``matcher.standard.contrast``), part of the dataset digest;
    ``force``: rebuild even an index that is up to date."""
    digest = dataset_hash(dataset_path, contrast_path)
    found = None if force else load(encoder.id, digest, languages, settings, dim=int(encoder.dim))
    if found is not None:
        return found, False
    contrast = load_contrast(contrast_path) if contrast_path is not None else []
    return build(std, digest, encoder, languages, settings, contrast), True


def describe(idx: StatementIndex) -> str:
    m = idx.manifest
    return json.dumps({k: v for k, v in m.model_dump().items() if k != "entries"} | {"entries": len(m.entries)},
                      ensure_ascii=False)
