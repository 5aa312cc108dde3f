"""Title lines and the title rules of the standard (``matcher/data/standards/Q88100061.titles.json``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from matcher.config import Settings
from matcher.engine import Matcher
from matcher.engine.titles import TitleReader, title_lines
from matcher.errors import DatasetError
from matcher.standard.titles import TitleLexicon, load_titles

TODAY = date(2026, 11, 26)
CLAUSES = list(range(9, 19))


@pytest.fixture(scope="module")
def reader() -> TitleReader:
    s = Settings()
    return TitleReader(load_titles(s.titles_path, set(CLAUSES)), CLAUSES)


def named(reader: TitleReader, text: str) -> set[int]:
    return {c for hit in reader.hits(text, TODAY) for c in hit.cards}


@pytest.mark.parametrize(("text", "cards"), [
    ("Вакансия: Кейс-менеджер\nОбязанности: сопровождение семей.", {14}),
    ("Руководитель группы кейс-менеджеров\nТребования: высшее образование.", {16}),  # the head word decides
    ("Заместитель директора по социальной работе центра «Демеу»", {16}),
    ("Директор Департамента развития социальных услуг Министерства труда", {18}),
    ("И.о. директора кризисного центра", {17}),
    ("Ассистент социального работника (отделение на дому)", {12}),
    ("Social Worker Assistant - job description", {12}),
    ("Personal Assistant for a wheelchair user", {9}),
    ("Сурдопереводчик новостной службы", {11}),
    ("Бос жұмыс орны: Жеке көмекші", {9}),
    ("Әлеуметтік жұмыскер — кейс-менеджер", {14}),
    ("Күндізгі болу бөлімшесінің меңгерушісі қажет.", {16}),
    ("Әлеуметтік жұмыс жөніндегі маман (бірінші санат)", {15}),
    ("[ФИО], д.соц.н., профессор, г. Астана", {18}),
])
def test_a_posting_heading_names_its_card(reader: TitleReader, text: str, cards: set[int]) -> None:
    assert named(reader, text) == cards


def test_an_assistant_to_a_director_is_not_a_director(reader: TitleReader) -> None:
    assert named(reader, "Помощник директора (делопроизводство)") == set()
    assert named(reader, "Директордың көмекшісі (басшылық жанында)") == set()
    assert named(reader, "Personal assistant to the Managing Director") == set()


def test_other_jobs_and_prose_name_no_card(reader: TitleReader) -> None:
    assert named(reader, "Python developer\n5 years of Django and PostgreSQL.") == set()
    assert named(reader, "Таңдаған мамандығы бойынша жұмыс істеп келеді.") == set()  # "мамандығы" is not "маман"
    long_first = "Я " + "очень " * 60 + "директор"  # a first line of prose is not a title
    assert named(reader, long_first) == set()


def test_a_cv_is_read_by_its_labelled_position_and_its_latest_job(reader: TitleReader) -> None:
    cv = ("РЕЗЮМЕ\n[ФИО], г. Костанай\nОпыт работы:\n2012 – 2016 — социальный работник, ТЦСОН\n"
          "2016 – по настоящее время — заведующая отделением социальной помощи на дому\n")
    lines = title_lines(cv, TODAY)
    assert lines[0] == "РЕЗЮМЕ"
    assert any("заведующая отделением" in ln for ln in lines)
    assert not any("2012 – 2016" in ln for ln in lines)  # only the latest job
    assert named(reader, cv) == {16}
    assert named(reader, "CV\nDesired position: case manager\nSkills: ...") == {14}


def test_scores_follow_the_clause_order(reader: TitleReader) -> None:
    scores = reader.scores(reader.hits("Вакансия: Кейс-менеджер", TODAY))
    assert scores.shape == (10,)
    assert np.flatnonzero(scores).tolist() == [CLAUSES.index(14)]


def test_every_rule_names_cards_of_the_standard(tmp_path: Path) -> None:
    s = Settings()
    lexicon = load_titles(s.titles_path, set(CLAUSES))
    assert len(lexicon.rules) > 10
    bad = tmp_path / "t.json"
    bad.write_text(json.dumps({"rules": [{"cards": [42], "patterns": ["x"]}]}), encoding="utf-8")
    with pytest.raises(DatasetError) as exc:
        load_titles(bad, set(CLAUSES))
    assert exc.value.code == "dataset_missing"
    bad.write_text(json.dumps({"rules": [{"cards": [9], "patterns": ["(unclosed"]}]}), encoding="utf-8")
    with pytest.raises(DatasetError):
        load_titles(bad)
    assert load_titles(tmp_path / "absent.json").rules == []


def test_the_title_weight_moves_the_named_card_up(hash_matcher: Matcher) -> None:
    text = "Кейс-менеджер\nСопровождение семей в трудной жизненной ситуации, оценка потребностей."
    off = hash_matcher.with_settings(title_weight=0.0).match(text)
    on = hash_matcher.with_settings(title_weight=0.3).match(text)
    score = {o.clause: o.score for o in off.occupations}
    score_on = {o.clause: o.score for o in on.occupations}
    assert score_on[14] == pytest.approx(min(1.0, score[14] + 0.3), abs=1e-6)
    assert all(score_on[c] == pytest.approx(score[c], abs=1e-6) for c in score if c != 14)
    assert on.occupations[0].clause == 14
    empty = Matcher(hash_matcher.std, hash_matcher.encoder, hash_matcher.idx, hash_matcher.s.model_copy(
        update={"title_weight": 0.3}), titles=TitleLexicon())
    assert [o.clause for o in empty.match(text).occupations] == [o.clause for o in off.occupations]
