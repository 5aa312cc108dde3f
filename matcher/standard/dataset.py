"""The curated standard dataset: build it from the source, load it, validate it, print it."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from matcher.config import Settings
from matcher.errors import DatasetError
from matcher.standard.curate import curate, load_overlay, load_translations, statements
from matcher.standard.parse import parse_file
from matcher.standard.schema import LANGS, Lang, Occupation, Standard

_FORBIDDEN = re.compile(r"<[^>]+>|&[a-z]+;|\b(?:Машығы|Білімі|Білімдер|Дағдыны тану)\b|Дағды \d|Еңбек функциясы \d")


def build(settings: Settings) -> Standard:
    """Re-parse the source and apply the overlay and translations: what the curated file must equal."""
    s = settings
    return curate(parse_file(s.source_path), load_overlay(s.overlay_path), load_translations(s.translations_path))


def dump(std: Standard) -> str:
    return json.dumps(std.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n"


def validate_data(data: object) -> list[str]:
    """Every problem of a dataset, each as a precise message; an empty list means the file is valid."""
    try:
        std = Standard.model_validate(data)
    except ValidationError as exc:
        return [f"schema: {'/'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    problems: list[str] = []

    def langs(where: str, text: object) -> None:
        for lang in LANGS:
            if not getattr(text, lang).strip():
                problems.append(f"{where}: missing '{lang}' text")

    if len(std.occupations) == 0:
        problems.append("the standard has no occupation cards")
    langs("standard name", std.name)
    ids: Counter[str] = Counter()
    for occ in std.occupations:
        where = f"card {occ.clause}"
        langs(f"{where} name", occ.name)
        if not occ.sbsh_levels or any(not 1 <= lv <= 8 for lv in occ.sbsh_levels):
            problems.append(f"{where}: SBSh levels {occ.sbsh_levels} must be a non-empty list within 1-8")
        for rel in occ.related:
            if any(not 1 <= lv <= 8 for lv in rel.sbsh_levels):
                problems.append(f"{where}: related occupation levels {rel.sbsh_levels} outside 1-8")
        if not occ.labour_functions:
            problems.append(f"{where}: no labour functions")
        for lf in occ.labour_functions:
            lwhere = f"{where} LF{lf.number}"
            langs(f"{lwhere} title", lf.title)
            if not lf.skills:
                problems.append(f"{lwhere}: no skills")
            for skill in lf.skills:
                swhere = f"{lwhere} S{skill.number}"
                langs(f"{swhere} title", skill.title)
                if not skill.abilities:
                    problems.append(f"{swhere}: no ability ('Машығы') statements")
                if not skill.knowledge:
                    problems.append(f"{swhere}: no knowledge ('Білімі') statements")
                for _, st in skill.statements():
                    ids[st.id] += 1
                    if not st.id:
                        problems.append(f"{swhere}: a statement has no id: {st.text.kk[:60]!r}")
                    if not st.canonical:
                        problems.append(f"{st.id or swhere}: no canonical key")
                    langs(st.id or swhere, st.text)
                    if _FORBIDDEN.search(st.text.kk):
                        problems.append(f"{st.id}: statement contains HTML or a label: {st.text.kk[:80]!r}")
    problems += [f"duplicate statement id {i!r} ({n} times)" for i, n in ids.items() if i and n > 1]
    return problems


def validate_file(path: str | Path) -> list[str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"{path}: no such file"]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{path}: not a JSON file ({exc})"]
    return validate_data(data)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Standard:
    return Standard.model_validate_json(Path(path).read_text(encoding="utf-8"))


def load(settings: Settings) -> Standard:
    """The curated dataset, cached per file version."""
    path = settings.dataset_path
    if not path.exists():
        raise DatasetError(f"curated dataset {path} is missing; run 'matcher standard build'", "dataset_missing")
    return _load(str(path), path.stat().st_mtime)


def render(occ: Occupation, lang: Lang = "kk") -> str:
    """A readable card in one language."""
    t = lambda x: x.get(lang)  # noqa: E731
    lv = "-".join(str(x) for x in (occ.sbsh_levels[0], occ.sbsh_levels[-1])) if len(occ.sbsh_levels) > 1 \
        else str(occ.sbsh_levels[0])
    heads = {
        "kk": ("Карта", "СБШ деңгейі", "Білім", "Тәжірибе", "Негізгі мақсаты", "Еңбек функциясы", "Дағды",
               "Машығы", "Білімі", "міндетті", "қосымша", "Байланысты кәсіптер"),
        "ru": ("Карточка", "Уровень ОРК", "Образование", "Опыт", "Основная цель", "Трудовая функция", "Навык",
               "Умения", "Знания", "обязательная", "дополнительная", "Связанные профессии"),
        "en": ("Card", "SQF level", "Education", "Experience", "Main purpose", "Labour function", "Skill",
               "Abilities", "Knowledge", "mandatory", "additional", "Related occupations"),
    }[lang]
    out = [f"{heads[0]} {occ.clause}. {t(occ.name)} [{occ.code}]", f"{heads[1]}: {lv} {occ.sbsh_sublevel}".rstrip()]
    for e in occ.education:
        out.append(f"{heads[2]}: {t(e.level)}; {t(e.specialty)}; {t(e.qualification)}".rstrip("; "))
    out += [f"{heads[3]}: {t(occ.experience)}", f"{heads[4]}: {t(occ.main_purpose)}", ""]
    for lf in occ.labour_functions:
        kind = heads[9] if lf.mandatory else heads[10]
        out.append(f"{heads[5]} {lf.number} ({kind}): {t(lf.title)}")
        for skill in lf.skills:
            out.append(f"  {heads[6]} {skill.number}: {t(skill.title)}")
            out.append(f"    {heads[7]}:")
            out += [f"      {s.number}. {t(s.text)}  [{s.id}]" for s in skill.abilities]
            out.append(f"    {heads[8]}:")
            out += [f"      {s.number}. {t(s.text)}  [{s.id}]" for s in skill.knowledge]
    if occ.related:
        out.append("")
        out.append(f"{heads[11]}:")
        out += [f"  {'-'.join(map(str, r.sbsh_levels))}: {t(r.name)}" + (f" (#{r.clause})" if r.clause else "")
                for r in occ.related]
    return "\n".join(out)


def summary(std: Standard) -> str:
    n_lf = sum(len(o.labour_functions) for o in std.occupations)
    n_sk = sum(len(f.skills) for o in std.occupations for f in o.labour_functions)
    n_st = len(statements(std))
    return (f"{std.code} {std.name.kk}: {len(std.occupations)} cards, {n_lf} labour functions, {n_sk} skills, "
            f"{n_st} statements")
