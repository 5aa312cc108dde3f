"""Session fixtures shared by every test package.

* ``matcher``: the real ``Matcher`` (default encoder, real index), loaded once per session (``helpers.shared_matcher``).
* ``hash_encoder`` / ``hash_matcher``: a deterministic hashing encoder (character n-grams hashed into 512
  dimensions) and a matcher built on it, for contract and behaviour tests that do not judge match quality. It loads
  in milliseconds and needs no model.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import shared_matcher  # pytest puts tests/ (this file's folder) on sys.path for every package
from sklearn.feature_extraction.text import HashingVectorizer

from matcher.config import Settings
from matcher.engine import Matcher


class HashingEncoder:
    """Deterministic, model-free: char 2-4-grams hashed into ``dim`` buckets, L2-normalised."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.id = f"test-hash-{dim}"
        self._vec = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=dim, alternate_sign=False,
                                      norm="l2", lowercase=True)

    def _run(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        x = self._vec.transform(texts).toarray().astype(np.float32)
        x[np.linalg.norm(x, axis=1) == 0, 0] = 1.0  # a text without n-grams still gets a unit vector
        return np.ascontiguousarray(x / np.linalg.norm(x, axis=1, keepdims=True))

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._run(texts)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._run(texts)


@pytest.fixture(scope="session")
def matcher() -> Matcher:
    return shared_matcher()


@pytest.fixture(scope="session")
def hash_encoder() -> HashingEncoder:
    return HashingEncoder()


@pytest.fixture(scope="session")
def hash_matcher(hash_encoder: HashingEncoder, tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    settings = Settings(index_dir=tmp_path_factory.mktemp("hash-index"))
    return Matcher.create(settings, encoder=hash_encoder)
