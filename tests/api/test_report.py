"""``POST /v1/report`` and ``matcher report``: the PDF report, opened with pypdf and read as text.

Contract tests run on the hashing encoder (the CV is made of the standard's own statements, so some are covered
with a quote); one slow test runs the real model on the Russian PDF CV of a social worker.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import CV_RU_PDF, cv_pdf, is_problem, make_app
from pypdf import PdfReader

import api.report
import matcher.cli.commands as commands
from api.app import create_app
from matcher.cli import main
from matcher.config import Settings
from matcher.engine import Matcher, MatchResult

UNLIMITED = {"client_rate": 0, "client_budget": 0, "client_concurrency": 0}
HEAD = {"ru": "Социальный работник, опыт работы 5 лет.", "kk": "Әлеуметтік қызметкер, 5 жыл жұмыс тәжірибесі.",
        "en": "Social worker, 5 years of experience."}


def statements_cv(m: Matcher, clause: str, lang: str, n: int = 10) -> str:
    occ = m.std.occupation(clause)
    sts = [st for lf in occ.labour_functions for sk in lf.skills for _, st in sk.statements()]
    return HEAD[lang] + "\n" + "\n".join(st.text.get(lang) for st in sts[:n])  # type: ignore[arg-type]


def pdf_text(data: bytes) -> str:
    """The PDF's text with its line breaks and spacing folded, so wrapped phrases compare as written."""
    assert data.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def client(hash_matcher: Matcher) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(index_dir=hash_matcher.s.index_dir, **UNLIMITED), matcher=hash_matcher)) as c:
        yield c


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_report_names_the_best_card_in_its_language_and_quotes_the_evidence(
        client: TestClient, hash_matcher: Matcher, lang: str) -> None:
    text = statements_cv(hash_matcher, "13", "ru")  # a Russian text, reported in each language
    r = client.post("/v1/report", json={"text": text, "lang": lang})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment; filename=") and r.headers["cache-control"]
    body = pdf_text(r.content)
    res = hash_matcher.match(text, "cv", 3)
    best = res.occupations[0]
    assert fold(best.name.get(lang)) in body  # type: ignore[arg-type]
    others = {"kk", "ru", "en"} - {lang, *(x for x in ("kk", "ru", "en") if best.name.get(x) == best.name.get(lang))}
    assert all(fold(best.name.get(o)) not in body for o in others)  # type: ignore[arg-type]
    assert best.covered and fold(best.covered[0].evidence) in body  # a quote from the text
    assert fold(best.covered[0].text.get(lang)) in body  # type: ignore[arg-type]
    heading = api.report.LABELS["plan"][lang]  # type: ignore[index]
    assert heading in body and fold(best.learning_plan[0].text.get(lang)) in body  # type: ignore[arg-type]
    assert api.report.LABELS["moves"][lang] in body  # type: ignore[index]
    if best.career_moves:
        assert fold(best.career_moves[0].name.get(lang)) in body  # type: ignore[arg-type]


def test_the_report_defaults_to_the_texts_language_and_takes_a_form(client: TestClient,
                                                                     hash_matcher: Matcher) -> None:
    text = statements_cv(hash_matcher, "13", "kk")
    r = client.post("/v1/report", files={"file": ("cv.txt", text.encode("utf-8"), "text/plain")})
    assert r.status_code == 200
    best = hash_matcher.match(text, "cv", 3).occupations[0]
    body = pdf_text(r.content)
    assert fold(best.name.kk) in body and api.report.LABELS["title"]["kk"] in body
    assert r.headers["content-disposition"].endswith(f'report-{best.clause}-kk.pdf"')


def test_the_report_says_which_title_line_names_the_job(client: TestClient, hash_matcher: Matcher) -> None:
    text = "Социальный работник\nОпыт работы: 2019 - 2024, центр социального обслуживания на дому.\n" + \
        statements_cv(hash_matcher, "13", "ru").split("\n", 1)[1]
    best = hash_matcher.match(text, "cv", 3).occupations[0]
    assert best.title == "Социальный работник"  # the rules name cards 10, 12 and 13 by it
    for lang in ("ru", "en"):
        body = pdf_text(client.post("/v1/report", json={"text": text, "lang": lang}).content)
        assert api.report.label("title_names", lang, title="Социальный работник") in body
    body = pdf_text(client.post("/v1/report", json={"text": statements_cv(hash_matcher, "13", "ru").split("\n", 1)[1],
                                                    "lang": "en"}).content)
    assert api.report.label("title_names", "en", title="").rstrip() not in body


def test_the_report_of_a_checklist(client: TestClient, hash_matcher: Matcher) -> None:
    occ = hash_matcher.std.occupation("14")
    ticks = [st.id for lf in occ.labour_functions for sk in lf.skills for _, st in sk.statements()][:5]
    r = client.post("/v1/report", json={"statements": ticks, "clause": 14, "lang": "en"})
    assert r.status_code == 200
    body = pdf_text(r.content)
    res = hash_matcher.checklist(ticks, 14, 3)
    assert fold(res.occupations[0].name.en) in body
    assert api.report.label("ticked", "en", n=len(res.occupations[0].covered)) in body
    assert api.report.LABELS["rule_checklist"]["en"] in body
    assert is_problem(client.post("/v1/report", json={"statements": ["nope"]}), 422, "unknown_statement")
    assert is_problem(client.post("/v1/report", json={"statements": ticks, "clause": 99}), 422,
                      "unknown_occupation")


def test_an_empty_text_is_the_usual_problem(client: TestClient) -> None:
    assert is_problem(client.post("/v1/report", json={"text": "   "}), 422, "empty")
    assert is_problem(client.post("/v1/report", json={}), 422, "empty")
    assert is_problem(client.post("/v1/report", json={"text": "x", "lang": "de"}), 422, "validation")
    assert is_problem(client.post("/v1/report", content=b"{", headers={"content-type": "application/json"}), 400,
                      "invalid_json")
    assert is_problem(client.post("/v1/report", files={"text": ("", b"abc")}), 422, "validation")  # no file part


def test_without_a_font_the_report_is_unavailable(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.report, "find_font", lambda: None)
    r = client.post("/v1/report", json={"text": HEAD["ru"]})
    assert is_problem(r, 503, "report_unavailable") and "font" in r.json()["detail"]


def test_the_font_is_found_on_this_machine() -> None:
    font = api.report.find_font()
    assert font is not None and all(p.is_file() for p in font)


def test_an_out_of_scope_result_says_so_and_shows_no_level(hash_matcher: Matcher) -> None:
    res = hash_matcher.match(HEAD["en"], "cv", 3)
    out: MatchResult = res.model_copy(update={"in_scope": False})  # as the engine marks a text of another trade
    for lang in ("kk", "ru", "en"):
        body = pdf_text(api.report.render(out, lang))  # type: ignore[arg-type]
        assert fold(api.report.LABELS["out_of_scope"][lang]) in body  # type: ignore[index]
        assert api.report.LABELS["plan"][lang] not in body and res.occupations[0].name.get(lang) not in body  # type: ignore
        assert api.report.label("level", lang, level=1, levels=1).split(":")[0] not in body  # type: ignore[arg-type]


def test_long_words_wrap_and_nothing_is_lost(hash_matcher: Matcher) -> None:
    res = hash_matcher.match(statements_cv(hash_matcher, "13", "en"), "cv", 3)
    token = "x" * 150 + "-" + "y" * 150  # wider than the page: split across lines, every letter kept
    best = res.occupations[0]
    covered = [best.covered[0].model_copy(update={"evidence": f"see {token} here"}), *best.covered[1:]]
    res = res.model_copy(update={"occupations": [best.model_copy(update={"covered": covered}), *res.occupations[1:]]})
    body = pdf_text(api.report.render(res, "en")).replace(" ", "")
    assert token in body


def test_the_cli_writes_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hash_matcher: Matcher) -> None:
    monkeypatch.setattr(commands, "_matcher", lambda settings, one_shot=False: hash_matcher)
    cv = tmp_path / "cv.txt"
    cv.write_text(statements_cv(hash_matcher, "13", "ru"), encoding="utf-8")
    out = tmp_path / "report.pdf"
    assert main(["report", str(cv), "--lang", "ru", "--out", str(out)]) == 0
    best = hash_matcher.match(cv.read_text(encoding="utf-8"), "cv", 3).occupations[0]
    assert fold(best.name.ru) in pdf_text(out.read_bytes())
    assert main(["report", str(tmp_path / "missing.txt"), "--out", str(out)]) == 2


@pytest.mark.slow
def test_the_real_model_reports_the_russian_pdf_cv() -> None:
    """The Russian PDF CV of a social worker (card 13, SBSh 4), with the real model, reported in Russian."""
    with TestClient(make_app(**UNLIMITED)) as c:
        r = c.post("/v1/report", files={"file": ("cv.pdf", cv_pdf(), "application/pdf")}, data={"lang": "ru"})
    assert r.status_code == 200, CV_RU_PDF
    body = pdf_text(r.content)
    assert "Социальный работник" in body and "Уровень ОРК: 4" in body
    assert api.report.LABELS["covered"]["ru"].split(" (")[0] in body and "«" in body


@pytest.mark.slow
def test_the_real_model_reports_a_text_of_another_trade_as_out_of_scope() -> None:
    cv = ("Senior Python developer, 6 years.\nBuilt REST APIs with Django and FastAPI, PostgreSQL, Redis, Kubernetes "
          "on AWS.\nSet up CI/CD pipelines in GitLab, wrote unit tests with pytest.\nBSc in Computer Science.")
    with TestClient(make_app(**UNLIMITED)) as c:
        r = c.post("/v1/report", json={"text": cv})
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('report-out-of-scope-en.pdf"')
    body = pdf_text(r.content)
    assert fold(api.report.LABELS["out_of_scope"]["en"]) in body
    assert api.report.LABELS["plan"]["en"] not in body and "SBSh level" not in body
