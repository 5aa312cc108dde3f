"""The engine's results: the JSON of `matcher match --json` and of the API (Pydantic models at the boundary)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from matcher.engine import level as level_mod
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
    score: float
    evidence: str


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
    covered: list[Covered]
    missing: list[Missing]
    next_level: NextLevel | None = None


class MatchResult(BaseModel):
    kind: Kind
    language: Lang
    languages: dict[str, int]
    segments: int
    truncated: bool = False
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
    reasons: list[str]


class ScreenResult(BaseModel):
    vacancy: OccupationMatch
    required: list[str]
    cvs: list[ScreenedCV]

