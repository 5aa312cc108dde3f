"""Stems and lemmas for the lexical side (``matcher.text.morphology``): real words of the three languages.

The Kazakh tests need Debian's ``hunspell-kk`` (``.ci/run`` installs it); without the dictionary they are skipped,
and the graceful no-op is checked on a missing path instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.errors import RuntimeMissing
from matcher.text.morphology import KK_DICTIONARY, MISSING_CODES, Normaliser, default_normaliser

HAVE_KK = KK_DICTIONARY.with_suffix(".aff").is_file() and KK_DICTIONARY.with_suffix(".dic").is_file()
needs_kk = pytest.mark.skipif(not HAVE_KK, reason="hunspell-kk is not installed (apt-get install hunspell-kk)")


@pytest.fixture(scope="module")
def norm() -> Normaliser:
    return Normaliser()


@needs_kk
@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("қызметкерлердің", "қызметкер"),  # plural + genitive, hunspell
        ("балаларға", "бала"),  # plural + dative, hunspell
        ("адамдарға", "адам"),
        ("Республикасының", "республика"),
        ("көрсетеді", "көрсету"),  # present tense -> the verbal noun, hunspell
        ("көмегі", "көмек"),  # possessive, final consonant restored
        ("жұмысының", "жұмыс"),  # hunspell reads жұмысын + ың: the suffix cut goes on to жұмыс
        ("бағдарламасын", "бағдарлама"),  # listed as a word of its own: cut
        ("ұйымдастыруға", "ұйымдастыру"),  # unknown to hunspell: cut
        ("мүгедектігі", "мүгедектік"),  # unknown: cut, г -> к
        ("отбасыларымен", "отбасы"),
    ],
)
def test_kazakh_stems(norm: Normaliser, word: str, stem: str) -> None:
    assert norm.stem(word, "kk") == stem


@needs_kk
@pytest.mark.parametrize("word", ["білім", "бала", "мекеме", "республика", "тәрбие", "әлеуметтік"])
def test_kazakh_lemmas_are_not_overcut(norm: Normaliser, word: str) -> None:
    # білім is not біл + 1st-person -ім; бала not бал + а; республика not республи + ка (wrong harmony)
    assert norm.stem(word, "kk") == word


@needs_kk
def test_kazakh_suffix_cut_can_be_switched_off() -> None:
    hs_only = Normaliser(kk_suffixes=False)
    assert hs_only.stem("балаларға", "kk") == "бала"
    assert hs_only.stem("бағдарламасын", "kk") == "бағдарламасын"


def test_russian_lemmas(norm: Normaliser) -> None:
    assert norm.tokens("социальных работников", "ru") == ["социальный", "работник"]
    assert norm.tokens("Оказание помощи лицам с инвалидностью", "ru") == ["оказание", "помощь", "лицо",
                                                                           "инвалидность"]
    assert norm.stem("Семьёй", "ru") == "семья"  # ё as е


def test_english_stems(norm: Normaliser) -> None:
    assert norm.tokens("caregivers", "en") == ["caregiv"]
    assert norm.tokens("The social workers and the caregivers", "en") == ["social", "worker", "caregiv"]


@needs_kk
def test_language_of_each_line_is_detected(norm: Normaliser) -> None:
    text = "Әлеуметтік қызметкерлердің жұмысы\nОпыт работы с семьями\nCase management for caregivers"
    assert norm.tokens(text) == norm.tokens(text, None) == norm.tokens(text, "unknown")
    assert norm.tokens(text) == ["әлеуметтік", "қызметкер", "жұмыс", "опыт", "работа", "семья", "case", "manag",
                                 "caregiv"]


@needs_kk
def test_word_script_overrides_the_line_language(norm: Normaliser) -> None:
    # a Latin word is English and a word with a Kazakh letter is Kazakh whatever the line's language
    assert norm.tokens("работа с балаларға и caregivers", "ru") == ["работа", "бала", "caregiv"]


def test_stop_words_numbers_and_punctuation_are_dropped(norm: Normaliser) -> None:
    assert norm.tokens("и в на 2019-2024, г.", "ru") == []
    assert norm.tokens("the and of 5 years", "en") == ["year"]
    assert "және" not in norm.tokens("бала және отбасы", "kk")
    assert Normaliser(stop_words=False).tokens("на работе", "ru") == ["на", "работа"]
    assert norm.tokens("а б работа", "ru") == ["работа"]  # one-letter words never count


def test_deterministic_and_cached(norm: Normaliser) -> None:
    text = "Социальный работник оказывает помощь семьям, находящимся в трудной жизненной ситуации"
    first = norm.tokens(text)
    assert norm.tokens(text) == first == Normaliser().tokens(text)
    assert norm._stem["ru"].cache_info().hits > 0
    assert default_normaliser() is default_normaliser()


def test_missing_kazakh_dictionary_is_a_graceful_no_op(tmp_path: Path) -> None:
    norm = Normaliser(tmp_path / "kk_KZ")
    assert norm.missing == {"kk": "kk_dictionary_missing"}
    assert set(norm.missing.values()) <= set(MISSING_CODES)
    assert not norm.available("kk") and norm.available("ru") and norm.available("en")
    assert norm.tokens("Қызметкерлердің жұмысы", "kk") == ["қызметкерлердің", "жұмысы"]  # lower-cased only
    assert norm.tokens("социальных работников", "ru") == ["социальный", "работник"]  # the others still work


def test_strict_raises_runtime_missing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeMissing) as err:
        Normaliser(tmp_path / "kk_KZ", strict=True)
    assert err.value.code == "runtime_missing"
    assert "kk_dictionary_missing" in err.value.message


def test_other_languages_are_only_lower_cased(norm: Normaliser) -> None:
    assert norm.stem("Straße", "de") == "strasse"
    assert not norm.available("de")
