"""Personal data removed before anything else: e-mails, phones, IIN/BIN, URLs and @handles become placeholders.

Offsets of the cleaned text map back to the original (``offset_table`` / ``to_original``), so that evidence can
point into what the person wrote.
"""

from __future__ import annotations

import re

_WORD_RE = re.compile(r"[^\W\d_]+")

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

