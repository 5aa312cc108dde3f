"""Segmentation of a CV or vacancy into lines, cells and sentences, each with its language and offsets.

``prepare_segments`` is the entry point: PII removal, segmentation into lines/cells/sentences
with a per-segment language, and expansion of the standard's abbreviations.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from matcher.text.abbreviations import expand_abbreviations
from matcher.text.language import detect_language, get_nlp
from matcher.text.pii import _contact_only, _offset_mapper, _pii_spans, _replace_spans, _to_original, strip_pii

MIN_WORD_CHARS = 3  # segments with fewer word characters are dropped
MIN_WORDS = 3  # shorter sentence/cell fragments are merged into a neighbour on the same line
MAX_WORDS = 60  # longer segments are cut into chunks
_CHUNK_SLACK = 12  # a chunk may end up to this many words early, at a , ; : boundary
_WORD_RE = re.compile(r"[^\W\d_]+")
_ALNUM_RE = re.compile(r"[^\W_]+")



class Segment(BaseModel):
    """A piece of text to embed; ``start``/``end`` are character offsets into the input."""

    text: str
    lang: str
    start: int
    end: int


# Lines that name a section, the job wanted, languages spoken or contact details show no duty or knowledge: they are
# matched against card names, never quoted as evidence of a statement ("Опыт работы", "Желаемая должность: ...",
# "Языки: казахский, русский", "Білімі: ... бакалавр").
_NOT_EVIDENCE_RE = re.compile(
    r"(?i)^\W*(?:"
    r"желаемая\s+должность|цель|должность|позиция|вакансия|резюме|curriculum\s+vitae|cv|objective|position|"
    r"desired\s+position|лауазым(?:ы)?|мақсат(?:ы)?|түйіндеме|"
    r"языки|знание\s+языков|владение\s+языками|languages?|тілдер(?:і)?|тіл\s+білуі|"
    r"образование|education|білім(?:і)?|"
    r"контакт\w*|contacts?|байланыс\w*|адрес|address|мекенжай\w*|дата\s+рождения|туған\s+күні|date\s+of\s+birth|"
    r"семейное\s+положение|отбасы\w*\s+жағдайы|marital\s+status|гражданство|азаматтығы|citizenship"
    r")\b[^!?]{0,200}$"
)
_HEADING_WORDS = 4  # a line of at most this many words that ends in ':' or has no verb-like length is a heading


def quote(text: str, seg: Segment) -> str:
    """The segment as a result quotes it: the person's own words from ``text`` (not as expanded for the encoder),
    personal data removed, whitespace collapsed; the segment's text if nothing is left."""
    return " ".join(strip_pii(text[seg.start : seg.end]).split()) or seg.text


def is_evidence(text: str) -> bool:
    """False for segments that cannot show a statement: section headings, the job wanted, languages, education
    degrees, contact and personal details. They still count for the card names."""
    stripped = text.strip()
    if _NOT_EVIDENCE_RE.match(stripped):
        return False
    words = _WORD_RE.findall(stripped)
    return not (len(words) <= _HEADING_WORDS and (stripped.endswith(":") or len(stripped) <= 30))


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
