"""Job titles of the standard's cards (``matcher/data/standards/<code>.titles.json``): the words postings and CVs
use for each card's job, in kk, ru and en, as regular expressions, most specific rule first.

A title is the strongest single cue of a real posting ("Кейс-менеджер", "Директор центра ...", "Personal
assistant") and the one the statement-level signals miss: a director's duties read like a social worker's, and the
cards' own other names are shared by several cards. The engine reads the text's title lines against these rules
(``matcher.engine.titles``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from matcher.errors import DatasetError


class TitleRule(BaseModel):
    cards: list[int] = Field(description="the clauses of every card this title can mean; none: a job outside the "
                             "standard that looks like one of its titles (an assistant to a director)")
    patterns: list[str] = Field(min_length=1, description="regular expressions, matched at a word start")

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"pattern {p!r} does not compile: {exc}") from None
        return patterns


class TitleLexicon(BaseModel):
    standard: str = ""
    note: str = ""
    rules: list[TitleRule] = Field(default_factory=list)


def load_titles(path: Path, clauses: set[int] | None = None) -> TitleLexicon:
    """The title rules of a standard; none when the file does not exist (the engine then reads no titles). With
    ``clauses``, a rule naming a card the standard does not have is an error."""
    if not path.is_file():
        return TitleLexicon()
    try:
        lexicon = TitleLexicon.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        raise DatasetError(f"{path}: not a title lexicon ({str(exc)[:300]})", "dataset_missing") from None
    if clauses is not None:
        unknown = sorted({c for rule in lexicon.rules for c in rule.cards} - clauses)
        if unknown:
            raise DatasetError(f"{path}: rules name cards {unknown}, which the standard does not have",
                               "dataset_missing")
    return lexicon
