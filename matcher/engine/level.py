"""SBSh level: what a CV or vacancy shows about education, experience and managerial scope, and the level that
follows within an occupation's range. Extraction and mapping are separate functions, usable alone."""

from __future__ import annotations

import bisect
import re
from datetime import date
from typing import Literal, NamedTuple

from pydantic import BaseModel

from matcher.standard.schema import Occupation

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


# --- Dates and periods ---------------------------------------------------------------------------------------------
# A period is two date tokens joined by a separator ("2015 – 2019", "09.2018 – н.в.", "с 2015 по 2019",
# "2015 жылдан 2019 жылға дейін") or a start date with "бастап"/"since" and no end (open-ended, up to today).
# Dates are kept to the month: a bare year reads as its January, so "2015 - 2019" is four years, as before.

_MONTHS: tuple[tuple[int, str], ...] = (
    (1, r"январ\w*|янв|қаңтар\w*|jan(?:uary)?"),
    (2, r"феврал\w*|фев|ақпан\w*|feb(?:ruary)?"),
    (3, r"март\w*|мар|наурыз\w*|mar(?:ch)?"),
    (4, r"апрел\w*|апр|сәуір\w*|apr(?:il)?"),
    (5, r"ма[йяе]|мамыр\w*|may"),
    (6, r"июн\w*|маусым\w*|june?"),
    (7, r"июл\w*|шілде\w*|july?"),
    (8, r"август\w*|авг|тамыз\w*|aug(?:ust)?"),
    (9, r"сентябр\w*|сент?|қыркүйе[кг]\w*|sept?(?:ember)?"),
    (10, r"октябр\w*|окт|қазан\w*|oct(?:ober)?"),
    (11, r"ноябр\w*|нояб?|қараша\w*|nov(?:ember)?"),
    (12, r"декабр\w*|дек|желтоқсан\w*|dec(?:ember)?"),
)
_MONTH_RX = [(n, re.compile(rf"(?:{pat})", re.I)) for n, pat in _MONTHS]
_MONTH = r"(?<!\w)(?:" + "|".join(pat for _, pat in _MONTHS) + r")(?!\w)\.?"
_YEAR = r"(?<!\d)(?:19[6-9]\d|20\d\d)(?!\d)"
# what may follow a date: "г.", "гг.", "года", "ж.", "жж.", "жылы", "жылдан", "-ден", "айынан" ...
_DATE_TAIL = r"(?:[ \t]*(?:жж?\.|жыл\w*|ж(?!\w)|гг?\.|год\w*|гг?(?!\w))|-[^\W\d_]{1,4}(?!\w))?(?:[ \t]+ай\w*)?"
_DATE = (
    rf"(?P<iso_y>{_YEAR})-(?P<iso_m>0[1-9]|1[0-2])-\d\d(?!\d)"  # 2018-09-01
    rf"|(?<![\d.])(?:\d{{1,2}}[./])?(?P<num_m>0?[1-9]|1[0-2])[./](?P<num_y>{_YEAR})"  # 09.2018, 01.09.2018
    rf"|(?P<mf_m>{_MONTH}),?[ \t]+(?P<mf_y>{_YEAR})"  # сентябрь 2018, Sep 2018, қыркүйек 2018
    rf"|(?P<yf_y>{_YEAR})[ \t]*(?:жыл\w*|ж\.?|год\w*|г\.?)?[ \t]*(?P<yf_m>{_MONTH})"  # 2018 ж. қыркүйек
    rf"|(?P<y>{_YEAR})"
)
_PRESENT = (
    r"н\.\s*в\.?|настоящ\w*\s+врем\w*|наст\.\s*вр\.?|сих\s+пор|(?:сей|сегодняшн\w*)\s+д(?:ень|ня)|сегодня|"
    r"қазіргі\s+(?:уақыт|кез|күн)\w*(?:\s+(?:дейін|шейін))?|қазірге\s+(?:дейін|шейін)|қазір|"
    r"осы\s+(?:уақыт|кез|күн)\w*(?:\s+(?:дейін|шейін))?|бүгін\w*(?:\s+күн\w*)?(?:\s+(?:дейін|шейін))?|"
    r"present|now|current(?:ly)?|date|ongoing|today"
)
_DATE_TOKEN = re.compile(rf"(?P<date>(?:{_DATE}){_DATE_TAIL})|(?<!\w)(?P<present>{_PRESENT})(?!\w)", re.I)
# between a start and an end: a dash, "по"/"до"/"to"/"until", "бастап" (from), or nothing after a Kazakh ablative;
# the words before an end belong here too: "по настоящее время", "до сих пор", "to date", "till now"
_SEPARATOR = re.compile(
    r"\s*(?:бастап\s*)?(?:[-–—−‒]+\s*)?(?:(?:по|до|to|till|until|through|up\s+to)\s+)?", re.I)
_ABLATIVE = re.compile(r"(?:дан|ден|тан|тен|нан|нен)$", re.I)
_OPEN_AFTER = re.compile(r"\s*бастап(?!\s*\d)", re.I)  # "2018 ж. қыркүйектен бастап"
_OPEN_BEFORE = re.compile(r"(?:since|starting\s+(?:from|in))\s+$", re.I)  # "since 2018"


class _Date(NamedTuple):
    month: int  # months since year 0: year * 12 + month - 1
    year_only: bool


class _Period(NamedTuple):
    start: int
    end: int
    at: int  # where the period's first date starts in the text
    until: int  # where its last date (or "present") ends


def _month_number(word: str) -> int:
    word = word.rstrip(".")
    return next((n for n, rx in _MONTH_RX if rx.fullmatch(word)), 1)


def _read_date(m: re.Match[str]) -> _Date:
    g = m.groupdict()
    for year, month in (("iso_y", "iso_m"), ("num_y", "num_m"), ("mf_y", "mf_m"), ("yf_y", "yf_m")):
        if g[year]:
            raw = g[month]
            number = int(raw) if raw.isdigit() else _month_number(raw)
            return _Date(int(g[year]) * 12 + number - 1, False)
    return _Date(int(g["y"]) * 12, True)


def _periods(text: str, today: date) -> list[_Period]:
    """Every period the text names, clipped to ``today``; periods that end after next year are not jobs."""
    now = today.year * 12 + today.month - 1
    tokens = list(_DATE_TOKEN.finditer(text))
    out: list[_Period] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.group("date"):
            i += 1
            continue
        start = _read_date(tok)
        end: _Date | None = None
        until = tok.end()
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None:
            gap = text[tok.end():nxt.start()]
            joined = bool(_SEPARATOR.fullmatch(gap)) and (bool(gap.strip()) or bool(_ABLATIVE.search(tok.group())))
            if joined:
                end = _read_date(nxt) if nxt.group("date") else _Date(now, False)
                until = nxt.end()
                i += 1
        before = text[max(0, tok.start() - 30):tok.start()]
        if end is None and (_OPEN_AFTER.match(text, tok.end()) or _OPEN_BEFORE.search(before)):
            end = _Date(now, False)
        i += 1
        if end is None or start.month // 12 < 1960 or end.month // 12 > today.year + 1 or start.month > now:
            continue
        stop = min(end.month, now)
        if stop == start.month:
            stop += 6 if start.year_only and end.year_only else 1
        if stop > start.month:
            out.append(_Period(start.month, stop, tok.start(), until))
    return out


# --- Study or work ---------------------------------------------------------------------------------------------------
# Years of study are not work experience. A period is study when it follows an education heading (until the next
# heading), or when its clause (line or sentence) names study: always for degrees, students and courses ("strong"),
# and for places of study ("weak": university, school, образование, білім ...) unless the clause also names a job
# (a social worker at a school, a teacher in a college) or stands under a work heading.

_STUDY_STRONG = re.compile(
    r"бакалавр\w*|магистр\w*|аспирант\w*|докторант\w*|студент(?:ка|ки|ом|кой)?(?!\w)|учил(?:ся|ась|ись)|"
    r"обучал(?:ся|ась|ись)|уч[её]б(?:а|ы|е|у|ой)(?!\w)|окончил\w*|окончани\w*|выпускни\w*|диплом(?!ир)\w*|"
    r"(?<!\w)курс(?:ы|ов|ах|ам|е|а)?(?!\w)|курсы\w*|повышени\w*\s+квалификаци\w*|переподготовк\w*|(?<!\w)вуз\w*|"
    r"оқыдым|оқыған|оқып|оқуда|оқу\s+орн\w*|білім\s+ал\w*|бітір\w*|тәмамда\w*|түлек\w*|курстар\w*|курсын\w*|"
    r"біліктіл\w*\s+арттыру\w*|"
    r"bachelor\w*|\bmaster'?s?\b(?!\s+class)|\bdegree\b|\bdiploma\b|\bgraduated\b|\bgraduate\s+of\b|"
    r"\b(?:post|under)graduate\b|\bstudent\b|\bstudied\b|\bstudying\b|\bcoursework\b|\bcourses?\b|\balumn\w*|"
    r"\bph\.?d\b|(?-i:\b(?:BA|BSc|MA|MSc|MSW|BSW)\b)",
    re.I,
)
_STUDY_WEAK = re.compile(
    r"университет\w*|институт\w*|колледж\w*|академи\w*|училищ\w*|техникум\w*|лице[йяюе]\w*|гимнази\w*|школ\w*|"
    r"образовани\w*|обучени\w*|факультет\w*|специальност\w*|квалификаци\w*|тренинг\w*|семинар\w*|"
    r"мектеп\w*|білім\w*|(?<!\w)оқу\w*|мамандығ\w*|біліктіліг\w*|"
    r"\buniversit\w*|\bcollege\w*|\binstitut\w*|\bacadem\w*|\bschool\w*|\blyceum\b|\bgymnasium\b|\beducation\w*|"
    r"\btraining\b|\bfaculty\b|\bstudies\b|\bseminars?\b|\bmajor\b|"
    r"(?-i:\b(?:KazNU|ENU|ҚазҰУ|КазНУ|ЕНУ|ЕҰУ|ҚазҰПУ|КазНПУ|КарГУ|ҚарМУ|ЮКГУ|ОҚМУ|ПГУ|ВКГУ|ЗКГУ|СКГУ)\b)",
    re.I,
)
_WORK_ROLE = re.compile(
    r"работал\w*|работа(?:ю|ет|ем)(?!\w)|работник\w*|сотрудник\w*|должност\w*|специалист\w*|учител\w*|"
    r"преподавател\w*|педагог(?:ом|а|у)?(?!\w)|воспитател\w*|психолог(?:ом|а|у)?(?!\w)|методист\w*|консультант\w*|"
    r"координатор\w*|ассистент\w*|помощник\w*|заведующ\w*|директор\w*|руководител\w*|заместител\w*|менеджер\w*|"
    r"инспектор\w*|волонт[её]р\w*|"
    r"жұмыс\s+іст\w*|жұмыскер\w*|қызметкер\w*|маман(?!д)\w*|мұғалім\w*|оқытушы\w*|тәрбиеші\w*|әдіскер\w*|"
    r"басшы\w*|меңгеруші\w*|орынбасар\w*|кеңесші\w*|үйлестіруші\w*|ерікті\w*|қызмет\s+атқар\w*|лауазым\w*|"
    r"көмекші\w*|"
    r"\bworked\b|\bworking\s+as\b|\bemploy\w*|\bposition\b|\bjob\b|\bteacher\b|\blecturer\b|\btutor\b|"
    r"\binstructor\b|\bworker\b|\bcaseworker\b|\bspecialist\b|\bofficer\b|\bcoordinator\b|\bassistant\b|"
    r"\bcounsell?or\b|\bpsychologist\b|\bmanager\b|\bdirector\b|\bhead\s+of\b|\bvolunteer\w*|\btrainer\b",
    re.I,
)
# a field of study that looks like a job: "специальность «Социальная работа»", "Bachelor of Social Work"
_FIELD_OF_STUDY = re.compile(
    r"социальн\w*\s+работ(?!ник)\w*|\bsocial\s+work\b(?!er)|әлеуметтік\s+жұмыс(?!кер|шы)\w*", re.I)

_HEAD_EDU = (
    r"образование|основное\s+образование|высшее\s+образование|дополнительное\s+образование|"
    r"курсы(?:\s+повышения\s+квалификации)?|повышение\s+квалификации|обучение|тренинги|сертификаты|"
    r"білімі?|білім\s+туралы\s+мәлімет\w*|қосымша\s+білім|оқу\s+орны|біліктілікті\s+арттыру(?:\s+курстары)?|"
    r"курстар|сертификаттар|"
    r"education|educational\s+background|academic\s+background|qualifications|courses|trainings?|"
    r"training\s+courses|certificates|certifications"
)
_HEAD_WORK = (
    r"опыт\s+работы|трудовая\s+деятельность|трудовой\s+стаж|места?\s+работы|профессиональный\s+опыт|стаж\s+работы|"
    r"жұмыс\s+тәжірибесі|жұмыс\s+орн\w*|еңбек\s+жолы|еңбек\s+өтілі|еңбек\s+қызметі|жұмыс\s+өтілі|"
    r"кәсіби\s+тәжірибе\w*|тәжірибе|"
    r"(?:work|professional|relevant)\s+experience|experience|employment(?:\s+history)?|work\s+history|"
    r"career(?:\s+history)?"
)
_HEAD_OTHER = (
    r"навыки|ключевые\s+навыки|профессиональные\s+навыки|языки|знание\s+языков|личные\s+качества|о\s+себе|"
    r"дополнительная\s+информация|контакт\w*|достижения|рекомендации|цель|"
    r"дағдылар|кәсіби\s+дағдылар|тілдер|тіл\s+білу|тілдерді\s+білу|жеке\s+қасиеттер\w*|өзім\s+туралы|"
    r"қосымша\s+ақпарат|қосымша|байланыс\w*|жетістіктер\w*|мақсат\w*|"
    r"skills|key\s+skills|languages|about\s+me|summary|profile|personal\s+(?:details|information|qualities)|"
    r"additional\s+information|contacts?|achievements|references|objective|interests|hobbies"
)


def _heads(tag: str) -> str:
    return rf"(?P<edu{tag}>{_HEAD_EDU})|(?P<work{tag}>{_HEAD_WORK})|(?P<other{tag}>{_HEAD_OTHER})"


# a heading alone on its line ("Образование", "ЖҰМЫС ТӘЖІРИБЕСІ:", "Education and training"), a heading with a
# colon anywhere ("Білімі: ...", "... колледж. Опыт работы: ..."), a heading that opens a line or sentence and is
# followed by a date ("Education 2015-2019 ..."), or any other short line that ends in a colon
_HEADING = re.compile(
    rf"^[ \t>*•#\-–—]*(?:{_heads('1')})(?:[ \t]+(?:и|and|және|&|/)[ \t]+[^\n:\d]{{0,40}}?)?[ \t]*:?[ \t]*$"
    rf"|(?<![\w-])(?:{_heads('2')})[ \t]*:"
    rf"|(?:^|(?<=[.!?;]\s))[ \t>*•#\-–—]*(?:{_heads('3')})(?=[ \t]+\d)"
    rf"|^[ \t>*•#\-–—]*[^\W\d_][^\n\d:]{{0,40}}:[ \t]*$",
    re.I | re.M,
)
# phrases about work that end an education section even without a colon: "..., опыт работы 2019-2024"
_WORK_PHRASE = re.compile(
    r"опыт\w*\s+работы|трудов\w+\s+деятельност\w*|жұмыс\s+тәжірибе\w*|еңбек\s+жолы|work\s+experience|"
    r"employment\s+history", re.I)
_CLAUSE_END = re.compile(
    r"\n|;|•|(?<=[.!?])(?<!\bим\.)\s+(?=[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ«\"(])")
_WORDS = re.compile(r"[^\W\d_]{3,}")

Section = Literal["edu", "work", "other"]


def _group(m: re.Match[str], name: str) -> bool:
    return any(m[f"{name}{tag}"] for tag in "123")


class _Layout:
    """Where a text's sections and clauses are, to tell the periods of study from the periods of work."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sections: list[tuple[int, Section]] = []
        for m in _HEADING.finditer(text):
            kind: Section = "edu" if _group(m, "edu") else "work" if _group(m, "work") else "other"
            self.sections.append((m.start(), kind))
        self.sections += [(m.start(), "work") for m in _WORK_PHRASE.finditer(text)]
        self.sections.sort()
        cuts = {0, len(text)} | {m.end() for m in _CLAUSE_END.finditer(text)} | {at for at, _ in self.sections}
        self.cuts = sorted(cuts)

    def section(self, at: int) -> Section | None:
        i = bisect.bisect_right(self.sections, (at, "~")) - 1
        return self.sections[i][1] if i >= 0 else None

    def clause(self, at: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.cuts, at)  # cuts[0] == 0 <= at < len(text) == cuts[-1]
        return self.cuts[i - 1], self.cuts[i]

    def contexts(self, periods: list[_Period]) -> list[str]:
        """The words each period is read with: its clause (line or sentence). A clause with several periods is
        shared out: from each period to the next when the clause opens with a date ("2019-2023 студентка,
        2021-2023 волонтер"), else up to the end of each period ("КазНУ, бакалавр 2015-2019, ЦСО 2019-2024"). A
        clause of dates alone ("2015 – 2019" on its own line) is read with the clause that follows."""
        by_clause: dict[tuple[int, int], list[int]] = {}
        for k, p in enumerate(periods):
            by_clause.setdefault(self.clause(p.at), []).append(k)
        out = [""] * len(periods)
        for (lo, hi), ks in by_clause.items():
            if len(ks) == 1:
                own = self.text[lo:hi]
                j = bisect.bisect_right(self.cuts, hi)
                if not _WORDS.search(_DATE_TOKEN.sub(" ", own)) and j < len(self.cuts):
                    own += " " + self.text[hi:self.cuts[j]]
                out[ks[0]] = own
                continue
            leads = not _WORDS.search(self.text[lo:periods[ks[0]].at])
            for n, k in enumerate(ks):
                if leads:
                    a = lo if n == 0 else periods[k].at
                    b = periods[ks[n + 1]].at if n + 1 < len(ks) else hi
                else:
                    a = lo if n == 0 else periods[ks[n - 1]].until
                    b = periods[k].until if n + 1 < len(ks) else hi
                out[k] = self.text[a:b]
        return out

    def is_study(self, at: int, context: str) -> bool:
        section = self.section(at)
        names_study = bool(_STUDY_STRONG.search(context) or _STUDY_WEAK.search(context))
        names_job = bool(_WORK_ROLE.search(_FIELD_OF_STUDY.sub(" ", context)))
        if section == "edu":  # a job listed under "Education" without any word of study is still a job
            return names_study or not names_job
        if _STUDY_STRONG.search(context):
            return True
        return section != "work" and bool(_STUDY_WEAK.search(context)) and not names_job


# --- Managerial scope -------------------------------------------------------------------------------------------------
# "Подчиняется директору", "under the head of the department", "бөлім басшысына бағынады" name the candidate's
# superior, not the candidate's own scope. A sentence with such a mention sets managerial/strategic scope only through
# its other parts (between commas) that say the candidate manages ("руководил отделом, подчинялся директору").

_SUPERIOR = re.compile(
    r"подчиня(?:ется|ются|лся|лась|лись|юсь)|"
    r"подчинен[аоы]?\s+(?:непосредственно\s+)?(?:директор|руковод|заведующ|начальник|главн|заместител|старш|"
    r"председател|министр|аким)\w*|"
    r"в\s+подчинении\s+у(?!\s+меня)|под\s+(?:непосредственным\s+|общим\s+)?руководством|"
    r"непосредственн\w*\s+(?:руководител|начальник)\w*|по\s+(?:поручени|указани|распоряжени|задани)\w*|"
    r"выполн\w*\s+(?:поручени|указани|распоряжени)\w*|отчитыва\w*\s+перед|"
    r"(?:помощник|ассистент)\w*\s+(?:директор|руководител|заведующ|начальник)\w*|"
    r"бағын(?:ады|амын|ып|атын|ған|ды|дым|уы)(?!\w)|тапсырма\w*\s+бойынша|тапсырмалар\w*\s+орында\w*|"
    r"нұсқау\w*\s+бойынша|басшылығымен|жетекшілігімен|алдында\s+есеп\s+бер\w*|"
    r"\breport(?:s|ing|ed)?\s+(?:directly\s+)?to\b|"
    r"\bunder\s+the\s+(?:direct\s+)?(?:supervision|guidance|direction|leadership|management)\s+of\b|"
    r"\bunder\s+(?:the\s+)?(?:head|director|manager|supervisor|chief)\b|\b(?:supervised|managed|directed)\s+by\b|"
    r"\baccountable\s+to\b|\bline\s+manager\s*[:\-–—]|\b(?:my|our|his|her|their|the)\s+line\s+manager\b|"
    r"\bassistant\s+to\b|\bon\s+the\s+instructions?\s+of\b|\binstructed\s+by\b|\bworks?\s+under\b",
    re.I,
)
# the candidate's own management, in any sentence, including one that also names a superior
_OBJECT = r"(?:a|an|the|our|my)?\s*(?:[\w-]+\s+){0,3}?(?:team|department|unit|division|centre|center|service|office|" \
          r"staff|project|organi[sz]ation|branch|workers|employees|specialists)"
_OWN_SCOPE = re.compile(
    r"руководил\w*|руковожу|возглавля\w*|возглавил\w*|управлял\w*|управляю|в\s+мо[её]м\s+подчинении|"
    r"под\s+моим\s+руководством|в\s+подчинении\s+(?:у\s+меня\s+)?(?:было\s+|находил\w*\s+)?\d+|"
    r"команд\w*\s+из\s+\d+|штат\w*\s+(?:из\s+)?\d+|"
    r"басқардым|басқарды\w*|басқарамын|басқарған|жетекшілік\s+ет\w*|басшылық\s+ет\w*|қарамағымда|"
    r"\d+\s+қызметкер\w*|"
    r"\bmanaged\b|"
    rf"\b(?:manag(?:e|es|ing)|led|lead|leads|leading|headed|heading|supervised|supervising|oversaw)\s+{_OBJECT}|"
    r"\bteam\s+of\s+\d+|\b\d+\s+(?:staff|employees|direct\s+reports)\b",
    re.I,
)
_SENTENCE_END = re.compile(r"\n|(?<=[.!?;])\s+")
_PART_END = re.compile(r"[,()]|\s[-–—]\s")


def _scope_text(text: str) -> str:
    """The text that may show the candidate's own scope: sentences without a superior, and from sentences with
    one the parts that say the candidate manages."""
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if not _SUPERIOR.search(sentence):
            kept.append(sentence)
            continue
        kept += [part for part in _PART_END.split(sentence)
                 if not _SUPERIOR.search(part) and _OWN_SCOPE.search(part)]
    return "\n".join(kept)


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


def _work(text: str, today: date | None) -> list[tuple[int, int, str]]:
    """(first month, month after the last, the words it is read with) of every period of work (study left out)."""
    layout = _Layout(text)
    periods = _periods(text, today or date.today())
    return [(p.start, p.end, context) for p, context in zip(periods, layout.contexts(periods), strict=True)
            if not layout.is_study(p.at, context)]


def _work_spans(text: str, today: date | None) -> list[tuple[int, int]]:
    return sorted((start, end) for start, end, _ in _work(text, today))


def jobs(text: str, today: date | None = None) -> list[tuple[date, date, str]]:
    """The periods of work a text names, as (first month, month after the last, the words they are read with: their
    line or sentence), latest end first (periods of study left out)."""
    found = sorted(_work(text, today), key=lambda x: (-x[1], -x[0]))
    return [(_as_date(a), _as_date(b), ctx.strip()) for a, b, ctx in found]


def work_periods(text: str, today: date | None = None) -> list[tuple[date, date]]:
    """The periods of work a text names (periods of study left out), as (first month, month after the last)."""
    return [(_as_date(start), _as_date(end)) for start, end in _work_spans(text, today)]


def _as_date(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def years_of_experience(text: str, today: date | None = None) -> float:
    """Years of experience: the larger of an explicit statement ('стаж 5 лет') and the union of the periods of work
    (overlaps counted once, open-ended periods up to ``today``, periods of study left out)."""
    explicit = 0.0
    for m in _YEARS_EXPLICIT.finditer(text):
        n = next((g for g in m.groups() if g), None)
        if n and int(n) <= 50:
            explicit = max(explicit, float(n))
    months = 0
    reached: int | None = None
    for start, end in _work_spans(text, today):
        if reached is not None:
            start = max(start, reached)
        if end > start:
            months += end - start
        reached = end if reached is None else max(reached, end)
    return max(explicit, round(months / 12, 1))


def evidence(text: str, today: date | None = None) -> LevelEvidence:
    edu, edu_text = education(text)
    scope = _scope_text(text)
    managerial = bool(_MANAGER.search(scope) or _OWN_SCOPE.search(scope))
    return LevelEvidence(education=edu, education_text=edu_text, years=years_of_experience(text, today),
                         managerial=managerial, strategic=bool(_STRATEGIC.search(scope)))


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
