"""Text pipeline run on a CV or vacancy before embedding.

``prepare_segments`` is the entry point: PII removal, segmentation into lines/cells/sentences
with a per-segment language, and expansion of the standard's abbreviations.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import spacy
from pydantic import BaseModel
from spacy.language import Language

from matcher.kazakh import KK_LOWER, KK_UPPER, blank_kk

Lang = Literal["kk", "ru", "en", "unknown"]

MIN_LETTERS = 3  # fewer letters than this: language "unknown"
MIN_WORD_CHARS = 3  # segments with fewer word characters are dropped
MIN_WORDS = 3  # shorter sentence/cell fragments are merged into a neighbour on the same line
MAX_WORDS = 60  # longer segments are cut into chunks
_CHUNK_SLACK = 12  # a chunk may end up to this many words early, at a , ; : boundary

# --- language detection -------------------------------------------------------------------

_KK_LETTERS = frozenset(KK_LOWER + KK_UPPER)
_WORD_RE = re.compile(r"[^\W\d_]+")
_ALNUM_RE = re.compile(r"[^\W_]+")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04FF]")
_LATIN_RE = re.compile(r"[A-Za-z\u00C0-\u024F]")
# Letter sequences Russian spelling never has (шы, жы, кы, гы, йы ...) and Kazakh endings
# (-лау/-деу verbal nouns, -лар/-дар plurals, -ған participles), for words without ә ғ қ ...
_KK_SPELLING_RE = re.compile(
    r"[шжчщкгх]ы|йы|[лдт][ае]у$|[лдт]ар$|[лдт][ае]р(?:[дн][ыі]|[ғгн][ае]|[дн][ае]н?|м[ае]н)$|ған$"
)
_RU_ENDING_RE = re.compile(
    r"(?:ость|ости|ение|ения|ании|ание|ания|ого|ому|ыми|ими|ться|тся|ция|ции|ств[оа]|ый|ий|ая|ое|ые|ых|ие)$"
)

KK_ABBREVIATIONS: dict[str, str] = {
    "МБА": "мүгедектігі бар адамдар",
    "ӨҚЖ": "өмірлік қиын жағдай",
    "АӘК": "атаулы әлеуметтік көмек",
    "АӘҚКО": "арнаулы әлеуметтік қызметтер көрсету орталығы",
    "ТжКБ": "техникалық және кәсіптік білім беру",
    "ТЖКБ": "техникалық және кәсіптік білім беру",
    "ЖЖКБТБА": "жұмыстар мен жұмысшылардың кәсіптерінің бірыңғай тарифтік-біліктілік анықтамалығы",
    "ЭҚЖЖ": "экономикалық қызмет түрлерінің жалпы жіктеуші",
    "БА": "біліктілік анықтамалық",
    "АЖ": "ақпараттық жүйе",
    "СБШ": "салалық біліктілік шеңбері",
    "ҰБШ": "ұлттық біліктілік шеңбері",
    "ЖОО": "жоғары оқу орны",
}
RU_ABBREVIATIONS: dict[str, str] = {
    "ЛсИ": "лица с инвалидностью",
    "ЛСИ": "лица с инвалидностью",
    "ТЖС": "трудная жизненная ситуация",
    "АСП": "адресная социальная помощь",
    "ЦОСУ": "центр оказания специальных социальных услуг",
    "ЦССУ": "центр оказания специальных социальных услуг",
    "ТиПО": "техническое и профессиональное образование",
    "ТИПО": "техническое и профессиональное образование",
    "ССУ": "специальные социальные услуги",
    "ОРК": "отраслевая рамка квалификаций",
    "НРК": "национальная рамка квалификаций",
    "ЕТКС": "единый тарифно-квалификационный справочник",
    "ОКЭД": "общий классификатор видов экономической деятельности",
    "МТСЗН": "министерство труда и социальной защиты населения",
    "ВУЗ": "высшее учебное заведение",
}
EN_ABBREVIATIONS: dict[str, str] = {
    "PWD": "persons with disabilities",
    "PWDs": "persons with disabilities",
    "NGO": "non-governmental organization",
    "BSW": "Bachelor of Social Work",
    "MSW": "Master of Social Work",
    "TVET": "technical and vocational education and training",
}
ABBREVIATIONS: dict[str, dict[str, str]] = {
    "kk": KK_ABBREVIATIONS,
    "ru": RU_ABBREVIATIONS,
    "en": EN_ABBREVIATIONS,
}

_KK_MARKERS_TEXT = """
    және мен пен бен бойынша арқылы үшін туралы бар жоқ жыл жылы жылдан жылға жылдар бастап дейін
    жұмыс жұмысы жұмыскер тәжірибе тәжірибесі білім білімі дағды дағдылары маман қызмет көмек
    бұл осы сол ол өз болып ретінде сәйкес кезінде ішінде әлеуметтік ұйым ұйымы орталығы
"""
_KK_MARKERS = frozenset(_KK_MARKERS_TEXT.split()) | frozenset(a.lower() for a in KK_ABBREVIATIONS)
_RU_MARKERS_TEXT = """
    и в во на по с со для не что от из к у о об при за до или как также а но это лет год года
    опыт работы работа работал работала навыки образование обязанности умение знание г ул пр мкр обл
"""
_RU_MARKERS = frozenset(_RU_MARKERS_TEXT.split()) | frozenset(a.lower() for a in RU_ABBREVIATIONS)


def detect_language(text: str) -> Lang:
    """Language of a short text: kk (Kazakh letters/words), ru (other Cyrillic), en (Latin)."""
    letters = sum(ch.isalpha() for ch in text)
    if letters < MIN_LETTERS:
        return "unknown"
    cyrillic = len(_CYRILLIC_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    if cyrillic == 0 and latin == 0:
        return "unknown"
    if latin > cyrillic:
        return "en"
    kk_score = 0.0
    ru_score = 0.0
    for word in _WORD_RE.findall(text.lower()):
        if not _CYRILLIC_RE.match(word):
            continue
        has_kk_letter = any(ch in _KK_LETTERS for ch in word)
        kk_score += (word in _KK_MARKERS) + has_kk_letter
        ru_score += 1.5 * (word in _RU_MARKERS)
        if not has_kk_letter and _KK_SPELLING_RE.search(word):
            kk_score += 1.0
        elif not has_kk_letter and len(word) > 3 and _RU_ENDING_RE.search(word):
            ru_score += 1.0
    return "kk" if kk_score > ru_score else "ru"


# --- spaCy pipelines ----------------------------------------------------------------------


@lru_cache(maxsize=8)
def get_nlp(lang: str) -> Language:
    """Cached blank pipeline with sentence boundaries for ``kk``, ``ru``, ``en`` (else ``xx``)."""
    if lang == "kk":
        return blank_kk()
    nlp = spacy.blank(lang if lang in ("ru", "en") else "xx")
    nlp.add_pipe("sentencizer")
    return nlp


# --- segmentation -------------------------------------------------------------------------


class Segment(BaseModel):
    """A piece of text to embed; ``start``/``end`` are character offsets into the input."""

    text: str
    lang: str
    start: int
    end: int


_LINE_RE = re.compile(r"[^\n\r\f\v\u2028\u2029\x85]+")
_BULLET_RE = re.compile(
    r"(?:[•◦▪▫●○■□►▸‣∙·✓✔➢➤*]+\s*"  # symbol bullets
    r"|[-–—]+(?=\s|[^\W\d])\s*"  # dash bullets (not a minus sign)
    r"|\(?\d{1,2}(?:\.\d{1,2})*[.)](?=\s|$)\s*|\(?\d{1,2}\)\s*"  # 1. 1) 2.3. (1)
    r"|\(?[a-zа-я]\)\s+)"  # a) б)
)
# "... ету. 2." / "Машығы: 1." / "... айқындау 2." when the next item follows
_TRAILING_ENUM_RE = re.compile(r"[^\s\d]\s+\(?\d{1,2}[.)]$")
_NEXT_CHAR_RE = re.compile(r"\s*(\S)")
_OPENING_PUNCT = "([{«„“‘\"'"
_CELL_SEP_RE = re.compile(r"\t+|\|+|\s[•●▪◦■►]\s")
_LINE_END_RE = re.compile(r"[.!?;:…]\s*$")
_WRAP_MIN_CHARS = 40  # a line this long that ends mid-sentence may wrap onto the next
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]{0,300}>")
_ENTITY_RE = re.compile(r"&(?:#\d{1,6}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_BLOCK_TAGS = frozenset(
    ("p", "div", "li", "ul", "ol", "br", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6")
)


@dataclass
class _Piece:
    text: str
    start: int
    end: int
    cell: int
    lang: str

    def join(self, other: _Piece, source: str) -> _Piece:
        if self.cell == other.cell:  # same cell: the source span, whitespace-normalised
            text = _normalise(source[self.start : other.end])
        else:
            text = self.text + (" " if self.text[-1:] in ".!?:;,-–" else "; ") + other.text
        return _Piece(text, self.start, other.end, other.cell, self.lang)


def _mask_markup(text: str) -> str:
    """Replace HTML tags/entities by same-length whitespace so offsets stay valid."""
    if "<" not in text and "&" not in text:
        return text

    def tag(m: re.Match[str]) -> str:
        fill = "\n" if m.group(2).lower() in _BLOCK_TAGS else " "
        return fill + " " * (len(m.group(0)) - 1)

    def entity(m: re.Match[str]) -> str:
        char = html.unescape(m.group(0))
        char = " " if len(char) != 1 or char.isspace() else char
        return char + " " * (len(m.group(0)) - 1)

    return _ENTITY_RE.sub(entity, _TAG_RE.sub(tag, text))


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _word_count(text: str) -> int:
    return len(_ALNUM_RE.findall(text))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past whitespace and leading bullets/enumerators."""
    while True:
        while start < end and text[start].isspace():
            start += 1
        m = _BULLET_RE.match(text, start, end)
        if not m or m.end() == start:
            break
        start = m.end()
    while True:
        while end > start and text[end - 1].isspace():
            end -= 1
        m = _TRAILING_ENUM_RE.search(text, start, end)
        following = _NEXT_CHAR_RE.match(text, end)
        if not m or (following and not following.group(1).isupper()):
            return start, end
        end = m.start() + 1  # keep the word or "." before the enumerator


@dataclass
class _Line:
    start: int
    end: int
    bulleted: bool
    after_break: bool  # preceded by a blank line


def _physical_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    prev_end = 0
    for m in _LINE_RE.finditer(text):
        start, end = _trim(text, m.start(), m.end())
        if start >= end:
            continue
        raw = m.group(0)
        bulleted = start > m.start() + len(raw) - len(raw.lstrip())
        lines.append(_Line(start, end, bulleted, text.count("\n", prev_end, m.start()) > 1))
        prev_end = m.end()
    return lines


def _logical_lines(text: str) -> list[tuple[int, int]]:
    """Lines, with wrapped continuations (long line + lower-case start) and short ``Label:``
    lines joined to the line that follows them."""
    out: list[_Line] = []
    for line in _physical_lines(text):
        prev = out[-1] if out else None
        if (
            prev is not None
            and not line.bulleted
            and not line.after_break
            and not _CELL_SEP_RE.search(text, prev.start, line.end)
            and (
                # a wrapped line: long previous line without final punctuation, lower-case start
                (
                    prev.end - prev.start >= _WRAP_MIN_CHARS
                    and text[line.start].isalpha()
                    and text[line.start].islower()
                    and not _LINE_END_RE.search(text, prev.start, prev.end)
                )
                # a label: "Должность:" followed by its value on the next line
                or (text[prev.end - 1] == ":" and _word_count(text[prev.start : prev.end]) <= 4)
            )
        ):
            prev.end = line.end
        else:
            out.append(line)
    return [(line.start, line.end) for line in out]


def _cells(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    pos = start
    for m in _CELL_SEP_RE.finditer(text, start, end):
        yield pos, m.start()
        pos = m.end()
    yield pos, end


def _chunks(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut ``[start, end)`` into pieces of at most MAX_WORDS words, preferring , ; : cuts."""
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    tokens = [(start + s, start + e) for s, e in tokens]
    counts = [_word_count(text[s:e]) for s, e in tokens]
    first = 0
    while sum(counts[first:]) > MAX_WORDS:
        remaining = sum(counts[first:])
        target = math.ceil(remaining / math.ceil(remaining / MAX_WORDS))
        words = 0
        cut = len(tokens) - 1
        for i in range(first, len(tokens)):
            words += counts[i]
            if words >= target or (words >= target - _CHUNK_SLACK and text[tokens[i][1] - 1] in ",;:)"):
                cut = i
                break
        yield tokens[first][0], tokens[cut][1]
        first = cut + 1
    if first < len(tokens):
        yield tokens[first][0], tokens[-1][1]


def _sentence_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Move opening brackets/quotes that spaCy leaves at a sentence end to the next sentence."""
    for i in range(len(spans) - 1):
        start, end = spans[i]
        cut = end
        while cut > start and text[cut - 1].isspace():
            cut -= 1
        while cut > start and text[cut - 1] in _OPENING_PUNCT:
            cut -= 1
        if cut > start and text[cut:end].strip():
            spans[i], spans[i + 1] = (start, cut), (cut, spans[i + 1][1])
    return spans


def _line_pieces(text: str, start: int, end: int) -> list[_Piece]:
    pieces: list[_Piece] = []
    for cell, (cs, ce) in enumerate(_cells(text, start, end)):
        cs, ce = _trim(text, cs, ce)
        if cs >= ce:
            continue
        lang = detect_language(text[cs:ce])
        doc = get_nlp(lang)(text[cs:ce])
        for ss, se in _sentence_spans(text, [(cs + s.start_char, cs + s.end_char) for s in doc.sents]):
            ss, se = _trim(text, ss, se)
            if ss >= se or not _ALNUM_RE.search(text, ss, se):
                continue
            for s, e in _chunks(text, ss, se):
                pieces.append(_Piece(_normalise(text[s:e]), s, e, cell, lang))
    merged: list[_Piece] = []
    carry: _Piece | None = None
    for piece in pieces:
        if carry is not None:
            piece, carry = carry.join(piece, text), None
        if _word_count(piece.text) < MIN_WORDS:
            if merged and not piece.text.endswith(":"):
                merged[-1] = merged[-1].join(piece, text)
            else:
                carry = piece
            continue
        merged.append(piece)
    if carry is not None:
        merged.append(carry)
    return merged


def segment(text: str) -> list[Segment]:
    """Split text into segments: lines/bullets, table cells, then sentences (per-segment language).

    Fragments under MIN_WORDS words join a neighbour on the same line, segments over MAX_WORDS
    words are chunked, and segments with fewer than MIN_WORD_CHARS word characters are dropped.
    HTML markup is ignored.  ``Segment.text`` is whitespace-normalised without bullets;
    ``start``/``end`` delimit its source span in ``text``.
    """
    masked = _mask_markup(text)
    segments: list[Segment] = []
    for start, end in _logical_lines(masked):
        for piece in _line_pieces(masked, start, end):
            if sum(len(w) for w in _ALNUM_RE.findall(piece.text)) < MIN_WORD_CHARS:
                continue
            lang = detect_language(piece.text)
            if lang == "unknown":
                lang = piece.lang
            segments.append(Segment(text=piece.text, lang=lang, start=piece.start, end=piece.end))
    return segments


# --- abbreviations ------------------------------------------------------------------------

_KK_SUFFIX_CHARS = "a-zёа-я" + KK_LOWER


@lru_cache(maxsize=8)
def _abbreviation_re(lang: str) -> re.Pattern[str] | None:
    table = ABBREVIATIONS.get(lang)
    if not table:
        return None
    names = "|".join(re.escape(a) for a in sorted(table, key=len, reverse=True))
    suffix = rf"(?:-[{_KK_SUFFIX_CHARS}]{{1,10}})?" if lang == "kk" else ""
    return re.compile(rf"(?<![\w-])(?P<abbr>{names}){suffix}(?![\w])")


def _shouting(text: str, start: int, end: int, known: dict[str, str]) -> bool:
    """True if the neighbouring word is an all-caps non-abbreviation (``... АЛАСЫЗ БА?``)."""
    before = re.search(r"([^\W\d_]+)[^\w]*$", text[max(0, start - 40) : start])
    after = re.match(r"[^\w]*([^\W\d_]+)", text[end : end + 40])
    for m in (before, after):
        if m:
            word = m.group(1)
            if len(word) > 2 and word.isupper() and word not in known:
                return True
    return False


def expand_abbreviations(text: str, lang: str) -> str:
    """Expand the standard's abbreviations for ``lang``, keeping them: ``МБА-ны`` ->
    ``мүгедектігі бар адамдар (МБА-ны)``. Case-sensitive; already-expanded ones are skipped."""
    pattern = _abbreviation_re(lang)
    if pattern is None:
        return text
    table = ABBREVIATIONS[lang]
    lowered = text.lower()

    def replace(m: re.Match[str]) -> str:
        expansion = table[m.group("abbr")]
        window = lowered[max(0, m.start() - len(expansion) - 15) : m.end() + len(expansion) + 15]
        if expansion.lower() in window:
            return m.group(0)
        if len(m.group("abbr")) <= 2 and _shouting(text, m.start(), m.end(), table):
            return m.group(0)
        return f"{expansion} ({m.group(0)})"

    return pattern.sub(replace, text)


# --- PII ----------------------------------------------------------------------------------

_URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'«»]+")
_PROFILE_RE = re.compile(
    r"(?i)(?<![\w@.])(?:[a-z0-9-]+\.)*(?:linkedin\.com|facebook\.com|fb\.com|instagram\.com|vk\.com|"
    r"ok\.ru|t\.me|telegram\.me|github\.com|twitter\.com|x\.com|tiktok\.com|youtube\.com|hh\.kz|hh\.ru)"
    r"/[^\s<>\"'«»]+"
)
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_HANDLE_RE = re.compile(r"(?<![\w@])@[A-Za-z][\w.]{3,}[\w]")
_IIN_RE = re.compile(r"(?<![\d.,])\d{12}(?![\d.,]\d|\d)")
_SPACED_DIGITS_RE = re.compile(r"(?<![\d.,])\d{2,6}(?:[ \u00a0]\d{2,6}){1,5}(?![\d.,]\d|\d)")
_IIN_LABEL_RE = re.compile(r"(?i)(?:ИИН|ЖСН|БИН|БСН|IIN|BIN)\s*[:№#-]?\s*$")
_PHONE_RES = (
    # +7 701 123 45 67, 8(727)123-45-67, 87011234567, 7 701 123 45 67, 8 (7172) 74-12-34
    re.compile(r"(?<![\w+])(?:\+\s?7|[78])(?:[\s\-()]*\d){10}(?![\d])"),
    # other international numbers
    re.compile(r"(?<![\w+])\+\d(?:[\s\-()]*\d){7,13}(?!\d)"),
    # 10 digits without country prefix: 701 123 45 67, (701) 123-45-67
    re.compile(r"(?<![\w+])\(?7\d{2}\)?(?:[\s\-]*\d){7}(?!\d)"),
)
_PHONE_LABELLED_RE = re.compile(
    r"(?i)(?:\bтел(?:ефон)?\.?|\bphone|\btel\.?|\bмоб(?:ильный)?\.?|\bұялы)\s*[:.]?\s*"
    r"(?P<num>\(?\d[\d\s\-()]{4,}\d)"
)
_TRAILING_PUNCT = ".,;:!?)]}»\"'"

_CONTACT_LABEL_RE = re.compile(
    r"(?i)\b(?:e-?mail|mail|тел(?:ефон)?|моб(?:ильный)?|ұялы|phone|tel|mobile|почта|пошта|эл|"
    r"электрон\w*|linkedin|telegram|whatsapp|instagram|facebook|контакт\w*|байланыс\w*|"
    r"ИИН|ЖСН|БИН|БСН|IIN|BIN|раб\w*|дом|үй)\b"
)
PLACEHOLDERS = ("[EMAIL]", "[PHONE]", "[IIN]", "[URL]", "[HANDLE]")


def _iin_checksum_ok(digits: str) -> bool:
    """Kazakh IIN/BIN control digit (weights 1..11, then 3..11,1,2; mod 11)."""
    values = [int(d) for d in digits]
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        check = sum(v * w for v, w in zip(values[:11], weights, strict=True)) % 11
        if check != 10:
            return check == values[11]
    return False


def _pii_spans(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, placeholder)`` spans of PII, sorted by start."""
    found: list[tuple[int, int, str]] = []

    def add(start: int, end: int, placeholder: str) -> None:
        if all(end <= s or start >= e for s, e, _ in found):
            found.append((start, end, placeholder))

    for regex in (_URL_RE, _PROFILE_RE):
        for m in regex.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in _TRAILING_PUNCT:
                end -= 1
            add(m.start(), end, "[URL]")
    for m in _EMAIL_RE.finditer(text):
        add(m.start(), m.end(), "[EMAIL]")
    for m in _IIN_RE.finditer(text):
        add(m.start(), m.end(), "[IIN]")
    for m in _SPACED_DIGITS_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        labelled = _IIN_LABEL_RE.search(text[max(0, m.start() - 12) : m.start()])
        if len(digits) == 12 and (labelled or _iin_checksum_ok(digits)):
            add(m.start(), m.end(), "[IIN]")
    for regex in _PHONE_RES:
        for m in regex.finditer(text):
            add(m.start(), m.end(), "[PHONE]")
    for m in _PHONE_LABELLED_RE.finditer(text):
        add(m.start("num"), m.end("num"), "[PHONE]")
    for m in _HANDLE_RE.finditer(text):
        add(m.start(), m.end(), "[HANDLE]")
    return sorted(found)


def _replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    parts: list[str] = []
    pos = 0
    for start, end, placeholder in spans:
        parts.append(text[pos:start])
        parts.append(placeholder)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def strip_pii(text: str) -> str:
    """Replace e-mails, phones, IIN/BIN, URLs and @handles by ``[EMAIL]``, ``[PHONE]``,
    ``[IIN]``, ``[URL]``, ``[HANDLE]``; years, dates and ordinary numbers are kept."""
    return _replace_spans(text, _pii_spans(text))


def _offset_mapper(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, int, int]]:
    """``(new_start, new_end, old_start, old_end)`` for each replaced span."""
    table: list[tuple[int, int, int, int]] = []
    shift = 0
    for start, end, placeholder in spans:
        new_start = start + shift
        table.append((new_start, new_start + len(placeholder), start, end))
        shift += len(placeholder) - (end - start)
    return table


def _to_original(pos: int, table: list[tuple[int, int, int, int]], is_end: bool) -> int:
    shift = 0
    for new_start, new_end, old_start, old_end in table:
        if pos < new_start or (is_end and pos == new_start):
            break
        if pos < new_end or (is_end and pos == new_end):
            return old_end if is_end else old_start
        shift = old_end - new_end
    return pos + shift


def _contact_only(text: str) -> bool:
    """A segment that is just contact details (``Тел.: [PHONE], e-mail: [EMAIL]``)."""
    if not any(p in text for p in PLACEHOLDERS):
        return False
    rest = text
    for p in PLACEHOLDERS:
        rest = rest.replace(p, " ")
    return len(_WORD_RE.findall(_CONTACT_LABEL_RE.sub(" ", rest))) <= 2


def prepare_segments(text: str) -> list[Segment]:
    """Strip PII, segment, expand abbreviations per segment language.

    Offsets refer to the original ``text``; contact-only segments are dropped.
    """
    spans = _pii_spans(text)
    table = _offset_mapper(spans)
    segments: list[Segment] = []
    for seg in segment(_replace_spans(text, spans)):
        if _contact_only(seg.text):
            continue
        segments.append(
            Segment(
                text=expand_abbreviations(seg.text, seg.lang),
                lang=seg.lang,
                start=_to_original(seg.start, table, is_end=False),
                end=_to_original(seg.end, table, is_end=True),
            )
        )
    return segments
