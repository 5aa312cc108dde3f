"""Calibrated decisions: is a text within the standard's scope at all, and how likely is a card to be right.

Both are logistic models over a few features of a text's result, fitted on the dev split only by
``python -m eval.calibrate`` (which names its run and writes the model file this module loads). The engine applies
them; it never fits anything. Without a model file (a new encoder, before calibration), every text is in scope and
the probability is the raw score: the result says so with ``band = "review"``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from matcher.errors import DatasetError

Band = Literal["confident", "review", "unlikely"]

# the features of a text's result that the scope model reads, in this order
SCOPE_FEATURES = ("top_score", "margin", "top_coverage", "covered_log", "card_lexical_max", "names_max",
                  "support_top10")


class Logistic(BaseModel):
    coef: list[float]
    intercept: float

    def __call__(self, x: list[float]) -> float:
        z = self.intercept + sum(c * v for c, v in zip(self.coef, x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


class Calibration(BaseModel):
    """A fitted calibration (the JSON file ``eval.calibrate`` writes)."""

    run: str = Field(description="the calibration run's name")
    encoder: str = Field(description="the encoder id the features were computed with")
    scope: Logistic
    scope_threshold: float = Field(description="P(in scope) at or above which a text is in scope")
    correct: Logistic
    confident: float = Field(description="P(card is right) at or above which the best card is 'confident'")
    fitted_on: dict = Field(default_factory=dict, description="datasets (sha256), item counts, chosen thresholds")

    def in_scope(self, features: dict[str, float]) -> tuple[bool, float]:
        p = self.scope([features[k] for k in SCOPE_FEATURES])
        return p >= self.scope_threshold, p

    def probability(self, score: float, margin: float) -> float:
        return self.correct([score, margin])

    def band(self, in_scope: bool, probability: float) -> Band:
        if not in_scope:
            return "unlikely"
        return "confident" if probability >= self.confident else "review"


def load(path: Path | None) -> Calibration | None:
    """The calibration at ``path``; None when there is none (``path`` unset or missing)."""
    if path is None or not path.is_file():
        return None
    try:
        return Calibration.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DatasetError(f"{path}: not a calibration file ({exc}); rerun python -m eval.calibrate",
                           "dataset_missing") from None


def scope_features(scores: list[float], coverage: float, covered: int, card_lexical: np.ndarray | None,
                   names: np.ndarray, support: np.ndarray) -> dict[str, float]:
    """The scope model's inputs from one result: ranked card scores (best first), the best card's coverage and
    covered count, the raw char n-gram similarity to each card, the raw card-name similarity, statement support."""
    top10 = np.sort(support)[-10:] if len(support) else np.zeros(1)
    return {
        "top_score": scores[0],
        "margin": scores[0] - scores[1] if len(scores) > 1 else scores[0],
        "top_coverage": coverage,
        "covered_log": math.log1p(covered),
        "card_lexical_max": float(card_lexical.max()) if card_lexical is not None and len(card_lexical) else 0.0,
        "names_max": float(names.max()) if len(names) else 0.0,
        "support_top10": float(top10.mean()),
    }
