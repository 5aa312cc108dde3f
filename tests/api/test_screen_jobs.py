"""Screening jobs (``/v1/screen/jobs``) and ``/v1/rank-vacancies``: keyed, bounded, progress, and the same rows and
CSV as ``matcher screen`` for the same CVs. Contract tests on the hashing encoder; one real-model run is slow."""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from helpers import API_KEY, cv_pdf, is_problem, make_docx, shared_matcher

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "screening"))
from screen_helpers import hash_matcher, make_cvs, vacancy_text  # noqa: E402

from api.app import create_app  # noqa: E402
from matcher.cli.screening import load_pool, screen_to_file  # noqa: E402
from matcher.config import Settings  # noqa: E402
from matcher.engine import Matcher  # noqa: E402
from matcher.engine.screening import COLUMNS, export_bytes, profile_vacancy, rank, rank_vacancies, screen_rows  # noqa: E402

KEY = {"X-API-Key": API_KEY}


@pytest.fixture(scope="module")
def hash_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(index_dir=tmp_path_factory.mktemp("jobs-hash-index"), api_key=API_KEY)


@pytest.fixture(scope="module")
def hm(hash_settings: Settings) -> Matcher:
    return hash_matcher(hash_settings)


def app_on(m: Matcher, **overrides: object) -> FastAPI:
    s = Settings(index_dir=m.s.index_dir, api_key=API_KEY, client_rate=0, client_budget=0, client_concurrency=0)
    return create_app(s.model_copy(update=overrides), matcher=m)


@pytest.fixture(scope="module")
def client(hm: Matcher) -> Iterator[TestClient]:
    with TestClient(app_on(hm, max_screen_cvs=20, job_chunk=8)) as c:
        yield c


def wait_done(c: TestClient, location: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        st = c.get(location, headers=KEY).json()
        seen.append(st["progress"]["done"])
        if st["status"] in ("done", "failed"):
            st["seen"] = seen
            return st
        time.sleep(0.05)
    pytest.fail(f"the job did not finish: {st}")


def json_body(cvs: list[tuple[str, str]], clause: int = 13) -> dict:
    return {"vacancy": vacancy_text(clause), "cvs": [{"id": i, "text": t} for i, t in cvs]}


def test_jobs_need_the_key(client: TestClient, hm: Matcher) -> None:
    assert is_problem(client.post("/v1/screen/jobs", json=json_body(make_cvs(2))), 401, "unauthorized")
    assert is_problem(client.get("/v1/screen/jobs/abc"), 401, "unauthorized")
    assert is_problem(client.delete("/v1/screen/jobs/abc"), 401, "unauthorized")
    with TestClient(app_on(hm, api_key=None)) as c:
        assert is_problem(c.post("/v1/screen/jobs", json=json_body(make_cvs(2)), headers=KEY), 403,
                          "screen_disabled")


def test_a_job_beyond_the_synchronous_limit(client: TestClient, hm: Matcher, tmp_path: Path) -> None:
    cvs = make_cvs(45, seed=11) + [("blank", "   ")]
    assert is_problem(client.post("/v1/screen", json=json_body(cvs), headers=KEY), 422, "too_many_cvs")
    r = client.post("/v1/screen/jobs", json=json_body(cvs), headers=KEY)
    assert r.status_code == 202, r.text
    st = r.json()
    assert st["status"] in ("queued", "running") and st["progress"]["total"] == 46
    assert r.headers["location"] == f"/v1/screen/jobs/{st['id']}"
    assert is_problem(client.get(f"{r.headers['location']}/result", headers=KEY), 409, "job_not_done")
    done = wait_done(client, r.headers["location"])
    assert done["status"] == "done" and done["progress"] == {**done["progress"], "done": 46, "fraction": 1.0}
    assert done["seen"] == sorted(done["seen"])  # progress only moves forward
    result = client.get(done["result"]["json"], headers=KEY).json()
    want = rank(screen_rows(hm, profile_vacancy(hm, vacancy_text(13)), cvs[:-1]))
    assert [r["id"] for r in result["rows"][:-1]] == [r.id for r in want]
    assert result["rows"][-1]["id"] == "blank" and result["rows"][-1]["error"].startswith("empty: ")
    # the same CSV as `matcher screen` on the same CVs
    (tmp_path / "cvs.jsonl").write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                                                for i, t in cvs), encoding="utf-8")
    screen_to_file(hm.s, vacancy_text(13), load_pool(tmp_path / "cvs.jsonl"), tmp_path / "cli.csv",
                   factory=lambda s: hm)
    csv_answer = client.get(done["result"]["csv"], headers=KEY)
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_answer.headers["content-disposition"]
    assert csv_answer.content == (tmp_path / "cli.csv").read_bytes()
    xlsx = client.get(done["result"]["xlsx"], headers=KEY)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(COLUMNS) and len(values) == 47
    assert [v[1] for v in values[1:]] == [r["id"] for r in result["rows"]]
    assert client.delete(r.headers["location"], headers=KEY).status_code == 204
    assert is_problem(client.get(r.headers["location"], headers=KEY), 404, "job_not_found")


def test_a_job_of_files_gives_the_cli_csv(client: TestClient, hm: Matcher, tmp_path: Path) -> None:
    cvs = make_cvs(4, seed=12)
    files = {f"{cvs[0][0]}.txt": cvs[0][1].encode(), f"{cvs[1][0]}.docx": make_docx(cvs[1][1].splitlines()),
             "social-worker.pdf": cv_pdf(), "broken.pdf": b"%PDF-1.4 not really", "empty.txt": b""}
    folder = tmp_path / "cvs"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (tmp_path / "vacancy.txt").write_text(vacancy_text(13), encoding="utf-8")
    parts = [("vacancy", ("vacancy.txt", vacancy_text(13).encode(), "text/plain"))]
    parts += [("cvs", (name, data, "application/octet-stream")) for name, data in sorted(files.items())]
    r = client.post("/v1/screen/jobs", files=parts, headers=KEY)
    assert r.status_code == 202, r.text
    done = wait_done(client, r.headers["location"])
    assert done["status"] == "done", done
    screen_to_file(hm.s, vacancy_text(13), load_pool(folder), tmp_path / "cli.csv", factory=lambda s: hm)
    assert client.get(done["result"]["csv"], headers=KEY).content == (tmp_path / "cli.csv").read_bytes()
    rows = client.get(done["result"]["json"], headers=KEY).json()["rows"]
    assert {x["id"]: x["error"].split(":")[0] for x in rows if x["error"]} == {"broken.pdf": "pdf_corrupt",
                                                                            "empty.txt": "empty"}


def test_job_limits_and_the_bounded_queue(hm: Matcher) -> None:
    with TestClient(app_on(hm, max_job_cvs=60, max_jobs=1, max_job_bytes=400_000, job_chunk=2)) as c:
        r = c.post("/v1/screen/jobs", json=json_body(make_cvs(61)), headers=KEY)
        assert is_problem(r, 422, "too_many_cvs")
        body = json_body(make_cvs(60, seed=13))
        first = c.post("/v1/screen/jobs", json=body, headers=KEY)
        assert first.status_code == 202
        second = c.post("/v1/screen/jobs", json=body, headers=KEY)
        assert is_problem(second, 429, "busy") and second.headers["retry-after"]
        assert wait_done(c, first.headers["location"])["status"] == "done"
        small = c.post("/v1/screen/jobs", json=json_body(make_cvs(2)), headers=KEY)
        assert small.status_code == 202 and wait_done(c, small.headers["location"])["status"] == "done"
        big = {"vacancy": vacancy_text(13), "cvs": [{"text": "x" * 100_000}] * 5}
        assert is_problem(c.post("/v1/screen/jobs", json=big, headers=KEY), 413, "too_large")
        r = c.post("/v1/screen/jobs", json={"vacancy": "", "cvs": [{"text": "a b c"}]}, headers=KEY)
        assert is_problem(r, 422, "empty") and r.json()["detail"].startswith("The vacancy: ")
        r = c.post("/v1/screen/jobs", json={"vacancy": "123 456", "cvs": [{"text": "a b c"}]}, headers=KEY)
        failed = wait_done(c, r.headers["location"])
        assert failed["status"] == "failed" and failed["error"]["code"] == "no_words"


def test_rank_vacancies_endpoint(client: TestClient, hm: Matcher) -> None:
    cv = make_cvs(1, seed=14)[0][1]
    vacancies = [{"id": f"v{c}", "text": vacancy_text(c)} for c in (9, 11, 13)]
    r = client.post("/v1/rank-vacancies", json={"cv": cv, "vacancies": vacancies})
    assert r.status_code == 200, r.text
    want = rank_vacancies(hm, cv, [(v["id"], v["text"]) for v in vacancies])
    assert r.json() == json.loads(want.model_dump_json())
    files = [("cv", ("cv.txt", cv.encode(), "text/plain"))]
    files += [("vacancies", (f"{v['id']}.txt", v["text"].encode(), "text/plain")) for v in vacancies]
    r = client.post("/v1/rank-vacancies", files=files)
    assert [v["id"] for v in r.json()["vacancies"]] == [v.id + ".txt" for v in want.vacancies]
    assert is_problem(client.post("/v1/rank-vacancies", json={"cv": cv, "vacancies": vacancies * 7}), 422,
                      "too_many_vacancies")
    assert is_problem(client.post("/v1/rank-vacancies", json={"cv": " ", "vacancies": vacancies}), 422, "empty")


def test_export_bytes_equals_the_job_rows(client: TestClient, hm: Matcher) -> None:
    cvs = make_cvs(5, seed=15)
    r = client.post("/v1/screen/jobs", json=json_body(cvs, clause=11), headers=KEY)
    done = wait_done(client, r.headers["location"])
    rows = rank(screen_rows(hm, profile_vacancy(hm, vacancy_text(11)), cvs))
    assert client.get(done["result"]["csv"], headers=KEY).content == export_bytes(rows, "csv")


@pytest.mark.slow
def test_real_model_job_matches_the_cli(tmp_path: Path) -> None:
    m = shared_matcher()
    cvs = make_cvs(6, seed=16)
    folder = tmp_path / "cvs"
    folder.mkdir()
    for cv_id, text in cvs[:3]:
        (folder / f"{cv_id}.txt").write_text(text, encoding="utf-8")
    for cv_id, text in cvs[3:]:
        (folder / f"{cv_id}.docx").write_bytes(make_docx(text.splitlines()))
    (folder / "social-worker.pdf").write_bytes(cv_pdf())
    parts = [("vacancy", ("v.txt", vacancy_text(13).encode(), "text/plain"))]
    parts += [("cvs", (p.name, p.read_bytes(), "application/octet-stream")) for p in sorted(folder.iterdir())]
    with TestClient(create_app(Settings(api_key=API_KEY), matcher=m)) as c:
        r = c.post("/v1/screen/jobs", files=parts, headers=KEY)
        done = wait_done(c, r.headers["location"], timeout=900)
        job_csv = c.get(done["result"]["csv"], headers=KEY).content
    screen_to_file(m.s, vacancy_text(13), load_pool(folder), tmp_path / "cli.csv", factory=lambda s: m)
    assert job_csv == (tmp_path / "cli.csv").read_bytes()
