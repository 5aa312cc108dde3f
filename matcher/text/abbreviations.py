"""The standard's abbreviations (МБА, ЛсИ, ТЖС ...), expanded before embedding so that the encoder sees words."""

from __future__ import annotations

import re
from functools import lru_cache

from matcher.text.kazakh import KK_LOWER

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


