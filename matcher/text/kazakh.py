"""Blank spaCy language for Kazakh (``kk``), which spaCy does not ship.

Use :func:`blank_kk` to get a pipeline; it registers the language on first use and
adds line-break and punctuation sentence boundaries.

Tokenizer conventions follow spaCy's Kyrgyz and Tatar (Turkic) defaults: a hyphen
between letters is part of the word (``жүріп-тұру``, ``іс-әрекет``) and abbreviations
keep their case suffix (``МБА-ны``, ``ӨҚЖ-дағы``).  A digit followed by a hyphen is
split off (``2015``, ``-``, ``2020``; ``4``, ``-``, ``тармақ``) except for ordinals
such as ``5-ші``.  An abbreviation with a grammatical suffix gets the abbreviation
as its NORM (``МБА-ны`` -> ``мба``).
"""

from __future__ import annotations

import re
from typing import Any

import spacy
from spacy.attrs import LIKE_NUM, NORM
from spacy.lang.char_classes import (
    ALPHA,
    ALPHA_LOWER,
    ALPHA_UPPER,
    CONCAT_QUOTES,
    CURRENCY,
    HYPHENS,
    LIST_ELLIPSES,
    LIST_ICONS,
    LIST_PUNCT,
    LIST_QUOTES,
    PUNCT,
    UNITS,
)
from spacy.lang.tokenizer_exceptions import BASE_EXCEPTIONS
from spacy.language import BaseDefaults, Language
from spacy.symbols import ORTH
from spacy.tokens import Doc
from spacy.util import update_exc

# spaCy's shared ALPHA classes lack ғ, қ, ұ (and their capitals): add the Kazakh letters.
KK_LOWER = "әғқңөұүһі"
KK_UPPER = "ӘҒҚҢӨҰҮҺІ"
_ALPHA = ALPHA + KK_LOWER + KK_UPPER
_ALPHA_LOWER = ALPHA_LOWER + KK_LOWER
_ALPHA_UPPER = ALPHA_UPPER + KK_UPPER

#: Regex fragment for an abbreviation: upper-case letters, optionally with single lower-case
#: letters between them (``МБА``, ``АӘҚКО``, ``ТжКБ``, ``ЛсИ``).
ABBREV = r"[A-ZЁА-Я" + KK_UPPER + r"](?:[a-zёа-я" + KK_LOWER + r"]?[A-ZЁА-Я" + KK_UPPER + r"])+"

# Kazakh nominal suffix chain after an abbreviation: derivation? plural? possessive? case?
_KK_DERIV = r"(?:[лдт][ыі][қк]|ш[ыі]|с[ыі]з)"
_KK_PLURAL = r"(?:[лдт][ае]р)"
_KK_POSS = r"(?:[ыі]?м[ыі]з|[ыі]?ң[ыі]з|[ыі]?м|[ыі]?ң|с[ыі]|[ыі])"
_KK_CASE = (
    r"(?:[ндт][ыі]ң"  # genitive: -ның -дың -тің
    r"|[ндт][ыі]|н"  # accusative: -ны -ді -ті, -н after possessive
    r"|[ғгқкн][ае]|[ае]"  # dative: -ға -ге -қа -ке -на -не
    r"|н?[дт][ае][ғг][ыі]"  # locative + attributive: -дағы -тегі -ндағы
    r"|н?[дт][ае]н|н[ае]н"  # ablative: -дан -тен -нан
    r"|н?[дт][ае]"  # locative: -да -те -нда
    r"|[мпб][ае]н"  # instrumental: -мен -пен -бен
    r"|н?ш[ае]|[дт][ае]й)"  # equative, similative
)
#: A Kazakh suffix chain (``ны``, ``ның``, ``дағы``, ``лардың``, ``ларға``, ``сының``).
KK_SUFFIX = rf"{_KK_DERIV}?{_KK_PLURAL}?{_KK_POSS}?{_KK_CASE}?"
ABBREV_SUFFIX_RE = re.compile(rf"(?P<abbr>{ABBREV})-(?P<suffix>{KK_SUFFIX})")

_STOP_WORDS_TEXT = """
    мен сен сіз ол біз сендер сіздер олар
    менің сенің сіздің оның біздің олардың
    маған саған сізге оған бізге оларға
    мені сені сізді оны бізді оларды
    менде сенде сізде онда бізде оларда
    менен сенен сізден одан бізден олардан
    өз өзі өзім өзің өзіміз өздері өзінің өзіне өзін өзінде өзінен
    бұл осы сол мына анау мынау бұлар осылар солар олай бұлай мұнша сонша осынша
    бұның мұның осының соның бұған мұған осыған соған
    мұнда осында сонда бұдан мұнан осыдан содан
    осындай сондай мұндай бұндай осылай солай сөйтіп
    кім не қандай қай қайда қашан қалай неше қанша неге неліктен қайсы
    және мен пен бен да де та те ал бірақ немесе әлде яғни себебі өйткені
    сондықтан егер әйтпесе әрі сонымен алайда дегенмен бәлкім тіпті
    үшін бойынша арқылы туралы жөнінде жөніндегі кейін бұрын дейін шейін бастап
    қарай сияқты секілді сайын бірге қатар арасында ішінде кезінде кезде
    гөрі қарағанда қоса сәйкес байланысты бері соң таман жуық сондай-ақ мысалы яки болмаса
    ма ме ба бе па пе ше ғой қой ғана қана тек ақ емес иә ия міне әне
    әрине әлі енді тағы ең өте аса тым әбден
    әр әрбір барлық бүкіл бәрі барша күллі кейбір бірнеше ешбір еш ешкім ештеңе
    басқа өзге бір біреу кейбіреу бар барлығы бәрін деп деген тиіс керек
    болып болады болды болған болатын болса болуы бола еді екен табылады етіп етеді ету етілді
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())

_NUM_WORDS_TEXT = """
    нөл бір екі үш төрт бес алты жеті сегіз тоғыз он жиырма отыз қырық елу алпыс
    жетпіс сексен тоқсан жүз мың миллион миллиард триллион жарты
    екеу үшеу төртеу бесеу алтау жетеу
"""
_NUM_WORDS: frozenset[str] = frozenset(_NUM_WORDS_TEXT.split())
_ORDINAL_RE = re.compile(r"[ыі]?нш[ыі]")
_DIGIT_ORDINAL_RE = re.compile(r"\d+-(?:[ыі]?нш[ыі]|ш[ыі])")


def like_num(text: str) -> bool:
    """True for digits, fractions, Kazakh number words and ordinals (``бесінші``, ``5-ші``)."""
    if text.startswith(("+", "-", "±", "~")):
        text = text[1:]
    text = text.replace(",", "").replace(".", "")
    if text.isdigit():
        return True
    if text.count("/") == 1:
        num, denom = text.split("/")
        if num.isdigit() and denom.isdigit():
            return True
    lower = text.lower()
    if lower in _NUM_WORDS or _DIGIT_ORDINAL_RE.fullmatch(lower):
        return True
    # Ordinals: бірінші, алтыншы, тоғызыншы; қырқыншы and жиырмасыншы alter the stem.
    for word in _NUM_WORDS:
        if lower.startswith(word) and _ORDINAL_RE.fullmatch(lower[len(word) :]):
            return True
    return lower in {"қырқыншы", "жиырмасыншы"}


def norm(text: str) -> str:
    """Lower-case norm; an abbreviation with a Kazakh suffix normalises to the abbreviation."""
    match = ABBREV_SUFFIX_RE.fullmatch(text)
    if match and match.group("suffix"):
        return match.group("abbr").lower()
    return text.lower()


def _tokenizer_exceptions() -> dict[str, list[dict[int, str]]]:
    abbreviations = {
        "ж.": "жыл",
        "жж.": "жылдар",
        "т.б.": "тағы басқа",
        "т.с.с.": "тағы сол сияқты",
        "т.с.": "тағы сол",
        "т.т.": "тағы тағы",
        "мыс.": "мысалы",
        "қ.": "қала",
        "көш.": "көшесі",
        "даң.": "даңғылы",
        "обл.": "облысы",
        "ауд.": "ауданы",
        "ш.а.": "шағын аудан",
        "бб.": "беттер",
        "сағ.": "сағат",
        "мин.": "минут",
        "тг.": "теңге",
        "тел.": "телефон",
    }
    exc: dict[str, list[dict[int, str]]] = {}
    for orth, norm_ in abbreviations.items():
        for form in (orth, orth[0].upper() + orth[1:]):
            exc[form] = [{ORTH: form, NORM: norm_}]
    # Academic degrees: т.ғ.к. (техника ғылымдарының кандидаты), п.ғ.д., ә.ғ.к. ...
    for field in "тфпэзәмбхжс":
        for degree in ("к", "д"):
            form = f"{field}.ғ.{degree}."
            exc[form] = [{ORTH: form}]
    return update_exc(BASE_EXCEPTIONS, exc)


TOKENIZER_EXCEPTIONS = _tokenizer_exceptions()

TOKENIZER_SUFFIXES: list[str] = (
    LIST_PUNCT
    + LIST_ELLIPSES
    + LIST_QUOTES
    + LIST_ICONS
    + ["—", "–"]
    + [
        r"(?<=[0-9])\+",
        rf"(?<=[0-9])(?:{CURRENCY})",
        rf"(?<=[0-9])(?:{UNITS})",
        r"(?<=[0-9{al}{e}{p}(?:{q})])\.".format(al=_ALPHA_LOWER, e=r"%²\-\+", q=CONCAT_QUOTES, p=PUNCT),
        rf"(?<=[{_ALPHA_UPPER}][{_ALPHA_UPPER}])\.",
    ]
)

_HYPHENS_NO_DASH = HYPHENS.replace("-", "").strip("|").replace("||", "")
TOKENIZER_INFIXES: list[str] = (
    LIST_ELLIPSES
    + LIST_ICONS
    + [
        rf"(?<=[{_ALPHA_LOWER}])\.(?=[{_ALPHA_UPPER}])",
        rf"(?<=[{_ALPHA}])[,!?/()]+(?=[{_ALPHA}])",
        rf"(?<=[{_ALPHA}{CONCAT_QUOTES}])[:<>=](?=[{_ALPHA}])",
        rf"(?<=[{_ALPHA}])--(?=[{_ALPHA}])",
        rf"(?<=[{_ALPHA}])([{CONCAT_QUOTES}\)\]\(\[])(?=[\-{_ALPHA}])",
        rf"(?<=[{_ALPHA}])(?:{_HYPHENS_NO_DASH})(?=[{_ALPHA}])",
        # 4-тармақ -> 4 - тармақ, but keep ordinals 5-ші / 2-інші whole.
        rf"(?<=[0-9])-(?=[{_ALPHA}])(?!(?:[ыі]?нш[ыі]|ш[ыі])\b)",
        r"(?<=[0-9])-(?=[0-9])",
    ]
)

LINE_BREAK_COMPONENT = "kk_line_breaks"
_BULLETS = frozenset("•◦▪▫●○■□►▸‣∙·-*–—")
_LINE_END_PUNCT = frozenset(".!?:;…")


def line_break_boundaries(doc: Doc) -> Doc:
    """Start a sentence after a blank line, or after a line break followed by a bullet,
    a capital letter or a line ending in ``.!?:;``; lower-case continuations are kept."""
    for i, token in enumerate(doc[:-1]):
        if not (token.is_space and "\n" in token.text):
            continue
        if i > 0:
            token.is_sent_start = False  # whitespace closes the previous sentence
        nxt = doc[i + 1]
        prev_text = doc[i - 1].text if i > 0 else ""
        if (
            token.text.count("\n") > 1
            or nxt.text in _BULLETS
            or nxt.text[:1].isupper()
            or nxt.text[:1].isdigit()
            or (prev_text[-1:] in _LINE_END_PUNCT)
        ):
            nxt.is_sent_start = True
    return doc


class KazakhDefaults(BaseDefaults):
    """Tokenizer rules, stop words and lexical attributes for Kazakh."""

    tokenizer_exceptions = TOKENIZER_EXCEPTIONS
    suffixes = TOKENIZER_SUFFIXES
    infixes = TOKENIZER_INFIXES
    lex_attr_getters: dict[int, Any] = {LIKE_NUM: like_num, NORM: norm}
    stop_words = set(STOP_WORDS)


class Kazakh(Language):
    """spaCy ``Language`` for Kazakh (Cyrillic script)."""

    lang = "kk"
    Defaults = KazakhDefaults


def register() -> None:
    """Register the ``kk`` language and the line-break component with spaCy (idempotent)."""
    if "kk" not in spacy.registry.languages or spacy.registry.languages.get("kk") is not Kazakh:
        spacy.registry.languages("kk")(Kazakh)
    if not Language.has_factory(LINE_BREAK_COMPONENT):
        Language.component(LINE_BREAK_COMPONENT, func=line_break_boundaries)


def blank_kk() -> Language:
    """A blank Kazakh pipeline with sentence boundaries (line breaks, then ``. ! ?``)."""
    register()
    nlp = spacy.blank("kk")
    nlp.add_pipe(LINE_BREAK_COMPONENT)
    nlp.add_pipe("sentencizer")
    return nlp
