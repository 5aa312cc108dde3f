"""Calibrated decisions: is a text within the standard's scope at all, and how likely is a card to be right.

Both are logistic models over a few features of a text's result, fitted on the dev split only by
``python -m eval.calibrate`` (which names its run and writes the model file this module loads). A third model says
whether a text shows a statement: a gradient-boosted classifier over ``coverage.COVERAGE_FEATURES``, calibrated by
isotonic regression (scikit-learn), kept beside the JSON as an ``.npz`` of its trees and calibration
(``matcher.engine.frozen``: applied with NumPy, so a match never imports scikit-learn) whose sha256 the JSON
records. The
engine applies them; it never fits anything. Without a model file (a new encoder, before calibration), every text is
in scope, the probability is the raw score (the result says so with ``band = "review"``) and a statement is covered
when its support reaches ``cover_threshold``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr

from matcher.config import Settings
from matcher.engine.coverage import COVERAGE_FEATURES
from matcher.engine.frozen import FrozenCoverage
from matcher.errors import DatasetError
from matcher.files import sha256_file

Band = Literal["confident", "review", "unlikely"]

# Engine settings on the encoder's own cosine scale: an encoder whose similarities spread differently (the domain
# adapter's median best cosine is ~0.44, e5's ~0.85) needs its own, chosen on dev and kept in its calibration file
ENCODER_SETTINGS = ("soft_lo", "soft_hi", "name_lo", "name_hi", "cover_threshold")

# the features of a text's result that the scope model reads, in this order
SCOPE_FEATURES = ("top_score", "margin", "top_coverage", "covered_log", "card_lexical_max", "names_max",
                  "support_top10", "contrast_share", "contrast_gap", "lexical_share_char", "lexical_share_word")


class Logistic(BaseModel):
    """A fitted logistic regression; ``mean`` and ``scale`` standardise the inputs first when given."""

    coef: list[float]
    intercept: float
    mean: list[float] | None = None
    scale: list[float] | None = None

    def __call__(self, x: list[float]) -> float:
        if self.mean is not None and self.scale is not None:
            x = [(v - mu) / sd for v, mu, sd in zip(x, self.mean, self.scale, strict=True)]
        z = self.intercept + sum(c * v for c, v in zip(self.coef, x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


class CoverageModel(BaseModel):
    """P(a text shows a statement) from ``COVERAGE_FEATURES``: the model file, its checksum and the threshold."""

    file: str = Field(description="the frozen model (.npz), beside the calibration JSON")
    sha256: str
    sklearn: str = Field(description="the scikit-learn version that fitted it (the frozen file needs none)")
    features: list[str]
    threshold: float = Field(description="P(covered) at or above which a statement is listed as covered")
    _model: Any = PrivateAttr(default=None)

    def attach(self, folder: Path) -> None:
        """Load the model file after checking its sha256 (a file from elsewhere, or one that is not a frozen model,
        is refused: rerun ``python -m eval.calibrate``)."""
        path = folder / self.file
        if list(self.features) != list(COVERAGE_FEATURES):
            raise DatasetError(f"{path}: fitted on other coverage features; rerun python -m eval.calibrate",
                               "dataset_missing")
        if not path.is_file() or sha256_file(path) != self.sha256:
            raise DatasetError(f"{path}: missing or not the file the calibration names (sha256); rerun python -m "
                               "eval.calibrate", "dataset_missing")
        try:
            model = FrozenCoverage.load(path)
        except ValueError as exc:
            raise DatasetError(f"{path}: {exc}; rerun python -m eval.calibrate", "dataset_missing") from None
        if model.n_features != len(COVERAGE_FEATURES):
            raise DatasetError(f"{path}: a model of {model.n_features} features, not {len(COVERAGE_FEATURES)}; rerun "
                               "python -m eval.calibrate", "dataset_missing")
        self._model = model

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._model.predict(x)


class Calibration(BaseModel):
    """A fitted calibration (the JSON file ``eval.calibrate`` writes)."""

    run: str = Field(description="the calibration run's name")
    encoder: str = Field(description="the encoder id the features were computed with")
    scope: Logistic
    scope_threshold: float = Field(description="P(in scope) at or above which a text is in scope")
    correct: Logistic
    confident: float = Field(description="P(card is right) at or above which the best card is 'confident'")
    coverage: CoverageModel | None = Field(None, description="the statement coverage classifier, if fitted")
    settings: dict[str, float] = Field(default_factory=dict, description="engine settings on this encoder's "
                                       f"cosine scale (any of {', '.join(ENCODER_SETTINGS)}), chosen on dev; the "
                                       "features above were computed under them")
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


def encoder_settings(settings: Settings, cal: Calibration | None) -> Settings:
    """``settings`` with the calibration's encoder settings, except those set explicitly (environment, overrides)."""
    if cal is None or not cal.settings:
        return settings
    update = {k: v for k, v in cal.settings.items() if k in ENCODER_SETTINGS and k not in settings.model_fields_set}
    return settings.model_copy(update=update) if update else settings


def load(path: Path | None) -> Calibration | None:
    """The calibration at ``path``; None when there is none (``path`` unset or missing)."""
    if path is None or not path.is_file():
        return None
    try:
        cal = Calibration.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DatasetError(f"{path}: not a calibration file ({exc}); rerun python -m eval.calibrate",
                           "dataset_missing") from None
    if cal.coverage is not None:
        cal.coverage.attach(path.parent)
    return cal


def scope_features(scores: list[float], coverage: float, covered: int, card_lexical: np.ndarray | None,
                   names: np.ndarray, support: np.ndarray, nearest: np.ndarray, contrast: np.ndarray | None,
                   weights: np.ndarray, lexical: np.ndarray | None) -> dict[str, float]:
    """The scope model's inputs from one result: ranked card scores (best first), the best card's coverage and
    covered count, the raw char n-gram similarity to each card, the raw card-name similarity, statement support;
    and per quotable segment, its best statement cosine (``nearest``), its best cosine to another profession's line
    (``contrast``) and its length (``weights``): the share of the text nearer to the standard than to any other
    profession, and the mean gap; and the text's TF-IDF similarity to the standard against other professions
    (``ContrastLexical``: [char standard, char others, word standard, word others]) as shares."""
    top10 = np.sort(support)[-10:] if len(support) else np.zeros(1)
    if contrast is not None and len(nearest) and weights.sum() > 0:
        share = float(((nearest > contrast) * weights).sum() / weights.sum())
        gap = float((nearest - contrast).mean())
    else:  # no contrast set indexed: every sentence counts as the standard's
        share, gap = 1.0, 0.0
    return {
        "top_score": scores[0],
        "margin": scores[0] - scores[1] if len(scores) > 1 else scores[0],
        "top_coverage": coverage,
        "covered_log": math.log1p(covered),
        "card_lexical_max": float(card_lexical.max()) if card_lexical is not None and len(card_lexical) else 0.0,
        "names_max": float(names.max()) if len(names) else 0.0,
        "support_top10": float(top10.mean()),
        "contrast_share": share,
        "contrast_gap": 100.0 * gap,  # cosines of one encoder differ by hundredths
        "lexical_share_char": _share(lexical, 0),
        "lexical_share_word": _share(lexical, 2),
    }


def _share(lexical: np.ndarray | None, i: int) -> float:
    """standard / (standard + other professions) of one pair of ``ContrastLexical`` similarities (1: no contrast)."""
    if lexical is None:
        return 1.0
    total = float(lexical[i] + lexical[i + 1])
    return float(lexical[i]) / total if total > 0 else 0.5
