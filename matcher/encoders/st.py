"""``st:<name or folder>``: any local sentence-transformers model, with configured query/passage prefixes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from matcher.encoders.base import _normalise
from matcher.errors import EncoderError


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


