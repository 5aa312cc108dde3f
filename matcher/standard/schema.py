"""Pydantic schema of a professional standard: the data that crosses every boundary of the product.

The parser fills the Kazakh text (``kk``) of every field; the curated dataset adds the unofficial ``ru``/``en``
translations, stable ids and canonical keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["kk", "ru", "en"]
LANGS: tuple[Lang, ...] = ("kk", "ru", "en")
StatementKind = Literal["ability", "knowledge"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Text(Model):
    """One text in the three languages. ``kk`` is the source; ``ru`` and ``en`` are unofficial translations."""

    kk: str
    ru: str = ""
    en: str = ""

    def get(self, lang: Lang) -> str:
        return getattr(self, lang) or self.kk


class Statement(Model):
    id: str = ""
    number: int
    text: Text
    canonical: str = ""


class Skill(Model):
    number: int
    title: Text
    abilities: list[Statement] = Field(default_factory=list)
    knowledge: list[Statement] = Field(default_factory=list)

    def statements(self) -> list[tuple[StatementKind, Statement]]:
        """(kind, statement): the abilities, then the knowledge."""
        return [("ability", s) for s in self.abilities] + [("knowledge", s) for s in self.knowledge]


class LabourFunction(Model):
    number: int
    title: Text
    mandatory: bool = True
    skills: list[Skill] = Field(default_factory=list)


class Education(Model):
    level: Text
    specialty: Text
    qualification: Text


class OtherName(Model):
    code: str = ""
    name: Text


class Related(Model):
    sbsh_levels: list[int]
    name: Text
    clause: int | None = None


class Occupation(Model):
    clause: int
    code: str
    codes: list[str] = Field(default_factory=list)
    group_code: str
    name: Text
    sbsh_levels: list[int]
    sbsh_sublevel: str = ""
    category: Text
    education: list[Education] = Field(default_factory=list)
    experience: Text
    informal_education: Text
    other_names: list[OtherName] = Field(default_factory=list)
    main_purpose: Text
    mandatory_functions: list[Text] = Field(default_factory=list)
    additional_functions: list[Text] = Field(default_factory=list)
    labour_functions: list[LabourFunction] = Field(default_factory=list)
    personal_competencies: list[Text] = Field(default_factory=list)
    related: list[Related] = Field(default_factory=list)

    def walk(self) -> Iterator[tuple[LabourFunction, Skill, StatementKind, Statement]]:
        """Every statement of the card with its labour function, skill and kind, in card order."""
        for lf in self.labour_functions:
            for skill in lf.skills:
                for kind, st in skill.statements():
                    yield lf, skill, kind, st


class Abbreviation(Model):
    short: str
    full: Text


class Section(Model):
    """One line of the ЭҚЖЖ (economic activity classifier) references of the passport."""

    code: str
    name: str


class Standard(Model):
    code: str
    name: Text
    order: str
    order_date: str
    in_force: str
    amendments: list[str] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    abbreviations: list[Abbreviation] = Field(default_factory=list)
    translation_note: str = ""
    occupations: list[Occupation] = Field(default_factory=list)

    def occupation(self, key: str | int) -> Occupation:
        """Find a card by clause number (``13``) or job-title code (``3412-0-008``)."""
        k = str(key).strip()
        for occ in self.occupations:
            if k == str(occ.clause) or k == occ.code or k in occ.codes:
                return occ
        known = ", ".join(f"{o.clause} ({o.code})" for o in self.occupations)
        raise KeyError(f"no occupation card {k!r}; known cards: {known}")
