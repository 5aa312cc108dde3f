"""Personal data removed before anything else: e-mails (also written ``name [at] mail.kz``), phones (also dotted),
IIN/BIN (also grouped with spaces or hyphens), identity-card and passport numbers, street addresses, dates of
birth, URLs and @handles become placeholders.

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
# name [at] mail [dot] kz, name(at)mail.kz, name @ mail.kz, name [собака] mail.kz
_AT = r"(?:\s*[\[({<]\s*(?:at|собака|эт)\s*[\])}>]\s*|\s+@\s*|\s*@\s+)"
_DOT = r"(?:\s*[\[({<]\s*(?:dot|точка|нүкте)\s*[\])}>]\s*|\.)"
_EMAIL_OBFUSCATED_RE = re.compile(rf"(?i)(?<![\w.+-])[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[^\W\d_]{{2,}}\b")
_HANDLE_RE = re.compile(r"(?<![\w@])@[A-Za-z][\w.]{3,}[\w]")
_IIN_RE = re.compile(r"(?<![\d.,])\d{12}(?![\d.,]\d|\d)")
# digits in groups of 2-6, separated by spaces or hyphens (900101 300126, 900101-300126, 910415 300 125)
_GROUPED_DIGITS_RE = re.compile(r"(?<![\d.,])\d{2,6}(?:[ \u00a0\-\u2010\u2011](?=\d)\d{2,6}){1,5}(?![\d.,]\d|\d)")
_IIN_LABEL_RE = re.compile(r"(?i)(?:ИИН|ЖСН|БИН|БСН|IIN|BIN)\s*[:№#-]?\s*$")
_PHONE_RES = (
    # +7 701 123 45 67, 8(727)123-45-67, 87011234567, 7 701 123 45 67, 8 (7172) 74-12-34
    re.compile(r"(?<![\w+])(?:\+\s?7|[78])(?:[\s\-()]*\d){10}(?![\d])"),
    # other international numbers, also dotted: +7.701.555.12.34, +44 20 7946 0958
    re.compile(r"(?<![\w+])\+\d(?:[\s.\-()]*\d){7,13}(?!\d)"),
    # 8.701.555.12.34 (dotted, grouped as a Kazakh mobile number is)
    re.compile(r"(?<![\w.+])8[\s.]?\(?7\d{2}\)?[\s.]\d{3}[\s.]\d{2}[\s.]\d{2}(?![\d])"),
    # 10 digits without country prefix: 701 123 45 67, (701) 123-45-67
    re.compile(r"(?<![\w+])\(?7\d{2}\)?(?:[\s\-]*\d){7}(?!\d)"),
)
_PHONE_LABELLED_RE = re.compile(
    r"(?i)(?:\bтел(?:ефон)?\.?|\bphone|\btel\.?|\bмоб(?:ильный)?\.?|\bұялы)\s*[:.]?\s*"
    r"(?P<num>\(?\d[\d\s\-()]{4,}\d)"
)
# identity cards and passports: "удостоверение личности № 045678912", "уд. л. 045678912", "паспорт N12345678",
# "жеке куәлік № 045678912", "passport No. N1234567"; and any "№" followed by 7 digits or more
_ID_LABEL = (r"(?:удостоверени\w*(?:\s+личности)?|уд\.\s*(?:личн\w*\.?|л\.)?|паспорт\w*|(?:жеке\s+)?куәлі\w*|"
             r"passport|(?:id|identity)\s+card)")
_ID_RE = re.compile(rf"(?i)(?<!\w){_ID_LABEL}\s*(?:[:#]|№|N[oо]?\.|номер|нөмірі)?\s*(?:№\s*)?"
                    r"(?P<num>[a-zа-я]{0,2}\s?\d(?:[\s\u00a0]?\d){5,11})(?!\d)")
_NUMBER_SIGN_RE = re.compile(r"(?i)№\s*(?P<num>[a-zа-я]{0,2}\s?\d{7,12})(?!\d)")
# street addresses: "ул. Абая, д. 15, кв. 42", "пр-т Назарбаева 10", "мкр. Самал-2, д. 5", "Абай көш., 15",
# "Абай көшесі 15 үй, 42 пәтер", "12 Baker Street", "apt. 4"
_CAP = r"[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9«\"]"
_WORD_CHARS = r"[\w\-ёәғқңөұүһі.»\"]"
_NUMBER = r"\d+[а-яa-z]?(?:/\d+[а-яa-z]?)?"
_NOT_A_YEAR = r"(?!\d)(?!\s*(?:г\.|года|год|ж\.|жыл))"  # "за 1 кв. 2023 года" is a quarter, not a flat
_FLAT = rf"(?:,?\s*(?:кв\.|квартира|оф\.|офис)\s*\d{{1,4}}[а-я]?{_NOT_A_YEAR})"
_STREET_RE = re.compile(
    rf"(?<!\w)(?:ул\.|улица|пр-т|просп\.|проспект|мкр\.?|микрорайон|б-р|бульвар|пер\.|переулок|наб\.|набережная)"
    rf"\s*{_CAP}{_WORD_CHARS}*(?:\s+{_CAP}{_WORD_CHARS}*){{0,2}}"
    rf"(?:,?\s*(?:(?:д\.|дом)\s*)?{_NUMBER}(?!\d))?{_FLAT}?")
_HOUSE_RE = re.compile(rf"(?<!\w)(?:д\.|дом)\s*{_NUMBER}(?!\d){_FLAT}?"
                       rf"|(?<!\w)(?:кв\.|квартира)\s*\d{{1,4}}{_NOT_A_YEAR}")
_KK_STREET_RE = re.compile(
    r"(?<!\w)[А-ЯЁӘҒҚҢӨҰҮҺІ][\wёәғқңөұүһі\-]*(?:\s+[\wёәғқңөұүһі\-]+)?\s+"
    r"(?:көш\.|көшесі|даңғ\.|даңғылы|шағын\s+ауданы|ш\.\s?а\.|тұйығы)"
    rf"(?:,?\s*{_NUMBER}(?:\s*үй)?(?!\d))?(?:,?\s*\d{{1,4}}\s*пәтер|,?\s*пәтер\s*\d{{1,4}})?")
_EN_STREET_RE = re.compile(
    r"(?<!\w)\d{1,5}\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Lane|Boulevard)"
    r"|(?<!\w)[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+(?:[Ss]treet|[Ss]tr\.|[Aa]venue|[Aa]ve\.)\s*,?\s*\d{1,5}(?!\d)"
    r"|(?i:(?<!\w)(?:apt\.?|apartment|flat)\s*\d{1,4}(?!\d))")
# dates of birth next to the words that announce them ("Дата рождения: 12.03.1990", "туған күні: 1990 жылғы
# 5 мамыр", "date of birth: 5 May 1990"), or before them ("1990 г.р.", "1988 жылғы 5 мамыр туған")
_MONTHS = (r"(?:январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр|қаңтар|ақпан|наурыз|"
           r"сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан|january|february|march|april|may|"
           r"june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)")
_YEAR_WORD = r"(?:\s*(?:г\.|года|год|ж\.|жылғы|жылы))?"
_DATE_BODY = (rf"(?:\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}|\d{{4}}[./-]\d{{1,2}}[./-]\d{{1,2}}"
         rf"|\d{{1,2}}\s+{_MONTHS}[^\W\d_]*\.?,?\s+\d{{4}}{_YEAR_WORD}"
         rf"|{_MONTHS}[^\W\d_]*\.?\s+\d{{1,2}},?\s+\d{{4}}"
         rf"|\d{{4}}{_YEAR_WORD}\s*\d{{1,2}}\s*(?:-\s*)?{_MONTHS}[^\W\d_]*"
         rf"|\d{{4}}{_YEAR_WORD})")
_DATE = _DATE_BODY + r"(?!\d)"
_BIRTH_LABEL = (r"(?:дата\s+рождения|год\s+рождения|д\.\s?р\.|родил(?:ся|ась)|(?:туған|туылған)(?:\s+(?:күні|жылы|"
                r"кезі))?|date\s+of\s+birth|birth\s*date|born(?:\s+(?:on|in))?|DOB|d\.o\.b\.)")
_BIRTH_RE = re.compile(rf"(?i)(?<!\w){_BIRTH_LABEL}\s*[:\-–—]?\s*(?P<date>{_DATE})")
_BIRTH_BEFORE_RE = re.compile(
    rf"(?i)(?<![\w.]){_DATE_BODY}(?=\s*(?:г\.\s?р\.|г\.\s+рождения|года\s+рождения|(?:жылы\s+)?туған|"
    rf"(?:жылы\s+)?туылған|ж\.\s?т\.))")
_TRAILING_PUNCT = ".,;:!?)]}»\"'"

_CONTACT_LABEL_RE = re.compile(
    r"(?i)\b(?:e-?mail|mail|тел(?:ефон)?|моб(?:ильный)?|ұялы|phone|tel|mobile|почта|пошта|эл|"
    r"электрон\w*|linkedin|telegram|whatsapp|instagram|facebook|контакт\w*|байланыс\w*|"
    r"ИИН|ЖСН|БИН|БСН|IIN|BIN|раб\w*|дом|үй|"
    r"удостоверени\w*|уд|личности|паспорт\w*|жеке|куәлі\w*|passport|id|card|адрес\w*|мекен-?жай\w*|address|"
    r"дата|рождения|туған|туылған|күні|жылы|date|birth|born|dob|г|қ|город|қала(?:сы)?|city)\b"
)
PLACEHOLDERS = ("[EMAIL]", "[PHONE]", "[IIN]", "[ID]", "[ADDRESS]", "[BIRTHDATE]", "[URL]", "[HANDLE]")


def _iin_checksum_ok(digits: str) -> bool:
    """Kazakh IIN/BIN control digit (weights 1..11, then 3..11,1,2; mod 11)."""
    values = [int(d) for d in digits]
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        check = sum(v * w for v, w in zip(values[:11], weights, strict=True)) % 11
        if check != 10:
            return check == values[11]
    return False


def _iin_shaped(grouped: str) -> bool:
    """Twelve digits grouped 6 + 6 whose first six are a date (YYMMDD) and the seventh a century-and-sex digit
    (1-6): how an IIN is written, even with a mistyped control digit."""
    parts = re.split(r"\D+", grouped)
    if [len(p) for p in parts] != [6, 6]:
        return False
    month, day, century = int(parts[0][2:4]), int(parts[0][4:6]), int(parts[1][0])
    return 1 <= month <= 12 and 1 <= day <= 31 and 1 <= century <= 6


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
    for regex in (_EMAIL_RE, _EMAIL_OBFUSCATED_RE):
        for m in regex.finditer(text):
            add(m.start(), m.end(), "[EMAIL]")
    for m in _IIN_RE.finditer(text):
        add(m.start(), m.end(), "[IIN]")
    for m in _GROUPED_DIGITS_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        labelled = _IIN_LABEL_RE.search(text[max(0, m.start() - 12) : m.start()])
        if len(digits) == 12 and (labelled or _iin_checksum_ok(digits) or _iin_shaped(m.group(0))):
            add(m.start(), m.end(), "[IIN]")
    for regex in (_ID_RE, _NUMBER_SIGN_RE):
        for m in regex.finditer(text):
            add(m.start("num"), m.end("num"), "[ID]")
    for m in _BIRTH_RE.finditer(text):
        add(m.start("date"), m.end("date"), "[BIRTHDATE]")
    for m in _BIRTH_BEFORE_RE.finditer(text):
        add(m.start(), m.end(), "[BIRTHDATE]")
    for regex in _PHONE_RES:
        for m in regex.finditer(text):
            add(m.start(), m.end(), "[PHONE]")
    for m in _PHONE_LABELLED_RE.finditer(text):
        add(m.start("num"), m.end("num"), "[PHONE]")
    for regex in (_STREET_RE, _KK_STREET_RE, _EN_STREET_RE, _HOUSE_RE):
        for m in regex.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in _TRAILING_PUNCT:
                end -= 1
            add(m.start(), end, "[ADDRESS]")
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
    """Replace e-mails, phones, IIN/BIN, identity-card and passport numbers, street addresses, dates of birth,
    URLs and @handles by ``[EMAIL]``, ``[PHONE]``, ``[IIN]``, ``[ID]``, ``[ADDRESS]``, ``[BIRTHDATE]``, ``[URL]``,
    ``[HANDLE]``; other years, dates and ordinary numbers are kept."""
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

