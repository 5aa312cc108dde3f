"""Screening at scale: the one core, the exports, ``matcher screen`` (files, JSONL, CSV; workers; resume after a
real crash), the vector cache and ``rank-vacancies``. Contract tests on the hashing encoder (fast, deterministic);
the real-model and Ray runs are marked slow."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from helpers import make_docx, make_pdf
from screen_helpers import cached_hash_matcher, hash_matcher, make_cvs, vacancy_text

from matcher.cli import main
from matcher.cli.screening import CVItem, journal_path, load_pool, screen_to_file
from matcher.config import Settings
from matcher.engine import Matcher, ScreenedCV, screen
from matcher.engine.screening import (
    COLUMNS,
    SegmentVectorCache,
    export_bytes,
    profile_vacancy,
    rank,
    rank_vacancies,
    read_export,
    row_record,
    screen_rows,
)


@pytest.fixture(scope="module")
def hash_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    s = Settings(index_dir=tmp_path_factory.mktemp("screen-hash-index"))
    hash_matcher(s)  # builds the index once; workers load it
    return s


@pytest.fixture(scope="module")
def hm(hash_settings: Settings) -> Matcher:
    return hash_matcher(hash_settings)


def items_of(cvs: list[tuple[str, str]]) -> list[CVItem]:
    return [CVItem(id=i, text=t) for i, t in cvs]


# --- the core ------------------------------------------------------------------------------------------------


def test_rows_do_not_depend_on_batching(hm: Matcher) -> None:
    cvs = make_cvs(24, seed=1)
    profile = profile_vacancy(hm, vacancy_text(13))
    whole = screen_rows(hm, profile, cvs)
    pieces = [r for i in range(0, len(cvs), 5) for r in screen_rows(hm, profile, cvs[i : i + 5])]
    assert [r.model_dump() for r in whole] == [r.model_dump() for r in pieces]
    assert [r.id for r in whole] == [i for i, _ in cvs]  # unranked: in the order given
    ranked = rank(reversed(whole))
    assert [r.rank for r in ranked] == list(range(1, 25))
    assert ranked == rank(whole)  # the order depends on the rows only
    fits = [r.fit for r in ranked if r.in_scope]
    assert fits == sorted(fits, reverse=True)
    assert all(r.required_total == len(profile.required) for r in whole)


def test_unreadable_cvs_become_rows_with_their_error(hm: Matcher) -> None:
    profile = profile_vacancy(hm, vacancy_text(13))
    cvs = make_cvs(3) + [("blank", "   "), ("digits", "12345 678 --- !!!"), ("nul", "a\x00b")]
    rows = rank(screen_rows(hm, profile, cvs))
    errors = {r.id: r.error for r in rows if r.error}
    assert set(errors) == {"blank", "digits", "nul"}
    assert errors["blank"].startswith("empty: ") and errors["digits"].startswith("no_words: ")
    assert errors["nul"].startswith("binary: ")
    assert [r.id for r in rows[-3:]] == sorted(errors)  # errors rank last, by id
    assert all(r.fit == 0 and not r.in_scope for r in rows if r.error)


def test_screen_is_the_ranked_core(hm: Matcher) -> None:
    cvs = make_cvs(8, seed=2)
    res = screen(hm, vacancy_text(11), cvs)
    profile = profile_vacancy(hm, vacancy_text(11))
    assert res.cvs == rank(screen_rows(hm, profile, cvs))
    assert res.vacancy == profile.occupation and res.required == profile.required


# --- exports ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "jsonl"])
def test_exports_have_the_columns_in_order(hm: Matcher, tmp_path: Path, fmt: str) -> None:
    profile = profile_vacancy(hm, vacancy_text(13))
    rows = rank(screen_rows(hm, profile, make_cvs(6) + [("=cmd|' /C calc'!A0", "")]))
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(export_bytes(rows, fmt))
    back = read_export(path)
    assert len(back) == len(rows)
    assert list(back[0]) == list(COLUMNS)
    expected = [row_record(r) for r in rows]
    for got, want in zip(back, expected, strict=True):
        if fmt == "csv":  # text cells
            want = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in want.items()}
        if fmt == "xlsx":  # a leading '=' is kept as text, not a formula
            want = {**want, "id": ("'" + want["id"]) if want["id"].startswith("=") else want["id"],
                    "error": want["error"] or None}
        assert got == want
    assert " | " in back[0]["reasons"]


# --- the CLI ---------------------------------------------------------------------------------------------------


def write_folder(folder: Path, cvs: list[tuple[str, str]]) -> None:
    """CV files of each kind, and two that cannot be read."""
    folder.mkdir()
    for n, (cv_id, text) in enumerate(cvs):
        if n % 3 == 0:
            (folder / f"{cv_id}.txt").write_text(text, encoding="utf-8")
        elif n % 3 == 1:
            (folder / f"{cv_id}.docx").write_bytes(make_docx(text.splitlines()))
        else:
            (folder / f"{cv_id}.pdf").write_bytes(make_pdf([text.splitlines()[:18]]))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a PDF")
    (folder / "empty.txt").write_bytes(b"")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")  # hidden: not a CV


def test_folder_jsonl_and_csv_pools(hash_settings: Settings, hm: Matcher, tmp_path: Path) -> None:
    cvs = make_cvs(9, seed=3)
    write_folder(tmp_path / "cvs", cvs)
    pool = load_pool(tmp_path / "cvs")
    assert len(pool) == 11 and all(it.path for it in pool)
    out = tmp_path / "folder.csv"
    summary = screen_to_file(hash_settings, vacancy_text(13), pool, out, factory=hash_matcher, batch=4)
    rows = read_export(out)
    assert [r["rank"] for r in rows] == [str(n) for n in range(1, 12)]
    errors = {r["id"]: r["error"] for r in rows if r["error"]}
    assert set(errors) == {"broken.pdf", "empty.txt"} and summary["errors"] == 2
    assert errors["broken.pdf"].startswith("pdf_corrupt: ") and errors["empty.txt"].startswith("empty: ")
    assert not journal_path(out).exists()

    (tmp_path / "cvs.jsonl").write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                                                for i, t in cvs), encoding="utf-8")
    with open(tmp_path / "cvs.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text"])
        writer.writerows(cvs)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    screen_to_file(hash_settings, vacancy_text(13), load_pool(tmp_path / "cvs.jsonl"), a, factory=hash_matcher)
    screen_to_file(hash_settings, vacancy_text(13), load_pool(tmp_path / "cvs.csv"), b, factory=hash_matcher)
    assert a.read_bytes() == b.read_bytes()
    assert [r["id"] for r in read_export(a)] == [r.id for r in rank(screen_rows(
        hm, profile_vacancy(hm, vacancy_text(13)), cvs))]


def test_duplicate_ids_and_bad_inputs_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "dup.jsonl").write_text('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', encoding="utf-8")
    (tmp_path / "v.txt").write_text(vacancy_text(13), encoding="utf-8")
    assert main(["screen", str(tmp_path / "v.txt"), str(tmp_path / "dup.jsonl"), "--out", "x.csv"]) == 2
    assert "appears twice" in capsys.readouterr().err
    (tmp_path / "ok.jsonl").write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    assert main(["screen", str(tmp_path / "v.txt"), str(tmp_path / "ok.jsonl"), "--out", "x.pdf"]) == 2
    assert ".csv, .xlsx, .parquet, .jsonl" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("name,body\na,b\n", encoding="utf-8")
    assert main(["screen", str(tmp_path / "v.txt"), str(tmp_path / "bad.csv"), "--out", "x.csv"]) == 2
    assert "'id' and 'text' columns" in capsys.readouterr().err


@pytest.mark.slow  # two spawned processes each load a matcher: ~15-40 s on 2 busy cores
def test_two_workers_give_the_same_file(hash_settings: Settings, tmp_path: Path) -> None:
    pool = items_of(make_cvs(30, seed=4))
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    screen_to_file(hash_settings, vacancy_text(9), pool, one, factory=hash_matcher, batch=6)
    screen_to_file(hash_settings, vacancy_text(9), pool, two, workers=2, factory=hash_matcher, batch=6)
    assert one.read_bytes() == two.read_bytes()


def _screen_in_child(settings: Settings, vacancy: str, cvs: list[tuple[str, str]], out: str, resume: bool) -> None:
    screen_to_file(settings, vacancy, items_of(cvs), Path(out), factory=hash_matcher, batch=2, resume=resume)


def test_a_crash_resumes_cleanly(hash_settings: Settings, tmp_path: Path) -> None:
    cvs = make_cvs(40, seed=5)
    vacancy = vacancy_text(13)
    full, out = tmp_path / "full.jsonl", tmp_path / "out.jsonl"
    screen_to_file(hash_settings, vacancy, items_of(cvs), full, factory=hash_matcher)
    journal = journal_path(out)
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_screen_in_child, args=(hash_settings, vacancy, cvs, str(out), False))
    child.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.is_alive():
        if journal.exists() and len(journal.read_text(encoding="utf-8").splitlines()) >= 7:
            break
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)  # a crash: no clean-up of any kind
    child.join()
    assert not out.exists() and journal.exists()
    written = len(journal.read_text(encoding="utf-8").splitlines()) - 1
    assert 0 < written < len(cvs), written
    with open(journal, "a", encoding="utf-8") as fh:  # the line a crash cut short
        fh.write('{"id": "cv-9999", "rank": 0, "fi')
    with pytest.raises(Exception, match="--resume"):
        screen_to_file(hash_settings, vacancy, items_of(cvs), out, factory=hash_matcher)
    summary = screen_to_file(hash_settings, vacancy, items_of(cvs), out, factory=hash_matcher, resume=True)
    assert summary["resumed"] == written and summary["screened"] == len(cvs) - written
    assert out.read_bytes() == full.read_bytes()
    ids = [r["id"] for r in read_export(out)]
    assert len(ids) == len(set(ids)) == len(cvs)
    assert not journal.exists()


def test_resume_refuses_another_vacancy(hash_settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    journal_path(out).write_text(json.dumps({"journal": 1, "vacancy_sha256": "0" * 64, "encoder": "e5"}) + "\n")
    with pytest.raises(Exception, match="another vacancy"):
        screen_to_file(hash_settings, vacancy_text(13), items_of(make_cvs(2)), out, factory=hash_matcher,
                       resume=True)


# --- the vector cache ------------------------------------------------------------------------------------------


def test_vector_cache_rescreens_without_encoding_and_stores_no_text(hash_settings: Settings,
                                                                    tmp_path: Path) -> None:
    cache_path = tmp_path / "vectors.sqlite"
    s = hash_settings.model_copy(update={"vector_cache": cache_path})
    cvs = make_cvs(30, seed=6)
    plain = hash_matcher(hash_settings)
    cached = cached_hash_matcher(s)
    cache: SegmentVectorCache = cached.encoder.cache  # type: ignore[attr-defined]
    for clause in (13, 9):
        want = rank(screen_rows(plain, profile_vacancy(plain, vacancy_text(clause)), cvs))
        before = cache.misses
        got = rank(screen_rows(cached, profile_vacancy(cached, vacancy_text(clause)), cvs))
        assert got == want
        if clause == 9:  # the second vacancy: the pool's segments are all in the cache already
            assert cache.misses - before <= 40  # only the new vacancy's own segments
    assert len(cache) > 100 and cache.hits > 300
    raw = cache_path.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("vectors.sqlite*"))
    for _, text in cvs[:10]:
        for word in {w for w in text.split() if len(w) > 6}:
            assert word.encode("utf-8") not in raw, word
    assert b"+7 701" not in raw


# --- rank-vacancies --------------------------------------------------------------------------------------------


def test_rank_vacancies_uses_the_screening_rows(hm: Matcher) -> None:
    cv = make_cvs(1, seed=7)[0][1]
    vacancies = [(f"v{c}", vacancy_text(c)) for c in (9, 11, 13, 15)] + [("blank", "  ")]
    res = rank_vacancies(hm, cv, vacancies)
    assert [v.rank for v in res.vacancies] == [1, 2, 3, 4, 5]
    assert res.vacancies[-1].id == "blank" and res.vacancies[-1].error.startswith("empty: ")
    for v in res.vacancies[:-1]:
        row = screen(hm, dict(vacancies)[v.id], [("me", cv)]).cvs[0]
        assert (v.fit, v.row.reasons) == (row.fit, row.reasons)
    fits = [v.fit for v in res.vacancies[:-1]]
    assert fits == sorted(fits, reverse=True) or not res.cv_in_scope


def test_rank_vacancies_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "vacancies"
    folder.mkdir()
    for c in (9, 13):
        (folder / f"v{c}.txt").write_text(vacancy_text(c), encoding="utf-8")
    (tmp_path / "cv.txt").write_text(make_cvs(1)[0][1], encoding="utf-8")
    monkeypatch.setenv("MATCHER_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setattr("matcher.cli.screening.default_matcher", hash_matcher)  # the hashing encoder
    assert main(["rank-vacancies", str(tmp_path / "cv.txt"), str(folder), "--out", str(tmp_path / "r.csv")]) == 0
    rows = read_export(tmp_path / "r.csv")
    assert [r["id"] for r in rows] and {r["id"] for r in rows} == {"v9.txt", "v13.txt"}
    assert list(rows[0]) == list(COLUMNS)


def test_screened_cv_rows_round_trip() -> None:
    row = ScreenedCV(id="a", rank=1, fit=0.5, occupation_score=0.4, required_covered=1, required_total=2,
                     sbsh_level=4, reasons=["x", "y"])
    assert ScreenedCV.model_validate_json(row.model_dump_json()) == row and row.error is None


def test_a_cv_whose_title_names_the_vacancys_job_says_so_in_its_reasons(hm: Matcher) -> None:
    profile = profile_vacancy(hm, vacancy_text(13))
    named = "Социальный работник\nОпыт работы: 2019 - 2024, центр социального обслуживания на дому."
    plain = "Опыт работы: 2019 - 2024, центр социального обслуживания на дому."
    rows = {r.id: r for r in screen_rows(hm, profile, [("named", named), ("plain", plain)])}
    assert "its title names this job: 'Социальный работник'" in rows["named"].reasons
    assert not any(r.startswith("its title names") for r in rows["plain"].reasons)
