"""Curation: parser output + reviewable overlay + translations -> the curated dataset.

``curate(parsed, overlay, translations)`` is deterministic, so re-parsing the source and applying the same
overlay reproduces ``matcher/data/standards/<CODE>.json`` exactly (a test checks this).

The overlay (``<CODE>.overlay.json``) is a list of corrections, each with a ``path``, an ``op``, the value the
parser produced (``expect``) and a ``reason``. A correction whose ``expect`` no longer matches the parser output
fails loudly instead of applying to the wrong text. Paths:

* ``13/main_purpose``, ``9/other_names`` - an occupation field (clause / field);
* ``13/LF3/title``, ``13/LF3/S2/title`` - a labour function or skill title;
* ``13/LF3/S2/A2``, ``12/LF1/S2/K4`` - an ability or knowledge statement (its text).

Ops: ``set`` (replace the value), ``split`` (replace one statement by several), ``delete`` (drop a statement).

Translations (``<CODE>.translations.json``) map the normalised Kazakh text to ``{"ru", "en"}``, so a statement
repeated in several cards is translated once and shares its ``canonical`` key.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from matcher.errors import CurationError
from matcher.standard.parse import normalise
from matcher.standard.schema import Standard, Statement, Text

TRANSLATION_NOTE = (
    "The Kazakh text (kk) is the official source. The Russian (ru) and English (en) texts are unofficial "
    "translations made for this project; they are not the official Russian version of the standard."
)



class Correction(BaseModel):
    path: str
    op: str = "set"
    expect: Any = None
    value: Any = None
    reason: str


class Overlay(BaseModel):
    code: str
    corrections: list[Correction] = Field(default_factory=list)


_PATH = re.compile(r"^(\d+)/(?:LF(\d+)/(?:S(\d+)/)?)?([AK]\d+|title|[a-z_]+)$")


def _locate(data: dict, path: str) -> tuple[Any, Any]:
    """(container, key) of the value a path names inside ``Standard.model_dump()``."""
    m = _PATH.match(path)
    if not m:
        raise CurationError(f"overlay path {path!r} is not of the form CLAUSE/[LFn/[Sm/]](An|Kn|title|field)")
    clause, lf_no, skill_no, leaf = m.groups()
    occ = next((o for o in data["occupations"] if o["clause"] == int(clause)), None)
    if occ is None:
        raise CurationError(f"overlay path {path!r}: no card {clause}")
    if lf_no is None:
        if leaf not in occ:
            raise CurationError(f"overlay path {path!r}: cards have no field {leaf!r}")
        return occ, leaf
    lf = next((f for f in occ["labour_functions"] if f["number"] == int(lf_no)), None)
    if lf is None:
        raise CurationError(f"overlay path {path!r}: card {clause} has no labour function {lf_no}")
    if skill_no is None:
        return lf["title"], "kk"
    skill = next((s for s in lf["skills"] if s["number"] == int(skill_no)), None)
    if skill is None:
        raise CurationError(f"overlay path {path!r}: no skill {skill_no} in {clause}/LF{lf_no}")
    if leaf == "title":
        return skill["title"], "kk"
    items = skill["abilities" if leaf[0] == "A" else "knowledge"]
    index = int(leaf[1:]) - 1
    if not 0 <= index < len(items):
        raise CurationError(f"overlay path {path!r}: there are {len(items)} statements there")
    return items, index


def _current(container: Any, key: Any) -> Any:
    value = container[key]
    return value["text"]["kk"] if isinstance(value, dict) and "text" in value else value


def apply_overlay(parsed: Standard, overlay: Overlay) -> Standard:
    """Apply the corrections in order; statement paths refer to the numbering before any split or delete."""
    if overlay.code != parsed.code:
        raise CurationError(f"overlay is for {overlay.code}, the source is {parsed.code}")
    data = parsed.model_dump()
    # Resolve every path against the parser's numbering first, then edit lists from the end backwards.
    located = []
    for corr in overlay.corrections:
        container, key = _locate(data, corr.path)
        found = _current(container, key)
        if corr.expect is not None and found != corr.expect:
            raise CurationError(
                f"overlay correction {corr.path} is stale: it expects {corr.expect!r} but the parser gives "
                f"{found!r}; review the correction against the source"
            )
        located.append((corr, container, key))
    for corr, container, key in sorted(located, key=lambda x: -x[2] if isinstance(x[2], int) else 0):
        if corr.op == "set":
            if isinstance(key, int):
                container[key]["text"]["kk"] = corr.value
            else:
                container[key] = corr.value
        elif corr.op == "split" and isinstance(key, int):
            if not isinstance(corr.value, list) or len(corr.value) < 2:
                raise CurationError(f"overlay split {corr.path} needs a list of two or more texts")
            container[key : key + 1] = [{"id": "", "number": 0, "text": {"kk": t, "ru": "", "en": ""},
                                         "canonical": ""} for t in corr.value]
        elif corr.op == "delete" and isinstance(key, int):
            del container[key]
        else:
            raise CurationError(f"overlay op {corr.op!r} does not apply to {corr.path}")
    return Standard.model_validate(data)


def _texts(obj: Any) -> list[Text]:
    """Every :class:`Text` inside a model, in document order."""
    if isinstance(obj, Text):
        return [obj]
    if isinstance(obj, BaseModel):
        return [t for name in type(obj).model_fields for t in _texts(getattr(obj, name))]
    if isinstance(obj, list):
        return [t for x in obj for t in _texts(x)]
    return []


def canonical_key(text: str) -> str:
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:12]


def curate(parsed: Standard, overlay: Overlay, translations: dict[str, dict[str, str]]) -> Standard:
    """The curated dataset: corrected, numbered, with stable ids, canonical keys and translations."""
    std = apply_overlay(parsed, overlay)
    missing = []
    for text in _texts(std):
        if not text.kk:
            continue
        tr = translations.get(normalise(text.kk))
        if tr is None:
            missing.append(text.kk)
            continue
        text.ru, text.en = tr["ru"], tr["en"]
    if missing:
        sample = "; ".join(repr(m[:80]) for m in missing[:5])
        raise CurationError(f"{len(missing)} texts have no translation, e.g. {sample}")
    for occ in std.occupations:
        for lf in occ.labour_functions:
            for skill in lf.skills:
                for letter, items in (("A", skill.abilities), ("K", skill.knowledge)):
                    for n, st in enumerate(items, start=1):
                        st.number = n
                        st.id = f"{std.code}/{occ.clause}/LF{lf.number}/S{skill.number}/{letter}{n}"
                        st.canonical = canonical_key(st.text.kk)
    std.translation_note = TRANSLATION_NOTE
    return std


def statements(std: Standard) -> list[tuple[str, Statement]]:
    """(kind, statement) for every ability and knowledge statement, in card order."""
    return [(kind, st) for occ in std.occupations for _, _, kind, st in occ.walk()]


def load_overlay(path: str | Path) -> Overlay:
    return Overlay.model_validate_json(Path(path).read_text(encoding="utf-8"))


def load_translations(path: str | Path) -> dict[str, dict[str, str]]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {normalise(k): v for k, v in raw.items()}
