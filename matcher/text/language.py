"""Language of a short text (kk, ru, en or unknown), and the spaCy pipeline for each language."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import spacy
from spacy.language import Language

from matcher.text.abbreviations import KK_ABBREVIATIONS, RU_ABBREVIATIONS
from matcher.text.kazakh import KK_LOWER, KK_UPPER, blank_kk

Lang = Literal["kk", "ru", "en", "unknown"]

MIN_LETTERS = 3  # fewer letters than this: language "unknown"

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
