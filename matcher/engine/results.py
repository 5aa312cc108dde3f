"""The engine's results: the JSON of `matcher match --json` and of the API (Pydantic models at the boundary)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from matcher.engine import level as level_mod
from matcher.engine.calibration import Band
from matcher.standard.schema import Lang, Text
from matcher.text import Segment

Kind = Literal["cv", "vacancy"]


@dataclass
class Scored:
    """A text compared with every statement, before any threshold or weight is applied (see ``Matcher.result``)."""

    segments: list[Segment]
    dense: np.ndarray  # (segments, statements): best cosine over the statement's indexed languages
    lexical: np.ndarray  # (segments, statements): char n-gram TF-IDF cosine, Kazakh segments only (others 0)
    names: np.ndarray  # (cards,): best cosine of any segment to any of the card's names
    card_lexical: np.ndarray | None = None  # (cards,): char n-gram TF-IDF cosine of the whole text to each card
    contrast: np.ndarray | None = None  # (segments,): best cosine to any line of another profession (contrast set)
    quotable: np.ndarray | None = None  # (segments,): may be quoted as evidence (not a heading, language list ...)
    scope_lexical: np.ndarray | None = None  # TF-IDF of the text to the standard vs other professions (char, word)
    text: str = ""
    truncated: bool = False


class Ref(BaseModel):
    number: int
    title: Text
    mandatory: bool | None = None


class Covered(BaseModel):
    id: str
    kind: Literal["ability", "knowledge"]
    text: Text
    score: float = Field(description="support: the best segment's cosine, plus the Kazakh lexical boost")
    probability: float | None = Field(None, description="P(the evidence shows the statement), from the calibrated "
                                      "coverage classifier; null when the encoder has no calibration")
    evidence: str = Field(description="the sentence of the submitted text that shows the statement (PII removed)")
    start: int = Field(description="character offset of that sentence in the submitted text")
    end: int = Field(description="character offset just after it")


class Missing(BaseModel):
    id: str
    kind: Literal["ability", "knowledge"]
    text: Text
    labour_function: Ref
    skill: Ref


class NextLevel(BaseModel):
    clause: int
    code: str
    name: Text
    sbsh_levels: list[int]
    adds: list[Missing] = Field(default_factory=list, description="statements the next card adds")


class OccupationMatch(BaseModel):
    clause: int
    code: str
    name: Text
    score: float
    sbsh_level: int
    sbsh_levels: list[int]
    coverage: float
    probability: float = Field(description="calibrated probability that this card is the text's occupation (the "
                               "raw score when no calibration is loaded)")
    in_scope: bool = Field(description="the text is within this standard and this card is a plausible answer")
    band: Band = Field(description="confident / review / unlikely")
    covered: list[Covered] = Field(description="statements the text shows, one per distinct statement")
    missing: list[Missing] = Field(description="statements of the card the text does not show, one per distinct "
                                   "statement")
    next_level: NextLevel | None = None


class MatchResult(BaseModel):
    kind: Kind
    language: Lang
    languages: dict[str, int]
    segments: int
    truncated: bool = False
    in_scope: bool = Field(description="false: the text does not describe work of any occupation of this standard")
    band: Band = Field(description="the best card's band: confident / review / unlikely (out of scope)")
    scope_probability: float | None = Field(description="calibrated probability that the text is in scope")
    calibration: str | None = Field(description="the calibration run applied (None: uncalibrated)")
    level_evidence: level_mod.LevelEvidence
    occupations: list[OccupationMatch]


class ScreenedCV(BaseModel):
    id: str
    rank: int
    fit: float
    occupation_score: float
    required_covered: int
    required_total: int
    sbsh_level: int
    in_scope: bool = Field(True, description="the CV describes work of this standard's occupations")
    reasons: list[str]
    error: str | None = Field(None, description="'code: message' of a CV that could not be read or matched")


class ScreenResult(BaseModel):
    vacancy: OccupationMatch
    required: list[str]
    cvs: list[ScreenedCV]

