"""Word stems and lemmas for the lexical side: Kazakh (hunspell-kk), Russian (pymorphy3), English (Snowball).

``Normaliser().tokens(text, lang)`` turns a text into lower-case stems, stop words dropped:

* ``kk``: Debian's ``hunspell-kk`` dictionary (``/usr/share/hunspell/kk_KZ.{aff,dic}``) through ``chunspell`` (the
  ``hunspell`` module): the shortest stem hunspell gives through a plural, 3rd-person possessive, case or common
  verb suffix, repeated while it gets shorter (қызметкерлердің -> қызметкер, балаларға -> бала, көрсетеді ->
  көрсету; see ``_KK_TRUSTED_FLAGS`` for why 1st/2nd-person readings are not trusted: білім stays білім). The
  dictionary lists many inflected forms as words of their own (жұмысын, бағдарламасын) and misses others
  (ұйымдастыруға, мүгедектігі): when hunspell leaves a word as it is, the longest nominal suffix chain (plural?
  3rd-person possessive? case?) of matching vowel harmony is cut off if what is left is a dictionary word, with the
  final consonant restored (г -> к, ғ -> қ, б -> п): жұмысының -> жұмыс, мүгедектігі -> мүгедектік
  (``kk_suffixes=False`` switches this off).
* ``ru``: the first ``pymorphy3`` parse's normal form, ё as е (социальных работников -> социальный работник).
* ``en``: the Snowball English stemmer (caregivers -> caregiv).

With ``lang`` None or "unknown" each line gets its language from ``detect_language``; within a line a Latin word is
English, a Cyrillic word with a Kazakh letter (ә ғ қ ң ө ұ ү һ і) Kazakh, and another Cyrillic word takes the line's
language (Russian in an English line). Words are runs of letters (digits and punctuation split them), at least two
letters long. Everything is deterministic and offline; stems are cached per language (``lru_cache``).

A missing dictionary or package is never fatal unless ``strict``: that language's words are only lower-cased and
``Normaliser.missing`` names why (``kk_dictionary_missing``, ``hunspell_missing``, ``pymorphy3_missing``,
``snowball_missing``). With ``strict=True`` the constructor raises ``RuntimeMissing`` (code ``runtime_missing``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS as _EN_STOP
from spacy.lang.ru.stop_words import STOP_WORDS as _RU_STOP

from matcher.errors import RuntimeMissing
from matcher.text.kazakh import KK_LOWER, KK_UPPER
from matcher.text.kazakh import STOP_WORDS as _KK_STOP
from matcher.text.language import detect_language

KK_DICTIONARY = Path("/usr/share/hunspell/kk_KZ")  #: Debian's hunspell-kk (``apt-get install hunspell-kk``)
LANGS = ("kk", "ru", "en")
MISSING_CODES = ("kk_dictionary_missing", "hunspell_missing", "pymorphy3_missing", "snowball_missing")
CACHE_SIZE = 200_000  # stems kept per language

_WORD_RE = re.compile(r"[^\W\d_]+")
_LINE_RE = re.compile(r"[^\n\r\f\v\u2028\u2029\x85]+")
_LATIN_RE = re.compile(r"[A-Za-z\u00C0-\u024F]")
_KK_LETTERS = frozenset(KK_LOWER + KK_UPPER)
_STOP: dict[str, frozenset[str]] = {"kk": frozenset(_KK_STOP), "ru": frozenset(_RU_STOP), "en": frozenset(_EN_STOP)}

# Kazakh nominal suffix chains cut by the fallback: plural? 3rd-person possessive? case?, each in back (а ы) or front
# (е і) harmony. Not derivation, not the 1st/2nd-person possessives (білім would become біл).
_KK_ENDING_BACK_RE = re.compile(
    r"(?:[лдт]ар)?(?:сы|ы)?(?:[ндт]ың|[ндт]ы|н|[ғқн]а|а|н?[дт]ағы|[ғқ]ы|н?[дт]ан|нан|н?[дт]а|[мпб]ен)?"
)
_KK_ENDING_FRONT_RE = re.compile(
    r"(?:[лдт]ер)?(?:сі|і)?(?:[ндт]ің|[ндт]і|н|[гкн]е|е|н?[дт]егі|[гк]і|н?[дт]ен|нен|н?[дт]е|[мпб]ен)?"
)
_KK_BACK_VOWELS = frozenset("аоұы")
_KK_FRONT_VOWELS = frozenset("әеөүі")
_KK_MIN_ROOT = 3  # letters left after a cut
_KK_MIN_ROOT_SHORT_ENDING = 5  # ... after cutting a one-letter ending (-ы, -і, -а, -е, -н)
_KK_VOICING = {"г": "к", "ғ": "қ", "б": "п"}  # мүгедектіг(і) -> мүгедектік
_KK_VOWELS = frozenset("аәеёиоөуұүыіэюя")
# hunspell-kk gives every noun every nominal flag and every verb every verbal one, so a word that ends like a
# 1st/2nd-person possessive (flags B b C c D d E e: -ым -ымыз -ың -ыңыз) is read as one (білім = біл + ім,
# жұмысының = жұмысын + ың), and a noun that ends like a participle or an imperative as a verb (үздік = үзу + дік,
# жай = жаю). Stems are taken only through the plural, 3rd-person possessive and case flags (A F f G-L g-l) and the
# verb forms of duties and CVs: converb -ып (M-P m-o), present -ады -амын -амыз (W T t), past -ды -дым (s p).
_KK_VERB_FLAGS = frozenset("MNOPmnoWTtsp")
_KK_TRUSTED_FLAGS = frozenset("AFfGgHhIiJjKkLl") | _KK_VERB_FLAGS
_KK_ANALYSIS_RE = re.compile(r"\s*st:(\S+)(?:\s+fl:(\S))?")


def _kk_harmonic(root: str, ending: str) -> bool:
    """``ending`` is a nominal suffix chain whose harmony fits the last vowel of ``root`` (и у ю я э: either)."""
    vowel = next((ch for ch in reversed(root) if ch in _KK_VOWELS), "")
    back = vowel not in _KK_FRONT_VOWELS and _KK_ENDING_BACK_RE.fullmatch(ending) is not None
    front = vowel not in _KK_BACK_VOWELS and _KK_ENDING_FRONT_RE.fullmatch(ending) is not None
    return back or front


def _word_lang(word: str, line_lang: str) -> str:
    """Latin: en; Cyrillic with a Kazakh letter: kk; other Cyrillic: the line's kk or ru, else ru."""
    if _LATIN_RE.match(word):
        return "en"
    if any(ch in _KK_LETTERS for ch in word):
        return "kk"
    return line_lang if line_lang in ("kk", "ru") else "ru"


class Normaliser:
    """Lower-case stems (kk), lemmas (ru) and stems (en) of a text's words. See the module docstring.

    ``kk_dictionary``: path without extension of the hunspell ``.aff``/``.dic`` pair (default ``KK_DICTIONARY``);
    ``kk_suffixes``: cut Kazakh suffix chains hunspell leaves; ``stop_words``: drop each language's stop words (by
    the word and by its stem); ``strict``: raise ``RuntimeMissing`` instead of degrading when something is missing.
    """

    def __init__(self, kk_dictionary: str | Path | None = None, *, kk_suffixes: bool = True,
                 stop_words: bool = True, strict: bool = False, cache_size: int = CACHE_SIZE) -> None:
        self.kk_dictionary = Path(kk_dictionary) if kk_dictionary is not None else KK_DICTIONARY
        self.kk_suffixes = kk_suffixes
        self.stop_words = stop_words
        self.missing: dict[str, str] = {}  # language -> one of MISSING_CODES
        self._lock = threading.Lock()  # hunspell's C++ object is not safe to share between threads
        self._hunspell: Any = self._load_hunspell()
        self._morph: Any = self._load_pymorphy()
        self._snowball: Any = self._load_snowball()
        if strict and self.missing:
            raise RuntimeMissing("morphology unavailable: " + ", ".join(f"{k}: {v}" for k, v in self.missing.items()),
                                 "runtime_missing")
        stemmers: dict[str, Callable[[str], str]] = {"kk": self._stem_kk, "ru": self._stem_ru, "en": self._stem_en}
        self._stem = {lang: lru_cache(maxsize=cache_size)(fn) for lang, fn in stemmers.items()}

    # --- loading ---------------------------------------------------------------------------

    def _load_hunspell(self) -> Any:
        aff, dic = self.kk_dictionary.with_suffix(".aff"), self.kk_dictionary.with_suffix(".dic")
        if not (aff.is_file() and dic.is_file()):
            self.missing["kk"] = "kk_dictionary_missing"
            return None
        try:
            import hunspell  # the chunspell package
        except ImportError:
            self.missing["kk"] = "hunspell_missing"
            return None
        return hunspell.Hunspell(self.kk_dictionary.name, hunspell_data_dir=str(self.kk_dictionary.parent))

    def _load_pymorphy(self) -> Any:
        try:
            import pymorphy3

            return pymorphy3.MorphAnalyzer(lang="ru")
        except (ImportError, ValueError, OSError):  # the package, or its dictionaries (pymorphy3-dicts-ru)
            self.missing["ru"] = "pymorphy3_missing"
            return None

    def _load_snowball(self) -> Any:
        try:
            import snowballstemmer
        except ImportError:
            self.missing["en"] = "snowball_missing"
            return None
        return snowballstemmer.stemmer("english")

    # --- one word --------------------------------------------------------------------------

    def available(self, lang: str) -> bool:
        """True when ``lang``'s words get stems (not only lower-casing)."""
        return lang in LANGS and lang not in self.missing

    def stem(self, word: str, lang: str) -> str:
        """The stem or lemma of one word in ``lang`` (kk, ru, en), lower-case; other languages: lower-cased."""
        word = word.strip().casefold()
        fn = self._stem.get(lang)
        return fn(word) if fn is not None and word else word

    def _kk_analyses(self, word: str) -> list[tuple[str, str | None]]:
        with self._lock:
            analyses = self._hunspell.analyze(word)
        return [(m.group(1), m.group(2)) for a in analyses if (m := _KK_ANALYSIS_RE.match(a))]

    def _kk_entry(self, word: str) -> bool:
        """True when ``word`` itself is a word of the dictionary (not only a form hunspell derives)."""
        return any(stem == word and flag is None for stem, flag in self._kk_analyses(word))

    def _kk_reduce(self, word: str) -> str:
        """The shortest of ``word`` and the stems hunspell gives through a trusted flag (a tie: a noun reading),
        repeated while it gets shorter; a word hunspell does not know is returned as it is."""
        best = (len(word), 0, word)
        for stem, flag in self._kk_analyses(word):
            if flag is None or flag in _KK_TRUSTED_FLAGS:
                best = min(best, (len(stem), int(flag is not None and flag in _KK_VERB_FLAGS), stem))
        stem = best[2]
        if stem[-1] in _KK_VOICING and word[len(stem) : len(stem) + 1] in _KK_VOWELS:
            restored = stem[:-1] + _KK_VOICING[stem[-1]]  # көмег(і) -> көмек
            if self._kk_entry(restored):
                stem = restored
        return self._kk_reduce(stem) if len(stem) < len(word) else stem

    def _kk_cut(self, word: str, short_endings: bool) -> str | None:
        """The shortest dictionary word that ``word`` is plus a nominal suffix chain of matching harmony
        (``short_endings``: one-letter endings too, -ы -і -а -е -н, after at least 5 letters)."""
        for cut in range(_KK_MIN_ROOT, len(word)):  # the longest ending first
            ending, root = word[cut:], word[:cut]
            if len(ending) == 1 and (not short_endings or cut < _KK_MIN_ROOT_SHORT_ENDING):
                continue
            if not _kk_harmonic(root, ending):
                continue
            candidates = [root[:-1] + _KK_VOICING[root[-1]], root] if root[-1] in _KK_VOICING else [root]
            for candidate in candidates:
                if self._kk_entry(candidate):
                    return candidate
        return None

    def _stem_kk(self, word: str) -> str:
        if self._hunspell is None:
            return word
        stem = self._kk_reduce(word)
        if stem != word or not self.kk_suffixes:
            return stem
        # hunspell left it as it is: an inflected form listed as a word (жұмысын) or an unknown word (ұйымдастыруға)
        root = self._kk_cut(word, short_endings=not self._kk_analyses(word))
        return self._kk_reduce(root) if root is not None else word

    def _stem_ru(self, word: str) -> str:
        if self._morph is None:
            return word
        return str(self._morph.parse(word)[0].normal_form).replace("ё", "е")

    def _stem_en(self, word: str) -> str:
        if self._snowball is None:
            return word
        return str(self._snowball.stemWord(word))

    # --- a text ----------------------------------------------------------------------------

    def tokens(self, text: str, lang: str | None = None) -> list[str]:
        """Stems of the words of ``text`` in order, stop words dropped.

        ``lang`` kk, ru or en: the whole text is in that language (Latin words still go to the English stemmer);
        None or "unknown": each line's language is detected (``detect_language``)."""
        out: list[str] = []
        if lang in LANGS:
            self._line_tokens(text, str(lang), out)
            return out
        for m in _LINE_RE.finditer(text):
            line = m.group(0)
            self._line_tokens(line, detect_language(line), out)
        return out

    def _line_tokens(self, line: str, line_lang: str, out: list[str]) -> None:
        for m in _WORD_RE.finditer(line):
            word = m.group(0).casefold()
            if len(word) < 2:
                continue
            lang = _word_lang(word, line_lang)
            stop = _STOP[lang] if self.stop_words else frozenset()
            if word in stop:
                continue
            stem = self._stem[lang](word)
            if stem and stem not in stop:
                out.append(stem)


@lru_cache(maxsize=1)
def default_normaliser() -> Normaliser:
    """One shared ``Normaliser`` with the default dictionary (degrades gracefully, see ``Normaliser.missing``)."""
    return Normaliser()
