"""Labelled items: reading the JSONL format and resolving statement labels to dataset ids.

Format (one JSON object per line; extra fields are ignored)::

    {"id", "kind": "cv"|"vacancy", "lang": "kk"|"ru"|"en", "text", "gold_clause": int, "alt_clauses": [int],
     "gold_level": int, "level_range": [lo, hi], "covered_statements": [..], "missing_statements": [..]}

A statement label is a dataset id (``Q88100061/13/LF1/S1/A3``) or the statement's exact Kazakh text as printed in
the standard; texts are compared after normalising whitespace, case and trailing punctuation.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from matcher.errors import DatasetError
from matcher.standard.curate import statements
from matcher.standard.schema import Standard


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    kind: Literal["cv", "vacancy"]
    lang: Literal["kk", "ru", "en"]
    text: str
    gold_clause: int | None = Field(description="None for an out-of-domain text (another profession)")
    alt_clauses: list[int] = Field(default_factory=list)
    gold_level: int | None = Field(None, ge=1, le=8)
    level_range: tuple[int, int] | None = None
    out_of_domain: bool = False
    source: Literal["real", "synthetic"] = Field("synthetic", description="real: restated from a public page "
                                                 "(source_url); synthetic: written by the team")
    source_url: str = ""
    covered_statements: list[str] = Field(default_factory=list)
    missing_statements: list[str] = Field(default_factory=list)
    split: str = Field("", description="the file the item came from (set by load_items)")

    @model_validator(mode="after")
    def _check(self) -> EvalItem:
        if self.out_of_domain or self.gold_clause is None:
            if not (self.out_of_domain and self.gold_clause is None):
                raise ValueError("an out-of-domain item has gold_clause null, and only such an item")
            if self.covered_statements or self.missing_statements:
                raise ValueError("an out-of-domain item has no statement labels")
            return self
        if self.gold_level is None or self.level_range is None:
            raise ValueError("an in-domain item needs gold_level and level_range")
        lo, hi = self.level_range
        if not 1 <= lo <= hi <= 8:
            raise ValueError(f"level_range {list(self.level_range)} must be [lo, hi] with 1 <= lo <= hi <= 8")
        return self

    @property
    def correct_clauses(self) -> set[int]:
        return {self.gold_clause, *self.alt_clauses} if self.gold_clause is not None else set()


def load_items(path: Path) -> list[EvalItem]:
    """Read one JSONL file; every item gets ``split`` = the file's stem. Duplicate ids are an error."""
    items: list[EvalItem] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read: {exc}", "eval_dataset") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            raw.setdefault("split", path.stem)
            items.append(EvalItem.model_validate(raw))
        except (ValueError, ValidationError) as exc:
            raise DatasetError(f"{path}:{n}: {exc}", "eval_dataset") from None
    seen: set[str] = set()
    for it in items:
        if it.id in seen:
            raise DatasetError(f"{path}: item id {it.id!r} appears twice", "eval_dataset")
        seen.add(it.id)
    if not items:
        raise DatasetError(f"{path}: no items", "eval_dataset")
    return items


_TRAILING = re.compile(r"[\s.,;:!?…]+$")


def normalise_label(text: str) -> str:
    """Whitespace collapsed, case folded, trailing punctuation removed (NFC first)."""
    text = unicodedata.normalize("NFC", text)
    return _TRAILING.sub("", " ".join(text.split())).casefold()


class Resolution(BaseModel):
    """Labels of one item as canonical statement keys of its gold card, and what could not be resolved."""

    covered: set[str] = Field(default_factory=set)
    missing: set[str] = Field(default_factory=set)
    unresolved: list[str] = Field(default_factory=list)
    conflicts: set[str] = Field(default_factory=set, description="keys labelled both covered and missing (dropped)")


class StatementResolver:
    """Maps a label (id or Kazakh text) to the canonical key of a statement.

    Scoring uses canonical keys because the standard repeats some statements (laws, for example) in several
    skills of one card: the engine reports each copy, a person labels one.
    """

    def __init__(self, std: Standard):
        self.by_id: dict[str, str] = {}
        self.by_text: dict[str, set[str]] = {}
        self.card_of_key: dict[str, set[int]] = {}
        for occ in std.occupations:
            for *_, st in occ.walk():
                self.card_of_key.setdefault(st.canonical, set()).add(occ.clause)
        for _, st in statements(std):
            self.by_id[st.id] = st.canonical
            self.by_text.setdefault(normalise_label(st.text.kk), set()).add(st.canonical)

    def key(self, label: str, clause: int) -> str | None:
        """The canonical key of ``label`` on card ``clause``, or None when it is not a statement of that card."""
        if label in self.by_id:
            key = self.by_id[label]
            return key if clause in self.card_of_key.get(key, set()) else None
        keys = self.by_text.get(normalise_label(label), set())
        keys = {k for k in keys if clause in self.card_of_key.get(k, set())}
        return min(keys) if keys else None

    def resolve(self, item: EvalItem) -> Resolution:
        res = Resolution()
        if item.gold_clause is None:
            return res
        for labels, target in ((item.covered_statements, res.covered), (item.missing_statements, res.missing)):
            for label in labels:
                key = self.key(label, item.gold_clause)
                if key is None:
                    res.unresolved.append(label)
                else:
                    target.add(key)
        res.conflicts = res.covered & res.missing
        res.covered -= res.conflicts
        res.missing -= res.conflicts
        return res
