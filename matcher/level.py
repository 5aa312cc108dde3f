"""SBSh level: what a CV or vacancy shows about education, experience and managerial scope, and the level that
follows within an occupation's range. Extraction and mapping are separate functions, usable alone."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel

from matcher.schema import Occupation

EducationLevel = Literal["none", "secondary", "tvet", "applied_bachelor", "bachelor", "master", "phd"]

# The SBSh level an education level reaches on its own (the national qualifications framework's usual mapping).
EDUCATION_SBSH: dict[str, int] = {
    "none": 1, "secondary": 2, "tvet": 4, "applied_bachelor": 5, "bachelor": 6, "master": 7, "phd": 8,
}
_EDU_ORDER = list(EDUCATION_SBSH)

_EDU_PATTERNS: list[tuple[EducationLevel, re.Pattern[str]]] = [
    ("phd", re.compile(r"\bPhD\b|доктор\w* (?:наук|ғылым)|кандидат\w* наук|ғылым кандидаты|ғылым докторы|"
                       r"докторантур\w*|doctoral|doctor of philosophy", re.I)),
    ("master", re.compile(r"магистр\w*|магистратур\w*|\bmaster'?s?\b|\bMSc\b|\bMA\b(?= in)|\bMSW\b", re.I)),
    ("applied_bachelor", re.compile(r"прикладно\w* бакалавр\w*|қолданбалы бакалавр\w*|applied bachelor", re.I)),
    ("bachelor", re.compile(r"бакалавр\w*|\bbachelor'?s?\b|\bBSc\b|\bBA\b|высшее образование|жоғары білім\w*|"
                            r"university degree|\bуниверситет\w*|(?-i:\b(?:KazNU|ҚазҰУ|КазНУ|ЕНУ|ENU)\b)", re.I)),
    ("tvet", re.compile(r"колледж\w*|college|(?-i:\b(?:ТиПО|ТжКБ|ТЖКБ)\b)|техникум\w*|училищ\w*|"
                        r"средне[-\s]?специальн\w*|средн\w+ профессиональн\w*|vocational|"
                        r"техникалық және кәсіптік", re.I)),
    ("secondary", re.compile(r"средн\w+ образован\w*|общее среднее|орта білім\w*|мектеп\w* бітір\w*|"
                             r"secondary (?:school|education)|high school|школ\w+", re.I)),
]

_YEARS_EXPLICIT = re.compile(
    r"(?:(?:стаж|опыт)\w*[^.\n\d]{0,40}?(\d{1,2})(?:[.,]5)?\+?\s*(?:лет|год\w*))|"
    r"(?:(\d{1,2})\+?\s*(?:лет|год\w*)\s+(?:стаж\w*|опыт\w*|работ\w*))|"
    r"(?:(\d{1,2})\+?\s*(?:years?|yrs)(?:\s+of)?\s+(?:\w+\s+){0,3}?(?:experience|work))|"
    r"(?:experience\w*[^.\n\d]{0,30}?(\d{1,2})\+?\s*(?:years?|yrs))|"
    r"(?:(?:тәжірибе|өтіл)\w*[^.\n\d]{0,40}?(\d{1,2})\s*жыл)|"
    r"(?:(\d{1,2})\s*жыл\w*\s+(?:жұмыс\s+)?(?:тәжірибе|өтіл)\w*)",
    re.I,
)
_PRESENT = r"(?:по\s+н\.?\s*в\.?|по\s+настоящее\s+время|настоящее\s+время|наст\.?\s*вр\.?|present|now|current|" \
           r"қазіргі\s+(?:уақытқа\s+дейін|уақытта|кезге\s+дейін)|қазір|бүгінге\s+дейін|сегодня|н\.в\.)"
_RANGE = re.compile(
    r"(?:(?:0?[1-9]|1[0-2])[./])?((?:19|20)\d{2})\s*(?:г\.?|ж\.?|жыл\w*)?\s*[-–—]+\s*(?:по\s+)?"
    r"(?:(?:(?:0?[1-9]|1[0-2])[./])?((?:19|20)\d{2})|" + _PRESENT + r")",
    re.I,
)
_MANAGER = re.compile(
    r"руководител\w*|заведующ\w*|начальник\w*|директор\w*|заместител\w* директора|управлени\w* (?:персонал|коллектив)|"
    r"в подчинении|подчинен\w*|команд\w* из \d+|штат\w* \d+|\bhead of\b|\bdirector\b|\bmanager\b|managed|"
    r"team of \d+|supervis\w+ (?:a team|staff)|line manag\w*|басшы\w*|меңгеруші\w*|бастығы|директоры|"
    r"басқар\w+ \d+|ұжымды басқар\w*|қарамағында",
    re.I,
)
_STRATEGIC = re.compile(
    r"стратеги\w*|государственн\w+ программ\w*|министерств\w*|national (?:strategy|programme|program)|policy|"
    r"республикалық|мемлекеттік бағдарлама\w*|концепци\w*|PhD|докторантур\w*", re.I)


class LevelEvidence(BaseModel):
    education: EducationLevel = "none"
    education_text: str = ""
    years: float = 0.0
    managerial: bool = False
    strategic: bool = False


def education(text: str) -> tuple[EducationLevel, str]:
    """The highest education level a text names, with the words that show it."""
    best: tuple[EducationLevel, str] = ("none", "")
    for level, rx in _EDU_PATTERNS:
        m = rx.search(text)
        if m and _EDU_ORDER.index(level) > _EDU_ORDER.index(best[0]):
            best = (level, m.group(0))
    return best


def years_of_experience(text: str, today: date | None = None) -> float:
    """Years of experience: the larger of an explicit statement ('стаж 5 лет') and the union of date ranges."""
    explicit = 0.0
    for m in _YEARS_EXPLICIT.finditer(text):
        n = next((g for g in m.groups() if g), None)
        if n and int(n) <= 50:
            explicit = max(explicit, float(n))
    this_year = (today or date.today()).year
    spans = []
    for m in _RANGE.finditer(text):
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else this_year
        if 1960 <= start <= end <= this_year + 1:
            spans.append((start, max(end, start + 0.5)))
    covered = 0.0
    last_end = None
    for start, end in sorted(spans):
        if last_end is not None and start < last_end:
            start = last_end
        if end > start:
            covered += end - start
            last_end = end
    return max(explicit, round(covered, 1))


def evidence(text: str, today: date | None = None) -> LevelEvidence:
    edu, edu_text = education(text)
    return LevelEvidence(education=edu, education_text=edu_text, years=years_of_experience(text, today),
                         managerial=bool(_MANAGER.search(text)), strategic=bool(_STRATEGIC.search(text)))


def estimate(occ: Occupation, ev: LevelEvidence) -> int:
    """The single SBSh level within the occupation's range that the evidence supports.

    Single-level cards answer their level. In a two-level range the upper level needs education that reaches it,
    or three years of experience (the cards' own step from 'no category' to a category), or managerial scope.
    """
    lo, hi = min(occ.sbsh_levels), max(occ.sbsh_levels)
    if lo == hi:
        return lo
    level = lo
    if EDUCATION_SBSH[ev.education] >= hi or ev.years >= 3 or ev.managerial:
        level = hi
    return level


def mismatch(occ: Occupation, ev: LevelEvidence) -> int:
    """How many steps the evidence falls short of the card: education below its lowest level (on the management
    cards, SBSh 7-8, five years of experience make up one step, as those cards allow), or no managerial scope for
    a management card. Over-qualification is not counted."""
    gap = 0
    lo = min(occ.sbsh_levels)
    if ev.education != "none":
        gap += max(0, lo - EDUCATION_SBSH[ev.education] - (1 if lo >= 7 and ev.years >= 5 else 0))
    if lo >= 7 and not (ev.managerial or ev.strategic):
        gap += 1
    return gap


def overqualification(occ: Occupation, ev: LevelEvidence) -> int:
    """How many steps the education reaches above the card's highest level (0 without stated education).

    A person with a bachelor's degree (SBSh 6) is more likely to fit the specialist card than the social worker
    card (SBSh 4); the engine weighs this lightly (``overqualification_penalty``), since people also work below
    their education.
    """
    if ev.education == "none":
        return 0
    return max(0, EDUCATION_SBSH[ev.education] - max(occ.sbsh_levels))
