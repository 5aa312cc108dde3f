"""The encoder interface: L2-normalised float32 rows, so that an inner product is a cosine."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Encoder(Protocol):
    """``id`` names the vectors (runtimes whose vectors agree share it, and so share an index); ``dim`` their size.

    An encoder with a choice of runtime (``e5``) also has ``runtime`` and ``runtime_reason`` (what runs it and why);
    the index manifest records them when present."""

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


