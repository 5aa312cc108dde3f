"""Text pipeline: Kazakh spaCy language, language detection, segmentation, abbreviations, PII."""

from __future__ import annotations

import re

import pytest
import spacy

from matcher.text import Segment, detect_language, expand_abbreviations, get_nlp, prepare_segments, segment, strip_pii
from matcher.text.kazakh import STOP_WORDS, Kazakh, blank_kk, like_num

MIXED_CV = """Сәрсенова Айгерім Қайратқызы
Тел.: +7 701 123 45 67, e-mail: aigerim.sarsenova@mail.kz
ЖСН: 910415300123

Жұмыс тәжірибесі
2015-2020 ж. «Жанұя» арнаулы әлеуметтік қызметтер көрсету орталығы, әлеуметтік жұмыскер.
• МБА-ны үйде әлеуметтік қызмет көрсету жоспарын әзірлеу және іске асыру.
• ӨҚЖ-дағы отбасыларға кеңес беру, АӘК тағайындау құжаттарын дайындау.

Опыт работы
01.09.2020 – по настоящее время, КГУ «Центр оказания специальных социальных услуг», г. Алматы
• Работа с ЛсИ и семьями, находящимися в ТЖС.
• Консультирование граждан по вопросам АСП, 8(727)123-45-67 (рабочий).
"""


@pytest.fixture(scope="module")
def nlp_kk() -> spacy.language.Language:
    return blank_kk()


# --- Kazakh language -----------------------------------------------------------------------


def test_blank_kk_registers_kazakh_idempotently() -> None:
    first, second = blank_kk(), blank_kk()
    assert isinstance(first, Kazakh) and isinstance(second, Kazakh)
    assert spacy.registry.languages.get("kk") is Kazakh
    assert first.lang == "kk"
    assert first.pipe_names == ["kk_line_breaks", "sentencizer"]


@pytest.mark.parametrize(
    ("word", "norm"),
    [("МБА-ны", "мба"), ("ӨҚЖ-дағы", "өқж"), ("АӘК-ті", "аәк"), ("ТжКБ-ның", "тжкб"), ("МБА-лардың", "мба")],
)
def test_abbreviation_with_suffix_is_one_token_normed_to_abbreviation(
    nlp_kk: spacy.language.Language, word: str, norm: str
) -> None:
    doc = nlp_kk(f"Біз ({word}), көмектесеміз.")
    assert [t.text for t in doc] == ["Біз", "(", word, ")", ",", "көмектесеміз", "."]
    assert doc[2].norm_ == norm


def test_hyphenated_words_stay_whole_and_compounds_keep_norm(nlp_kk: spacy.language.Language) -> None:
    doc = nlp_kk("Жүріп-тұруы қиын адамдар, IT-маман, 2015-2020 жж.")
    assert [t.text for t in doc] == [
        "Жүріп-тұруы", "қиын", "адамдар", ",", "IT-маман", ",", "2015", "-", "2020", "жж.",
    ]  # fmt: skip
    assert doc[4].norm_ == "it-маман"  # "маман" is a word, not a case suffix
    assert doc[9].norm_ == "жылдар"


def test_kazakh_letters_are_word_characters(nlp_kk: spacy.language.Language) -> None:
    # spaCy's shared ALPHA lacks ғ/қ/ұ: the infix after a final қ must still split.
    doc = nlp_kk("Алматы қ.Абай даңғылы, жұмысқа/оқуға")
    assert [t.text for t in doc] == ["Алматы", "қ.", "Абай", "даңғылы", ",", "жұмысқа", "/", "оқуға"]


def test_stop_words(nlp_kk: spacy.language.Language) -> None:
    assert len(STOP_WORDS) >= 100
    doc = nlp_kk("Бұл жұмыс бойынша МБА үшін және олардың отбасылары мен кеңес беру")
    stops = {t.text for t in doc if t.is_stop}
    assert stops == {"Бұл", "бойынша", "үшін", "және", "олардың", "мен"}


@pytest.mark.parametrize("word", ["бес", "мың", "жиырма", "бірінші", "тоғызыншы", "5-ші", "12", "1,5"])
def test_like_num_true(word: str) -> None:
    assert like_num(word)


@pytest.mark.parametrize("word", ["жұмыс", "оның", "жүзші", "білім", "МБА"])
def test_like_num_false(word: str) -> None:
    assert not like_num(word)


def test_like_num_attribute_on_tokens(nlp_kk: spacy.language.Language) -> None:
    doc = nlp_kk("Он бес жыл тәжірибе")
    assert [t.like_num for t in doc] == [True, True, False, False]


def test_kazakh_paragraph_sentences(nlp_kk: spacy.language.Language) -> None:
    text = (
        "Мен 2019 ж. бастап әлеуметтік жұмыскер болып жұмыс істеймін. Қарттарға, МБА-ға т.б. "
        "топтарға көмек көрсетемін! Сіз бізбен жұмыс істегіңіз келе ме? Хабарласыңыз."
    )
    sents = [s.text for s in nlp_kk(text).sents]
    assert sents == [
        "Мен 2019 ж. бастап әлеуметтік жұмыскер болып жұмыс істеймін.",
        "Қарттарға, МБА-ға т.б. топтарға көмек көрсетемін!",
        "Сіз бізбен жұмыс істегіңіз келе ме?",
        "Хабарласыңыз.",
    ]


def test_kazakh_bullets_on_new_lines_start_sentences(nlp_kk: spacy.language.Language) -> None:
    text = "Дағдылар:\n• отбасымен жұмыс\n• құжат\nжүргізу\n\nБілімі жоғары"
    sents = [s.text.strip() for s in nlp_kk(text).sents]
    assert sents == ["Дағдылар:", "• отбасымен жұмыс", "• құжат\nжүргізу", "Білімі жоғары"]


# --- language detection --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Әлеуметтік жұмыскер ретінде 5 жыл жұмыс тәжірибесі бар.", "kk"),
        ("Сурдоаударманы орындауды жоспарлау", "kk"),  # no ә ғ қ ..., but Kazakh spelling
        ("Бала мен отбасы", "kk"),
        ("Excel, Word бағдарламаларын жетік білемін", "kk"),
        ("Опыт работы социальным работником 5 лет.", "ru"),
        ("Работала в ТОО «Қазақтелеком» и в ГУ «Әлеуметтік қорғау бөлімі»", "ru"),
        ("Social worker with 5 years of experience in case management.", "en"),
        ("Skills: MS Office, Excel, PowerPoint (продвинутый)", "en"),
        ("IT", "unknown"),
        ("2015-2020", "unknown"),
        ("", "unknown"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_mixed_cv_segments_get_their_own_language() -> None:
    langs = {s.text[:12]: s.lang for s in segment(MIXED_CV)}
    assert langs["МБА-ны үйде "] == "kk"
    assert langs["ӨҚЖ-дағы отб"] == "kk"
    assert langs["Работа с ЛсИ"] == "ru"
    assert langs["Опыт работы"] == "ru"
    assert {"kk", "ru"} <= set(langs.values())


# --- segmentation --------------------------------------------------------------------------


def test_segment_bulleted_cv() -> None:
    cv = (
        "Кәсіби дағдылар:\n"
        "• Отбасыларға әлеуметтік-психологиялық көмек көрсету.\n"
        "- Жеке оңалту бағдарламасын әзірлеу.\n"
        "* Құжаттарды ресімдеу\n"
        "1) Қарттарға үйде қызмет көрсету.\n"
        "2. Волонтерлермен жұмыс ұйымдастыру.\n"
        "–\n"
        "• ok\n"
    )
    segs = segment(cv)
    assert [s.text for s in segs] == [
        "Кәсіби дағдылар:",
        "Отбасыларға әлеуметтік-психологиялық көмек көрсету.",
        "Жеке оңалту бағдарламасын әзірлеу.",
        "Құжаттарды ресімдеу",
        "Қарттарға үйде қызмет көрсету.",
        "Волонтерлермен жұмыс ұйымдастыру.",
    ]
    assert all(s.lang == "kk" for s in segs)
    for s in segs:  # offsets point at the segment in the input
        assert cv[s.start : s.end] == s.text


def test_segment_splits_sentences_and_merges_short_fragments() -> None:
    text = "Ответственная. Работала с семьями в трудной жизненной ситуации. Вела отчётность по форме."
    assert [s.text for s in segment(text)] == [
        "Ответственная. Работала с семьями в трудной жизненной ситуации.",
        "Вела отчётность по форме.",
    ]


def test_segment_table_rows_and_wrapped_lines() -> None:
    text = (
        "СБШ бойынша біліктілік деңгейі:\t4\n"
        "Еңбек функциясы 1: әлеуметтік қызмет көрсету\tДағды 1: отбасымен жұмыс істеу әдістерін қолдану\n"
        "| Период | Организация | Должность |\n"
        "|---|---|---|\n"
        "Consulted families and persons with disabilities on social benefits,\n"
        "housing and employment programmes.\n"
        "Должность:\n"
        "Социальный работник\n"
    )
    assert [s.text for s in segment(text)] == [
        "СБШ бойынша біліктілік деңгейі: 4",
        "Еңбек функциясы 1: әлеуметтік қызмет көрсету",
        "Дағды 1: отбасымен жұмыс істеу әдістерін қолдану",
        "Период; Организация; Должность",
        "Consulted families and persons with disabilities on social benefits, "
        "housing and employment programmes.",
        "Должность: Социальный работник",
    ]


def test_segment_cuts_long_text_into_chunks() -> None:
    words = [f"сөз{i}" for i in range(150)]
    words[44] += ","  # a comma a little before the ideal cut (50 words) is preferred
    text = " ".join(words) + "."
    segs = segment(text)
    assert [len(s.text.split()) for s in segs] == [45, 53, 52]
    assert segs[0].text.endswith("сөз44,")
    assert " ".join(s.text for s in segs) == text
    assert all(text[s.start : s.end] == s.text for s in segs)


def test_segment_ignores_html_markup_keeping_offsets() -> None:
    html_text = (
        "<p><strong>Обязанности:</strong></p>"
        "<ul><li>Работа с ЛсИ и их семьями;</li><li>Ведение учёта&nbsp;АСП.</li></ul>"
    )
    segs = segment(html_text)
    assert [s.text for s in segs] == ["Обязанности:", "Работа с ЛсИ и их семьями;", "Ведение учёта АСП."]
    assert html_text[segs[1].start : segs[1].end] == "Работа с ЛсИ и их семьями;"


def test_segment_model_and_nlp_cache() -> None:
    seg = segment("Әлеуметтік жұмыскер ретінде жұмыс істеймін.")[0]
    assert isinstance(seg, Segment)
    assert seg.model_dump() == {
        "text": "Әлеуметтік жұмыскер ретінде жұмыс істеймін.",
        "lang": "kk",
        "start": 0,
        "end": 43,
    }
    assert get_nlp("kk") is get_nlp("kk")
    assert get_nlp("ru").lang == "ru" and get_nlp("unknown").lang == "xx"


# --- abbreviations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("МБА-ны сүйемелдеу", "kk", "мүгедектігі бар адамдар (МБА-ны) сүйемелдеу"),
        ("ӨҚЖ-дағы отбасылар", "kk", "өмірлік қиын жағдай (ӨҚЖ-дағы) отбасылар"),
        ("АӘК алушылар", "kk", "атаулы әлеуметтік көмек (АӘК) алушылар"),
        (
            "ТжКБ немесе ТЖКБ",
            "kk",
            "техникалық және кәсіптік білім беру (ТжКБ) немесе техникалық және кәсіптік білім беру (ТЖКБ)",
        ),
        ("СБШ 4-деңгейі", "kk", "салалық біліктілік шеңбері (СБШ) 4-деңгейі"),
        (
            "ЖЖКБТБА, БА",
            "kk",
            "жұмыстар мен жұмысшылардың кәсіптерінің бірыңғай тарифтік-біліктілік анықтамалығы (ЖЖКБТБА), "
            "біліктілік анықтамалық (БА)",
        ),
        ("АЖ-мен жұмыс", "kk", "ақпараттық жүйе (АЖ-мен) жұмыс"),
        (
            "Работа с ЛсИ в ТЖС",
            "ru",
            "Работа с лица с инвалидностью (ЛсИ) в трудная жизненная ситуация (ТЖС)",
        ),
        ("выпускник ТиПО", "ru", "выпускник техническое и профессиональное образование (ТиПО)"),
        ("Supported PWD at home", "en", "Supported persons with disabilities (PWD) at home"),
    ],
)
def test_expand_abbreviations(text: str, lang: str, expected: str) -> None:
    assert expand_abbreviations(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ЖҰМЫС ІСТЕЙ АЛАСЫЗ БА?", "kk"),  # БА is the question particle in an all-caps sentence
        ("ЖЖКБТБАдағы", "kk"),  # not a standalone token
        ("мба, өқж", "kk"),  # case-sensitive
        ("МБА (магистр бизнес-администрирования)", "ru"),  # the Kazakh table is not used for Russian
        ("МБА – мүгедектігі бар адамдар", "kk"),  # already spelled out
    ],
)
def test_expand_abbreviations_leaves_text_alone(text: str, lang: str) -> None:
    assert expand_abbreviations(text, lang) == text


def test_expand_abbreviations_is_idempotent() -> None:
    once = expand_abbreviations("МБА-ның құқықтары және АӘҚКО қызметі", "kk")
    assert once == (
        "мүгедектігі бар адамдар (МБА-ның) құқықтары және "
        "арнаулы әлеуметтік қызметтер көрсету орталығы (АӘҚКО) қызметі"
    )
    assert expand_abbreviations(once, "kk") == once


# --- PII -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email: aigerim.sarsenova@mail.kz.", "Email: [EMAIL]."),
        ("Тел.: +7 701 123 45 67", "Тел.: [PHONE]"),
        ("моб. +7 (701) 123-45-67, раб. 8(727)123-45-67", "моб. [PHONE], раб. [PHONE]"),
        ("87011234567 немесе 8 (7172) 74-12-34", "[PHONE] немесе [PHONE]"),
        ("ЖСН 910415300123", "ЖСН [IIN]"),
        ("ИИН: 910415 300 125", "ИИН: [IIN]"),
        ("910415 300 125", "[IIN]"),  # spaced, no label, valid IIN checksum
        (
            "LinkedIn: https://www.linkedin.com/in/aigerim-s/, telegram @aigerim_s",
            "LinkedIn: [URL], telegram [HANDLE]",
        ),
        ("linkedin.com/in/aigerim-s", "[URL]"),
        # the forms of issue 15
        ("ИИН 900101-300126", "ИИН [IIN]"),
        ("900101-300126", "[IIN]"),  # hyphenated
        ("900101 300126", "[IIN]"),  # spaced
        ("ЖСН: 900101‑300127", "ЖСН: [IIN]"),  # non-breaking hyphen, labelled, control digit wrong
        ("850315-400123", "[IIN]"),  # no label, wrong control digit, but a date and a century digit: an IIN
        ("тел. +7.701.555.12.34", "тел. [PHONE]"),
        ("8.701.555.12.34", "[PHONE]"),
        ("aliya.n [at] mail.kz", "[EMAIL]"),
        ("aliya(at)mail(dot)kz", "[EMAIL]"),
        ("aliya @ mail.kz", "[EMAIL]"),
        ("Удостоверение личности № 045678912", "Удостоверение личности № [ID]"),
        ("уд. л. 045678912, выдано МВД РК", "уд. л. [ID], выдано МВД РК"),
        ("уд.личности №045678912", "уд.личности №[ID]"),
        ("паспорт N12345678", "паспорт [ID]"),
        ("паспорт № N 1234567", "паспорт № [ID]"),
        ("жеке куәлік № 045678912 берілген", "жеке куәлік № [ID] берілген"),
        ("Passport No. N1234567", "Passport No. [ID]"),
        ("№ 045678912", "№ [ID]"),
        ("г. Караганда, ул. Абая, д. 15, кв. 42.", "г. Караганда, [ADDRESS]."),
        ("пр-т Назарбаева 10", "[ADDRESS]"),
        ("мкр. Самал-2, д. 5", "[ADDRESS]"),
        ("д. 15, кв. 42", "[ADDRESS]"),
        ("Абай көш., 15", "[ADDRESS]"),
        ("Абай көшесі 15 үй, 42 пәтер", "[ADDRESS]"),
        ("12 Baker Street, apt. 4", "[ADDRESS], [ADDRESS]"),
        ("Дата рождения: 12.03.1990", "Дата рождения: [BIRTHDATE]"),
        ("дата рождения 5 мая 1990 г.", "дата рождения [BIRTHDATE]"),
        ("Туған күні: 1990 жылғы 5 мамыр", "Туған күні: [BIRTHDATE]"),
        ("1988 жылғы 5 мамыр туған", "[BIRTHDATE] туған"),
        ("1990 г.р.", "[BIRTHDATE] г.р."),
        ("Date of birth: 5 May 1990", "Date of birth: [BIRTHDATE]"),
        ("born in 1990", "born in [BIRTHDATE]"),
        ("DOB: 1990-03-12", "DOB: [BIRTHDATE]"),
    ],
)
def test_strip_pii(text: str, expected: str) -> None:
    assert strip_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2015-2020 жж. әлеуметтік жұмыскер",
        "01.09.2019 – 31.08.2020",
        "Опыт работы 5 лет, 87 семей, зарплата 250 000 тенге",
        "Бұйрық № 125, 30.04.2024, 1 500 000 теңге",
        "2015 2016 2017 2018",
        "9104 1530 0123",  # 12 digits with spaces but an invalid checksum and no label
        "2015-2020 жж. әлеуметтік жұмыскер",
        "за 1 кв. 2023 года",  # a quarter, not a flat
        "Работаю в д. Михайловка",  # a village
        "Кабинет 5, дом культуры",
        "туған тілі қазақ тілі",  # "native language"
        "Туған жері Қарағанды",
        "Приказ № 125 от 30.04.2024, 2019-2021",
        "и др. материалы, и т. д.",
        "worked at the centre since 2019",
    ],
)
def test_strip_pii_keeps_years_dates_and_numbers(text: str) -> None:
    assert strip_pii(text) == text


# --- entry point ---------------------------------------------------------------------------


def test_prepare_segments_end_to_end() -> None:
    segs = prepare_segments(MIXED_CV)
    joined = "\n".join(s.text for s in segs)
    for secret in ("701 123", "aigerim", "910415300123", "123-45-67"):
        assert secret not in joined
    # contact-only lines are dropped, the name line is kept (names are not detected)
    assert [s.text for s in segs][:2] == ["Сәрсенова Айгерім Қайратқызы", "Жұмыс тәжірибесі"]
    by_start = {s.text[:20]: s for s in segs}
    mba = by_start["мүгедектігі бар адам"]
    assert mba.text == (
        "мүгедектігі бар адамдар (МБА-ны) үйде әлеуметтік қызмет көрсету жоспарын әзірлеу және іске асыру."
    )
    assert mba.lang == "kk"
    assert MIXED_CV[mba.start : mba.end].startswith("МБА-ны үйде")
    ru = next(s for s in segs if "АСП" in s.text)
    assert ru.lang == "ru"
    assert "адресная социальная помощь (АСП)" in ru.text and "[PHONE]" in ru.text
    # offsets are in the original text, across the removed phone number
    original = "Консультирование граждан по вопросам АСП, 8(727)123-45-67 (рабочий)."
    assert MIXED_CV[ru.start : ru.end] == original
    assert "2015-2020" in joined and "01.09.2020" in joined
    assert [s.lang for s in segs].count("kk") >= 4 and [s.lang for s in segs].count("ru") >= 3


def test_prepare_segments_empty_and_punctuation_only() -> None:
    assert prepare_segments("") == []
    assert prepare_segments(" \n• \n--- | --- \n") == []


def test_no_segment_is_too_short_or_too_long() -> None:
    text = MIXED_CV + "\n" + " ".join(["әлеуметтік жұмыс"] * 80) + "\nа\n"
    for s in prepare_segments(text):
        assert len(re.findall(r"[^\W_]", s.text)) >= 3
        assert len(s.text.split()) <= 60 + 12  # expansions add words after chunking
