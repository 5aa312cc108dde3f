"""FAISS index over the statement embeddings (passage side), with a manifest that guards against staleness.

Files in ``index/`` (configurable with ``MATCHER_INDEX_DIR``), one set per standard and encoder:

* ``<code>.<encoder>.faiss``          - the inner-product index (vectors are L2-normalised: cosine);
* ``<code>.<encoder>.manifest.json``  - encoder id, dataset hash, dimension, build time, entries, index checksum;
* ``cache/<encoder>.npz``             - text -> vector cache, so a rebuild only encodes texts it has not seen.

An index whose manifest does not match the current encoder or dataset is rebuilt, never served. Every write goes
through a temporary file and a rename; the manifest is written last, so a crash leaves the old pair or no manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
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
from matcher.files import sha256_file, slug, write_atomic
from matcher.standard.contrast import ContrastLine, load_contrast
from matcher.standard.curate import statements
from matcher.standard.schema import LANGS, Lang, Occupation, Standard

INDEX_FORMAT = 2  # 2: card names are indexed beside the statements


class Entry(BaseModel):
    statement: str  # a statement id, or "card:<clause>" for one of a card's names
    lang: Lang


class Manifest(BaseModel):
    format: int = INDEX_FORMAT
    encoder: str
    dataset: str  # sha256 of the curated dataset file
    dim: int
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


def _encode_cached(encoder: Encoder, texts: list[str], cache_path: Path) -> np.ndarray:
    cache: dict[str, np.ndarray] = {}
    if cache_path.exists():
        try:
            with np.load(cache_path) as npz:
                cache = dict(zip(npz["keys"].tolist(), npz["vectors"], strict=True))
        except (OSError, ValueError, KeyError):
            cache = {}  # a damaged cache is only a lost speed-up
    keys = [_key(t) for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if todo:
        vecs = encoder.passages([t for _, t in todo])
        cache.update({k: v for (k, _), v in zip(todo, vecs, strict=True)})
        buf = io.BytesIO()
        np.savez(buf, keys=np.array(list(cache)), vectors=np.vstack(list(cache.values())).astype(np.float32))
        write_atomic(cache_path, buf.getvalue())
    return np.vstack([cache[k] for k in keys]).astype(np.float32)


def build(std: Standard, dataset_hash: str, encoder: Encoder, languages: list[Lang],
          settings: Settings, contrast: Sequence[ContrastLine] = ()) -> StatementIndex:
    """Encode (through the cache), index and write atomically."""
    t0 = time.perf_counter()
    faiss_path, manifest_path, cache_path = paths(encoder.id, settings)
    entries, texts = passages(std, languages, contrast)
    vectors = _encode_cached(encoder, texts, cache_path)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    data = faiss.serialize_index(index).tobytes()
    write_atomic(faiss_path, data)
    manifest = Manifest(
        encoder=encoder.id, dataset=dataset_hash, dim=int(vectors.shape[1]), languages=languages,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"), build_seconds=round(time.perf_counter() - t0, 3),
        faiss_version=faiss.__version__, index_sha256=hashlib.sha256(data).hexdigest(), entries=entries,
    )
    write_atomic(manifest_path, manifest.model_dump_json().encode("utf-8"))
    return StatementIndex(manifest, index)


def load(encoder_id: str, dataset_hash: str, languages: list[Lang],
         settings: Settings) -> StatementIndex | None:
    """The index on disk if it was built for this encoder, dataset and languages; otherwise None (stale)."""
    faiss_path, manifest_path, _ = paths(encoder_id, settings)
    if not (faiss_path.exists() and manifest_path.exists()):
        return None
    try:
        manifest = Manifest.model_validate_json(manifest_path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    if (manifest.format != INDEX_FORMAT or manifest.encoder != encoder_id or manifest.dataset != dataset_hash
            or manifest.languages != languages):
        return None
    data = faiss_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != manifest.index_sha256:
        return None
    index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    if index.ntotal != len(manifest.entries) or index.d != manifest.dim:
        return None
    return StatementIndex(manifest, index)


def load_or_build(std: Standard, dataset_path: Path, encoder: Encoder, languages: list[Lang],
                  settings: Settings, contrast_path: Path | None = None,
                  force: bool = False) -> tuple[StatementIndex, bool]:
    """(index, rebuilt?) - a stale or missing index is rebuilt, never served (``force``: rebuilt anyway). With
    ``contrast_path``, its lines are indexed too, and the index is stale when that file changes."""
    digest = dataset_hash(dataset_path, contrast_path)
    found = None if force else load(encoder.id, digest, languages, settings)
    if found is not None:
        return found, False
    contrast = load_contrast(contrast_path) if contrast_path is not None else []
    return build(std, digest, encoder, languages, settings, contrast), True


def describe(idx: StatementIndex) -> str:
    m = idx.manifest
    return json.dumps({k: v for k, v in m.model_dump().items() if k != "entries"} | {"entries": len(m.entries)},
                      ensure_ascii=False)
