"""Parser of adilet-style text exports of professional standards (source text -> standard data).

The export flattens tables: cells are separated by tabs, rows break across pages, HTML fragments are mixed in,
labels vary and lists are sometimes printed twice. The parser reads every card as a stream of events
(labour-function header, skill header, "Машығы" label, knowledge label, numbered item, continuation text) and
relies on one invariant of the layout: within a card the k-th "Машығы" label and the k-th knowledge label belong to
the k-th skill, so an item belongs to the most recent label, whatever headers print between them.

What the layout still gets wrong is fixed by the reviewable overlay in ``matcher/data/standards/*.overlay.json``
(see :mod:`matcher.curate`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from matcher.errors import ParseError
from matcher.standard.schema import (
    Abbreviation,
    Education,
    LabourFunction,
    Occupation,
    OtherName,
    Related,
    Section,
    Skill,
    Standard,
    Statement,
    Text,
)

_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \u00a0\u2009\u202f]+")
_NOTE = "ЗҚАИ-ның ескертпесі!"
_CARD = re.compile(r'^\s*(\d{1,2})\.\s*"(.+)"\s+\S+\s+карточкасы')
_LF = re.compile(r"Е[ңн]бек\s+функциясы\s*(\d+)\s*[:.]?")
_SKILL = re.compile(r"Дағды\s*(\d+)\s*[:.]?")
_RECOG = re.compile(r"Дағдыны\s+тану\s+мүмкіндігі\s*:?")
_ABIL = re.compile(r"Машығы\s*:?")
_KNOW = re.compile(r"Біл(?:імі|імдер)(?:\s*:|(?=\s+\d{1,2}\.\s)|\s*$)")
_MARKERS = re.compile(
    "|".join(f"(?P<{name}>{rx.pattern})" for name, rx in
             (("lf", _LF), ("recog", _RECOG), ("skill", _SKILL), ("abil", _ABIL), ("know", _KNOW)))
)
_ITEM_NUM = re.compile(r"(?:^|(?<=[\s.;:!?)]))(\d{1,2})\s*\.\s+(?=\S)")
_CODE = re.compile(r"\d{4}-\d-\d{3}")
_LEVELS = re.compile(r"(\d)(?:\s*[-–]\s*(\d))?")


def clean(text: str) -> str:
    """Remove HTML, unescape entities, join spaces; keep the words."""
    text = html.unescape(_TAG.sub(" ", text))
    text = text.replace("\u00ad", "")
    return _SPACES.sub(" ", text).strip()


def strip_item(text: str) -> str:
    """A statement's text without list punctuation around it."""
    text = clean(text).strip(" ;,")
    return re.sub(r"\s+([.,;:])", r"\1", text)


def levels(text: str) -> list[int]:
    m = _LEVELS.search(text)
    if not m:
        return []
    lo = int(m.group(1))
    hi = int(m.group(2) or lo)
    return list(range(lo, hi + 1))


@dataclass
class _Cell:
    col: int
    ncols: int
    text: str


@dataclass
class _SkillDraft:
    lf: int
    number: int
    title: str
    abilities: list[str] = field(default_factory=list)
    knowledge: list[str] = field(default_factory=list)


@dataclass
class _ListDraft:
    items: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)


def _cells(lines: list[str]) -> list[list[str]]:
    rows = []
    for line in lines:
        line = line.replace("С Б Ш", "СБШ")
        if not line.strip():
            continue
        rows.append([clean(c) for c in line.split("\t")])
    return rows


def _split_items(text: str, last: int) -> list[tuple[int | None, str]]:
    """Split a cell fragment into numbered items; text before the first number continues the previous item."""
    out: list[tuple[int | None, str]] = []
    pos = 0
    current: int | None = None
    for m in _ITEM_NUM.finditer(text):
        n = int(m.group(1))
        at_start = not text[: m.start()].strip()
        if not at_start and not (n == 1 or last < n <= last + 3):
            continue
        chunk = text[pos : m.start()].strip()
        if chunk or current is not None:
            out.append((current, chunk))
        current, pos, last = n, m.end(), n
    tail = text[pos:].strip()
    if tail or current is not None:
        out.append((current, tail))
    return out


class _CardParser:
    """Turns the rows of one card into an :class:`Occupation`."""

    def __init__(self, clause: int, rows: list[list[str]]):
        self.clause = clause
        self.rows = rows
        self.fields: dict[str, list[list[str]]] = {}
        self.lf_titles: dict[int, str] = {}
        self.skills: list[_SkillDraft] = []
        self.ability_lists: list[_ListDraft] = []
        self.knowledge_lists: list[_ListDraft] = []
        self.mandatory: list[str] = []
        self._in_additional = False
        self.additional: list[str] = []
        self.competencies = ""
        self.related_rows: list[list[str]] = []

    # --- passport rows -------------------------------------------------------------------------------
    _FIELD_KEYS = (
        ("group_code", re.compile(r"Топтың коды")),
        ("codes", re.compile(r"атау\w* коды")),
        ("sublevel", re.compile(r"СБШ бойынша (?:кіші|біліктіліктің ішкі) деңгейі")),
        ("levels", re.compile(r"СБШ бойынша біліктілік деңгейі")),
        ("category", re.compile(r"ЖЖКБТБА")),
        ("education", re.compile(r"Кәсіптік білім")),
        ("experience", re.compile(r"Жұмыс тәжірибесіне")),
        ("informal", re.compile(r"(?:Формал|Бейресми|информал)", re.I)),
        ("other_names", re.compile(r"басқа\s+(?:да\s+)?ықтимал атаулары")),
        ("purpose", re.compile(r"негізгі мақсаты")),
        ("name", re.compile(r"^Кәсіп\w* атауы")),
        ("functions", re.compile(r"тізбес\w*( функциялары)?:?$|функцияларының тізбесі")),
        ("competencies", re.compile(r"Жеке құзыреттерге")),
        ("regulations", re.compile(r"Техникалық регламенттер")),
        ("related", re.compile(r"СБШ шеңбер\w* .*байланыс|Басқалармен байланыс")),
        ("lf_description", re.compile(r"Еңбек функцияларының сипаттамасы")),
    )

    def parse(self) -> Occupation:
        section = ""
        lf_rows: list[list[str]] = []
        for row in self.rows:
            head = row[0]
            key = next((k for k, rx in self._FIELD_KEYS if head and rx.search(head)), None)
            if key == "functions":
                section = "functions"
                self._function_list(row[1:])
                continue
            if key in ("competencies", "regulations", "related"):
                # the list of regulations is empty in these cards, and one card prints its related
                # occupations right under it without their own label row
                section = "related" if key == "regulations" else key
            elif key is not None and section not in ("functions", "lf"):
                section = key
            elif section == "functions" and self._has_marker(row):
                section = "lf"
            if section == "functions":
                self._function_list(row[1:])
            elif section == "lf":
                lf_rows.append(row)
            elif section == "competencies":
                self.competencies += " " + " ".join(c for c in row[1:] if c)
            elif section == "related":
                self.related_rows.append(row)
            elif section:
                self.fields.setdefault(section, []).append(row)
        self._labour_functions(lf_rows)
        return self._build()

    @staticmethod
    def _has_marker(row: list[str]) -> bool:
        return any(_MARKERS.search(c) for c in row)

    def _function_list(self, cells: list[str]) -> None:
        for cell in cells:
            if not cell:
                continue
            target = self.additional if self._in_additional else self.mandatory
            for part in re.split(r"((?:Міндетті|Қосымша)[^:]*:)", cell):
                if part.startswith("Міндетті"):
                    target, self._in_additional = self.mandatory, False
                elif part.startswith("Қосымша"):
                    target, self._in_additional = self.additional, True
                else:
                    for _, item in _split_items(part, 0):
                        if item:
                            target.append(strip_item(item))

    # --- labour functions, skills and statements -----------------------------------------------------
    def _labour_functions(self, rows: list[list[str]]) -> None:
        lf_no = 0  # the labour function being filled: every "Дағды 1" header opens the next one
        open_: str = ""  # what unlabelled text continues: "lf", "skill" or "item"
        current_lf_title = 0
        target: _ListDraft | None = None
        for row in rows:
            cells = [_Cell(c, len(row), t) for c, t in enumerate(row) if t]
            for cell in cells:
                pos = 0
                text = cell.text
                if text == _NOTE:
                    continue
                header = ""  # the text right after a header marker in the same cell is that header's title
                for m in _MARKERS.finditer(text):
                    before = text[pos : m.start()].strip()
                    if before and header:
                        self._add_title(header, before, current_lf_title)
                    elif before:
                        target, open_ = self._free_text(cell, before, open_, current_lf_title, target)
                    header = m.lastgroup if m.lastgroup in ("lf", "skill") else ""
                    kind = m.lastgroup
                    if kind == "lf":
                        current_lf_title = int(re.search(r"\d+", m.group(0)).group(0))
                        self.lf_titles.setdefault(current_lf_title, "")
                        open_ = "lf"
                    elif kind == "skill":
                        number = int(re.search(r"\d+", m.group(0)).group(0))
                        if number == 1 or not self.skills:
                            lf_no += 1
                        self.skills.append(_SkillDraft(lf=lf_no, number=number, title=""))
                        open_ = "skill"
                    elif kind == "abil":
                        target = _ListDraft()
                        self.ability_lists.append(target)
                        open_ = "item"
                    elif kind == "know":
                        target = _ListDraft()
                        self.knowledge_lists.append(target)
                        open_ = "item"
                    pos = m.end()
                rest = text[pos:].strip()
                if rest and header:
                    self._add_title(header, rest, current_lf_title)
                elif rest:
                    target, open_ = self._free_text(cell, rest, open_, current_lf_title, target)

    def _add_title(self, header: str, text: str, lf: int) -> None:
        if header == "lf":
            self.lf_titles[lf] = (self.lf_titles[lf] + " " + text).strip()
        else:
            self.skills[-1].title = (self.skills[-1].title + " " + text).strip()

    def _free_text(self, cell: _Cell, text: str, open_: str, lf: int,
                   target: _ListDraft | None) -> tuple[_ListDraft | None, str]:
        """Route text that follows no marker in its cell: a title continuation or list items."""
        starts_numbered = bool(re.match(r"\d{1,2}\s*\.\s", text))
        if not starts_numbered:
            column = cell.col if cell.ncols > 1 else None
            as_lf = column == 0 or (column is None and open_ == "lf")
            as_skill = column == 1 or (column is None and open_ == "skill")
            if as_lf and lf in self.lf_titles:
                self.lf_titles[lf] = (self.lf_titles[lf] + " " + text).strip()
                return target, "lf"
            if as_skill and self.skills:
                self.skills[-1].title = (self.skills[-1].title + " " + text).strip()
                return target, "skill"
        if target is None:
            return target, open_
        last = target.numbers[-1] if target.numbers else 0
        for number, chunk in _split_items(text, last):
            if number is None:
                if target.items:
                    target.items[-1] = (target.items[-1] + " " + chunk).strip()
                elif chunk:
                    target.items.append(chunk)
                    target.numbers.append(1)
                continue
            target.items.append(chunk)
            target.numbers.append(number)
        return target, "item"

    # --- assembling ----------------------------------------------------------------------------------
    def _first(self, key: str, col: int = 1) -> str:
        rows = self.fields.get(key, [])
        return " ".join(r[col] for r in rows if len(r) > col and r[col]).strip()

    def _build(self) -> Occupation:
        if not self.competencies.strip():
            raise ParseError(f"card {self.clause} is incomplete: no 'Жеке құзыреттерге қойылатын талаптар' row "
                             "after its labour functions (is the source truncated?)")
        if len(self.ability_lists) != len(self.skills) or len(self.knowledge_lists) != len(self.skills):
            raise ParseError(
                f"card {self.clause}: {len(self.skills)} skill headers but {len(self.ability_lists)} 'Машығы' "
                f"and {len(self.knowledge_lists)} knowledge labels; the layout broke the label invariant"
            )
        codes = _CODE.findall(self._first("codes"))
        if not codes:
            raise ParseError(f"card {self.clause}: no job-title code (Қызметтер атауының коды)")
        sbsh = levels(self._first("levels"))
        if not sbsh:
            raise ParseError(f"card {self.clause}: no SBSh level")
        lfs: dict[int, LabourFunction] = {}
        n_mand = len(self.mandatory)
        for k, draft in enumerate(self.skills):
            lf = lfs.get(draft.lf)
            if lf is None:
                title = strip_item(self.lf_titles.get(draft.lf, "")).rstrip(".")
                title = re.sub(r"^\d{1,2}\.\s*", "", title)
                lf = LabourFunction(number=draft.lf, title=Text(kk=title), mandatory=draft.lf <= n_mand)
                lfs[draft.lf] = lf
            skill = Skill(
                number=draft.number,
                title=Text(kk=strip_item(draft.title).rstrip(".")),
                abilities=_statements(self.ability_lists[k]),
                knowledge=_statements(self.knowledge_lists[k]),
            )
            lf.skills.append(skill)
        return Occupation(
            clause=self.clause,
            code=codes[0],
            codes=codes,
            group_code=self._first("group_code"),
            name=Text(kk=strip_item(self._first("name"))),
            sbsh_levels=sbsh,
            sbsh_sublevel=self._first("sublevel"),
            category=Text(kk=strip_item(self._first("category"))),
            education=self._education(),
            experience=Text(kk=strip_item(self._first("experience"))),
            informal_education=Text(kk=strip_item(self._first("informal"))),
            other_names=self._other_names(),
            main_purpose=Text(kk=strip_item(self._first("purpose"))),
            mandatory_functions=[Text(kk=t.rstrip(".")) for t in self.mandatory],
            additional_functions=[Text(kk=t.rstrip(".")) for t in self.additional],
            labour_functions=[lfs[k] for k in sorted(lfs)],
            personal_competencies=[Text(kk=c.strip().rstrip(".")) for c in
                                   re.split(r"[,;]\s*", clean(self.competencies)) if c.strip(" .")],
            related=self._related(),
        )

    def _education(self) -> list[Education]:
        """Rows of (level, specialty, qualification); a row without a level continues the previous entry."""
        entries: list[dict[str, str]] = []
        for row in self.fields.get("education", []):
            parts: dict[str, str] = {}
            for col, cell in enumerate(row[1:], start=1):
                if not cell:
                    continue
                m = re.match(r"(Білім деңгейі|Деңгей білімі|Мамандығы|Мамандық|Біліктілік)\s*:?\s*(.*)", cell)
                if m:
                    key = {"Мамандығы": "specialty", "Мамандық": "specialty",
                           "Біліктілік": "qualification"}.get(m.group(1), "level")
                    parts[key] = m.group(2)
                else:
                    parts[("level", "specialty", "qualification")[min(col, 3) - 1]] = cell
            if "level" in parts and re.match(r"(Білім деңгейі|Деңгей білімі)", " ".join(row[1:2]) or "x"):
                entries.append(parts)
            elif entries:
                for key, value in parts.items():
                    entries[-1][key] = (entries[-1].get(key, "") + " " + value).strip()
        return [Education(**{k: Text(kk=strip_item(e.get(k, "")).strip("- ")) for k in
                             ("level", "specialty", "qualification")}) for e in entries]

    def _other_names(self) -> list[OtherName]:
        text = self._first("other_names")
        out = []
        for part in re.split(r";\s*", text):
            part = part.strip(" .")
            if not part:
                continue
            m = re.match(r"(\d{4}-\d-\d{3})\s*[-–]?\s*(.*)", part)
            code, name = (m.group(1), m.group(2)) if m else ("", part)
            out.append(OtherName(code=code, name=Text(kk=name.strip(" .-–"))))
        return out

    def _related(self) -> list[Related]:
        out = []
        for row in self.related_rows:
            cells = [c for c in row[1:] if c]
            if len(cells) < 2:
                continue
            lv = levels(re.sub(r"СБШ деңгейі:?", "", cells[0]))
            name = re.sub(r"Кәсіптің атауы:?", "", cells[1]).strip()
            if lv and name:
                out.append(Related(sbsh_levels=lv, name=Text(kk=strip_item(name))))
        return out


def _statements(draft: _ListDraft) -> list[Statement]:
    seen: set[str] = set()
    out = []
    for item in draft.items:
        text = strip_item(item)
        key = normalise(text)
        if not key or key in seen:
            continue  # a duplicated list prints the same items again
        seen.add(key)
        out.append(Statement(number=len(out) + 1, text=Text(kk=text)))
    return out


def normalise(text: str) -> str:
    """The comparison key of a statement: case, whitespace and trailing punctuation do not matter."""
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip().lower()
    return text.rstrip(" .;,:")


# --- the whole document ---------------------------------------------------------------------------------

def parse_text(source: str) -> Standard:
    """Parse the text export of a standard. Raises :class:`ParseError` with a precise message."""
    if not source.strip():
        raise ParseError("the source is empty")
    if "\x00" in source:
        raise ParseError("the source is binary, not a text export of a standard")
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    starts = [(i, _CARD.match(clean(ln))) for i, ln in enumerate(lines)]
    starts = [(i, m) for i, m in starts if m]
    if not starts:
        raise ParseError("no occupation card found (expected lines like '9. \"...\" мамандығының карточкасы')")
    end = next((i for i, ln in enumerate(lines) if re.match(r"\s*\d+-ші тарау|\s*4-тарау", ln)), len(lines))
    bounds = [s for s, _ in starts] + [end]
    occupations = []
    for (start, m), stop in zip(starts, bounds[1:], strict=True):
        rows = _cells(lines[start + 1 : stop])
        occupations.append(_CardParser(int(m.group(1)), rows).parse())
    head = lines[: starts[0][0]]
    std = _passport(head)
    std.occupations = occupations
    for occ in occupations:
        for rel in occ.related:
            rel.clause = _resolve_related(rel.name.kk, occupations)
    return std


def _resolve_related(name: str, occupations: list[Occupation]) -> int | None:
    """The card a related-occupation name refers to: an exact name first, then the closest containing one."""
    key = normalise(name)
    if not key:
        return None
    exact = [o.clause for o in occupations if normalise(o.name.kk) == key]
    if exact:
        return exact[0]
    close = [(abs(len(normalise(o.name.kk)) - len(key)), o.clause) for o in occupations
             if normalise(o.name.kk) in key or key in normalise(o.name.kk)]
    return min(close)[1] if close else None


_MONTHS = ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан",
           "қараша", "желтоқсан")


def _iso(year: str, month: str, day: str) -> str:
    """'2024', 'сәуірдегі', '30' -> '2024-04-30' (Kazakh month names carry case suffixes)."""
    number = next((i + 1 for i, name in enumerate(_MONTHS) if month.lower().startswith(name)), 0)
    if not number:
        raise ParseError(f"passport: unknown month {month!r}")
    return f"{int(year):04d}-{number:02d}-{int(day):02d}"


def _passport(lines: list[str]) -> Standard:
    text = "\n".join(clean(ln) for ln in lines)
    code = re.search(r"стандарттарының коды:\s*(\S+?)\.?\s*$|стандарттардың коды:\s*(\S+?)\.?\s*$", text, re.M)
    if not code:
        raise ParseError("passport: the standard's code (clause 5, 'коды:') is missing")
    name = re.search(r'^\s*"(.+?)"\s+кәсіптік стандартын бекіту', text, re.M)
    order = re.search(r"(\d{4}) жылғы (\d{1,2}) (\w+) № (\d+) бұйрығы", text)
    if not (name and order):
        raise ParseError("passport: the title or the approving order is missing")
    force = re.search(r"(\d{4}) жылғы (\d{1,2}) (\w+) бастап қолданысқа енгізіледі", text)
    amendments = []
    for i, ln in enumerate(lines):
        if clean(ln) == _NOTE:
            nxt = next((clean(x) for x in lines[i + 1 :] if clean(x)), "")
            amendments.append(nxt)
    sections = []
    for m in re.finditer(r"^(Q|\d{2}(?:\.\d{1,2})*\.?)\s+(.+?);?$", text, re.M):
        if m.group(1) == "Q" or "." in m.group(1) or len(m.group(1)) == 2:
            sections.append(Section(code=m.group(1).rstrip("."), name=m.group(2).rstrip(";. ")))
    abbreviations = {}
    for m in re.finditer(r"^-?\s*\d\)\s*([А-ЯӘҒҚҢӨҰҮҺІ][А-ЯӘҒҚҢӨҰҮҺІа-яәғқңөұүһі]*)\s+–\s+(.+?);?\.?$", text, re.M):
        abbreviations[m.group(1)] = m.group(2).rstrip(";. ")  # a later wording replaces an amended one
    return Standard(
        code=(code.group(1) or code.group(2)).rstrip("."),
        name=Text(kk=name.group(1)),
        order=f"№ {order.group(4)}",
        order_date=_iso(order.group(1), order.group(3), order.group(2)),
        in_force=_iso(force.group(1), force.group(3), force.group(2)) if force else "",
        amendments=[a for a in amendments if a],
        sections=sections,
        abbreviations=[Abbreviation(short=k, full=Text(kk=v)) for k, v in abbreviations.items()],
    )


def parse_file(path: str | Path) -> Standard:
    """Read and parse a source file; a file that is not UTF-8 text gets a :class:`ParseError`."""
    data = Path(path).read_bytes()
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_text(source)
