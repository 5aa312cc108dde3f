"""A vacancy read against the standard: its occupation card, SBSh level and the statements it requires.

The required statements are the ones the vacancy text itself covers; a vacancy that names fewer than
``Settings.min_required`` of them requires the card's mandatory labour functions instead (the rule of
``Matcher.required``, which ``Matcher.screen`` uses too).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from matcher.engine import level as level_mod
from matcher.engine.matcher import Matcher
from matcher.engine.results import Covered, OccupationMatch, Ref
from matcher.standard.schema import Lang, StatementKind, Text


class Requirement(BaseModel):
    id: str
    kind: StatementKind
    text: Text
    labour_function: Ref
    skill: Ref
    evidence: str | None = Field(None, description="the vacancy's sentence that names it (PII removed), if any")
    score: float | None = None


class CardScore(BaseModel):
    clause: int
    code: str
    name: Text
    score: float
    sbsh_levels: list[int]


class VacancyAnalysis(BaseModel):
    language: Lang
    occupation: CardScore
    sbsh_level: int = Field(description="the SBSh level the vacancy asks for")
    level_evidence: level_mod.LevelEvidence
    required_from: Literal["vacancy", "card"] = Field(
        description="'vacancy': the statements the text names; 'card': it names too few, so the card's "
                    "mandatory labour functions stand in")
    required: list[Requirement]
    alternatives: list[CardScore] = Field(default_factory=list, description="the next closest cards")


def _card(o: OccupationMatch) -> CardScore:
    return CardScore(clause=o.clause, code=o.code, name=o.name, score=o.score, sbsh_levels=o.sbsh_levels)


def analyse(m: Matcher, text: str, alternatives: int = 2) -> VacancyAnalysis:
    """Match a vacancy and list what it requires. Raises ``InputError`` for text that cannot be matched."""
    res = m.match(text, "vacancy", top=1 + alternatives)
    vac = res.occupations[0]
    wanted = set(m.required(vac))
    covered: dict[str, Covered] = {c.id: c for c in vac.covered}
    required = [
        Requirement(id=st.id, kind=kind, text=st.text,
                    labour_function=Ref(number=lf.number, title=lf.title, mandatory=lf.mandatory),
                    skill=Ref(number=sk.number, title=sk.title),
                    evidence=covered[st.id].evidence if st.id in covered and covered[st.id].source == "text"
                    else None,
                    score=covered[st.id].score if st.id in covered else None)
        for lf, sk, kind, st in m.occupation(vac.clause).walk() if st.id in wanted
    ]
    return VacancyAnalysis(
        language=res.language, occupation=_card(vac), sbsh_level=vac.sbsh_level, level_evidence=res.level_evidence,
        required_from="vacancy" if len(vac.covered) >= m.settings.min_required else "card", required=required,
        alternatives=[_card(o) for o in res.occupations[1:]],
    )
