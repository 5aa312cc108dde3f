"""SBSh level evidence read from CV and vacancy texts: education, years of work (study left out, overlaps counted
once, open-ended periods up to ``today``) and managerial scope (a superior is not the candidate's own scope)."""

from __future__ import annotations

from datetime import date

import pytest

from matcher.engine import level

TODAY = date(2024, 12, 1)


def years(text: str) -> float:
    return level.years_of_experience(text, today=TODAY)


# --- 1. Years of study are not work ---------------------------------------------------------------------------------

KK_CV = """ТҮЙІНДЕМЕ
Білімі: Абай атындағы Қазақ ұлттық педагогикалық университеті, әлеуметтік жұмыс, бакалавр 2015-2019
Жұмыс тәжірибесі: 2019-2024 Алматы қаласының арнаулы әлеуметтік қызметтер көрсету орталығы, әлеуметтік қызметкер
"""


def test_kazakh_bachelor_years_are_not_work():
    ev = level.evidence(KK_CV, TODAY)
    assert ev.years == 5  # not 9
    assert ev.education == "bachelor"


@pytest.mark.parametrize("text, expected", [
    # a study line in each language, then a job
    ("2015–2019 гг. — Карагандинский университет им. Букетова, бакалавр социальной работы.\n"
     "2019–2023 гг. — КГУ «Центр социального обслуживания», социальный работник.", 4),
    ("2014 - 2018 Al-Farabi Kazakh National University, Bachelor of Social Work\n"
     "2018 - 2022 Social worker, Regional Centre for Social Services", 4),
    ("2012-2016 жж. Шымкент жоғары медициналық колледжі, мейіргер ісі\n"
     "2016-2020 жж. үйде әлеуметтік қызмет көрсету бөлімшесі, әлеуметтік жұмыскер", 4),
    # master's, courses, training and student years
    ("2019-2021 магистратура ЕНУ; 2018-2024 социальный работник", 6),
    ("Курсы повышения квалификации 10.2020 - 11.2020. Социальный работник 2020-2024.", 4),
    ("2021-2022 training courses in case management. 2019-2024 case worker at an NGO.", 5),
    ("2017-2021 оқыдым, әлеуметтік жұмыс мамандығы. 2021-2024 әлеуметтік қызметкер.", 3),
    ("2019-2023 студентка колледжа, 2021-2023 волонтер в ЦСО", 2),
    ("Бакалавр, КазНУ 2015-2019, ЦСО социальный работник 2019-2024", 5),
    ("ЦСО социальный работник 2019-2024, КазНУ бакалавр 2015-2019", 5),
    ("2005-2015 Средняя школа №12 г. Павлодара\n2015-2019 помощник социального работника", 4),
    ("Work experience 2019-2022 social worker. Education 2015-2019 University.", 3),
])
def test_study_lines_do_not_count(text, expected):
    assert years(text) == expected


def test_education_section_until_next_heading_is_study():
    ru = """Образование
2010 - 2014
Евразийский национальный университет им. Л.Н. Гумилёва
2014 - 2016 Магистратура
Опыт работы
2016 - 2020 Центр поддержки семьи
"""
    kk = """БІЛІМІ:
2011 – 2015 Қарағанды мемлекеттік техникалық
ЖҰМЫС ТӘЖІРИБЕСІ:
2015 – 2020 Қарағанды облысының әлеуметтік қызметтер орталығы
"""
    en = """Education
2009 - 2013 Nazarbayev University
2013 - 2014 Diploma in Community Care
Experience
2014 - 2019 Family support centre
"""
    assert years(ru) == 4
    assert years(kk) == 5
    assert years(en) == 5


def test_inline_headings_split_education_and_work():
    assert years("Білімі: ҚазҰПУ 2015-2019, Жұмыс тәжірибесі: 2019-2024 ЦСО.") == 5
    assert years("Образование: КазНУ, 2010-2014. Опыт работы: 2014-2020 ЦСО.") == 6


def test_jobs_at_schools_and_colleges_still_count():
    assert years("2016 – 2019 — воспитатель в специальной школе-интернате для детей с нарушением слуха.") == 3
    assert years("Опыт работы:\n2016 – 2019 — КГУ «Школа-интернат №3»") == 3
    assert years("2010-2015 school social worker, Secondary School No. 5, Astana") == 5
    assert years("2012-2018 жж. №3 колледжде әлеуметтік педагог болып жұмыс істедім") == 6


def test_study_periods_are_listed_apart():
    periods = level.work_periods(KK_CV, TODAY)
    assert periods == [(date(2019, 1, 1), date(2024, 1, 1))]


# --- 2. Overlaps counted once, open-ended periods read ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "2018 ж. қыркүйек – қазіргі уақыт: әлеуметтік жұмыскер",
    "2018 ж. қыркүйектен бастап әлеуметтік қызметкер болып жұмыс істеймін.",
    "2018 ж. қыркүйек – қазірге дейін әлеуметтік қызметкер",
    "2018 ж. қыркүйек – осы уақытқа дейін әлеуметтік қызметкер",
    "сентябрь 2018 – настоящее время, социальный работник",
    "Сентябрь 2018 — по настоящее время\nКГУ «Центр социального обслуживания»",
    "09.2018 – н.в. социальный работник",
    "09.2018 – по н.в. социальный работник",
    "01.09.2018 - до сих пор социальный работник",
    "Sep 2018 – present: social worker",
    "September 2018 - to date, case worker",
    "Sep 2018 – ongoing, social worker",
    "Sep 2018 – now, social worker",
])
def test_open_ended_period_from_september_2018(text):
    assert years(text) == pytest.approx(6.2, abs=0.05)  # Sep 2018 to Dec 2024: 6 years 3 months


@pytest.mark.parametrize("text", [
    "2019 – қазіргі кезде әлеуметтік қызметкер",
    "2019 - по настоящее время социальный работник",
    "2019 - current: social worker",
    "2019 жылдан бастап әлеуметтік қызметкер",
])
def test_open_ended_year(text):
    assert years(text) == pytest.approx(5.9, abs=0.05)  # Jan 2019 to Dec 2024


def test_director_since_2017():
    ev = level.evidence("Director of the Centre for Special Social Services, 2017 - present.", TODAY)
    assert ev.managerial and ev.years == pytest.approx(7.9)  # Jan 2017 to Dec 2024


def test_today_argument_is_the_end_of_open_periods():
    text = "Sep 2018 – present: social worker"
    assert level.years_of_experience(text, today=date(2020, 9, 1)) == 2
    assert level.evidence(text, date(2020, 9, 1)).years == 2
    assert level.years_of_experience(text) > 6  # date.today(), after 2024


def test_overlapping_periods_count_once():
    assert years("2010-2015 социальный работник; 2012-2016 психолог") == 6
    assert years("2018-2020 социальный педагог, 2019-2022 психолог, 2023 – н.в. специалист") == pytest.approx(5.9)
    assert years("Mar 2017 – present: social worker\nJan 2016 - current: volunteer at the shelter") == \
        pytest.approx(8.9)
    assert years("2015-2019 social worker\n2016-2017 volunteer\n2017-2018 case worker") == 4


def test_month_ranges():
    assert years("2019 ж. мамыр - 2021 ж. қазан әлеуметтік қызметкер") == pytest.approx(2.4, abs=0.05)
    assert years("01.06.2019 – 30.11.2024 ЦСО, социальный работник") == pytest.approx(5.4, abs=0.05)
    assert years("2015 жылдан 2019 жылға дейін әлеуметтік қызметкер") == 4
    assert years("с 2015 по 2019 гг. работала социальным работником") == 4


# --- 3. A superior is not managerial scope --------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Social worker under the head of the social assistance department.",
    "The social worker reports to the shelter director.",
    "Reports to the Deputy Minister on the national strategy.",
    "Line manager: Head of the Social Services Department",
    "Социальный работник подчиняется директору центра.",
    "Работает в подчинении у заведующего отделением.",
    "Социальный работник по уходу работает под руководством начальника отдела.",
    "Специалист работает под руководством заведующего, выполняет поручения руководителя.",
    "Әлеуметтік қызметкер бөлім басшысына бағынады.",
    "Әлеуметтік жұмыскер директорға бағынады.",
    "Басшының тапсырмасы бойынша жұмыс атқарады.",
])
def test_superior_is_not_managerial_scope(text):
    ev = level.evidence(text, TODAY)
    assert not ev.managerial
    assert not ev.strategic


@pytest.mark.parametrize("text", [
    "Руководил отделом социальной помощи.",
    "Руководил отделом из 5 человек, подчинялся директору.",
    "Head of department, 2015-2020.",
    "Managed a team of 12 social workers.",
    "Бөлімді басқардым.",
    "Орталықтың директоры, 40 қызметкер.",
    "The head of the department organises the work of the social workers.",
    "Заведующий отделением организует работу социальных работников.",
])
def test_own_management_is_managerial(text):
    assert level.evidence(text, TODAY).managerial


def test_casework_is_not_managerial():
    assert not level.evidence("Managing cases of 30 families; this could lead to better outcomes.", TODAY).managerial


def test_superior_sentence_does_not_hide_other_sentences():
    text = ("Социальный работник подчиняется директору центра. "
            "Ранее руководил отделом социальной помощи, разрабатывал региональную стратегию.")
    ev = level.evidence(text, TODAY)
    assert ev.managerial and ev.strategic


# --- What was right before still holds ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Опыт работы 5 лет в социальной сфере.", 5),
    ("7 years of experience in social work", 7),
    ("Жұмыс өтілі 3 жыл.", 3),
    ("Стаж работы: 10 лет", 10),
    ("Жоғары білім, бакалавр. Жұмыс өтілі 4 жыл", 4),
    ("2010-2015 социальный работник ЦСО", 5),
    ("Previously head of the social services department of the regional coordination centre (2011 - 2017).", 6),
    ("2019-2019 social worker", 0.5),
    ("2010-2015 социальный работник; 2015-2019 специалист отдела занятости", 9),
])
def test_explicit_years_and_job_ranges(text, expected):
    assert years(text) == pytest.approx(expected)


def test_college_then_work_up_to_now():
    ev = level.evidence("Образование: колледж. Опыт работы: 2015 - 2019, 2019 - по настоящее время.", TODAY)
    assert ev.education == "tvet" and ev.years >= 7


def test_no_years_from_numbers_that_are_not_periods():
    assert years("Тел.: +7 701 555 12 34, ИИН 900101400123, дата рождения 12.05.1990") == 0
    assert years("Государственная программа развития 2020-2030 годы") == 0


def test_education_and_managerial_texts():
    ev = level.evidence("Director of the Centre for Special Social Services, 2017 - present. Lead the centre: 140 "
                        "staff. Education: Master of Social Work, Eurasian National University (2010).", TODAY)
    assert ev.education == "master" and ev.managerial and ev.years >= 7
    assert level.evidence("PhD in social work, 12 years of experience", TODAY).education == "phd"
    assert level.evidence("Образование: колледж", TODAY).education == "tvet"
    ev = level.evidence("Заместитель директора по разработке государственной программы", TODAY)
    assert ev.managerial and ev.strategic
    ev = level.evidence("Үйде әлеуметтік қызмет көрсету бөлімшесінің әлеуметтік жұмыскері.", TODAY)
    assert not ev.managerial and not ev.strategic
