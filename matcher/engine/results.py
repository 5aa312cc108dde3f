"""The engine's results: the JSON of `matcher match --json` and of the API (Pydantic models at the boundary)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from matcher.engine import level as level_mod
from matcher.engine.calibration import Band
from matcher.engine.titles import TitleHit
from matcher.standard.schema import Lang, Related, StatementKind, Text
from matcher.text import Segment

Kind = Literal["cv", "vacancy"]
ResultKind = Literal["cv", "vacancy", "checklist"]  # "checklist": ``Matcher.checklist``, from ticked statements


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
    titles: np.ndarray | None = None  # (cards,): 1 where a title line of the text names the card (engine.titles)
    title_hits: list[TitleHit] = field(default_factory=list)  # the title lines that name cards
    text: str = ""
    truncated: bool = False
    judged: dict[tuple[int, int], float] = field(default_factory=dict)  # (row, segment) -> the judge's P(shown)


class Ref(BaseModel):
    number: int
    title: Text
    mandatory: bool | None = None


class Covered(BaseModel):
    id: str
    kind: StatementKind
    text: Text
    score: float = Field(description="support: the best segment's cosine, plus the Kazakh lexical boost")
    probability: float | None = Field(None, description="P(the evidence shows the statement), from the calibrated "
                                      "coverage classifier; null when the encoder has no calibration")
    evidence: str = Field(description="the sentence of the submitted text that shows the statement (PII removed); "
                          "empty when source is not 'text'")
    start: int = Field(description="character offset of that sentence in the submitted text")
    end: int = Field(description="character offset just after it")
    source: Literal["text", "checklist", "inferred"] = Field(
        "text", description="'text': a sentence of the submitted text shows it (the quote); 'inferred': the text "
        "as a whole suggests it, but no sentence says it plainly (the evidence judge), so nothing is quoted "
        "(evidence empty, offsets 0); 'checklist': ticked by the person (no evidence, offsets 0)")
    evidence_probability: float | None = Field(None, description="P(the nearest sentence shows the statement), "
                                               "from the evidence judge; null when no judge ran")


class Missing(BaseModel):
    id: str
    kind: StatementKind
    text: Text
    labour_function: Ref
    skill: Ref


class NextLevel(BaseModel):
    clause: int
    code: str
    name: Text
    sbsh_levels: list[int]
    adds: list[Missing] = Field(default_factory=list, description="statements the next card adds")


class PlanItem(BaseModel):
    """One missing statement of the card in the learning plan (``matcher.engine.plan``)."""

    id: str
    kind: StatementKind = Field(description="'ability' (Машығы, a practical skill) or 'knowledge' (Білімі)")
    text: Text
    labour_function: Ref
    skill: Ref
    why: Text = Field(description="which labour function (mandatory or additional) and skill it serves, and "
                      "whether it is a practical skill or knowledge")
    gain: float = Field(description="how much the card's coverage (occupations[].coverage) grows when the text "
                        "shows this statement fully")
    required: bool = Field(description="the card's level requires it: it belongs to a mandatory labour function")


class GapItem(BaseModel):
    id: str
    kind: StatementKind
    text: Text


class Gap(BaseModel):
    """The person's coverage of another card: distinct statements (by canonical key), as ``covered`` decides."""

    covered: int = Field(description="distinct statements of the target card the person already shows")
    total: int = Field(description="distinct statements of the target card")
    missing: int = Field(description="total - covered")
    coverage: float = Field(description="the person's coverage of the target card, as occupations[].coverage")
    top: list[GapItem] = Field(default_factory=list, description="the 5 most important missing statements "
                               "(mandatory labour functions first, then by gain)")


class CareerMove(BaseModel):
    kind: Literal["up", "lateral", "feeder"] = Field(description="'up': a linked card at a higher level; "
                                                     "'lateral': another card at the same level; 'feeder': a "
                                                     "card at a lower level that links to this one")
    clause: int
    code: str
    name: Text
    sbsh_levels: list[int]
    gap: Gap


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
    title: str | None = Field(None, description="the text's title line that names this card's job (a posting's "
                              "heading, a labelled position, the latest job; personal data removed), if any")
    band: Band = Field(description="confident / review / unlikely")
    covered: list[Covered] = Field(description="statements the text shows, one per distinct statement")
    missing: list[Missing] = Field(description="statements of the card the text does not show, one per distinct "
                                   "statement")
    next_level: NextLevel | None = None
    learning_plan: list[PlanItem] = Field(default_factory=list, description="the missing statements, most useful "
                                          "first (mandatory labour functions, then by gain); empty when the result "
                                          "is out of scope")
    career_moves: list[CareerMove] = Field(default_factory=list, description="up, lateral and feeder cards with "
                                           "the person's gap to each; empty when the result is out of scope")
    beyond_standard: list[Related] = Field(default_factory=list, description="occupations the standard links "
                                           "this card onward to that have no card in this standard (card 11 -> "
                                           "sign-language interpreter, SBSh 4-5): the path goes on elsewhere")


class MatchResult(BaseModel):
    kind: ResultKind
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

