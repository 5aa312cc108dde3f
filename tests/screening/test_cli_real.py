"""``matcher screen`` as a person runs it, on the real model: a folder of files to CSV in the API's order, and
Ctrl-C in the middle, then ``--resume``, giving the file an uninterrupted run gives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import API_KEY, make_app, make_docx
from screen_helpers import make_cvs, vacancy_text

from matcher.engine.screening import COLUMNS, read_export

pytestmark = pytest.mark.slow  # the real model, in child processes

MATCHER = str(Path(sys.executable).with_name("matcher"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MATCHER, *args], capture_output=True, text=True, timeout=900)


def test_folder_to_csv_in_the_apis_order(tmp_path: Path) -> None:
    cvs = make_cvs(6, seed=41)
    folder = tmp_path / "cvs"
    folder.mkdir()
    for cv_id, text in cvs[:3]:
        (folder / f"{cv_id}.txt").write_text(text, encoding="utf-8")
    for cv_id, text in cvs[3:]:
        (folder / f"{cv_id}.docx").write_bytes(make_docx(text.splitlines()))
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 broken")
    (tmp_path / "vacancy.txt").write_text(vacancy_text(13), encoding="utf-8")
    r = run("screen", str(tmp_path / "vacancy.txt"), str(folder), "--out", str(tmp_path / "out.csv"))
    assert r.returncode == 0, r.stderr
    assert "CVs ranked" in r.stderr and "CVs/s" in r.stderr
    rows = read_export(tmp_path / "out.csv")
    assert list(rows[0]) == list(COLUMNS) and len(rows) == 7
    assert rows[-1]["id"] == "scan.pdf" and rows[-1]["error"].startswith("pdf_corrupt: ")
    files = [("vacancy", ("vacancy.txt", vacancy_text(13).encode(), "text/plain"))]
    files += [("cvs", (p.name, p.read_bytes(), "application/octet-stream")) for p in sorted(folder.iterdir())]
    with TestClient(make_app(api_key=API_KEY)) as c:
        res = c.post("/v1/screen", files=files, headers={"X-API-Key": API_KEY}).json()
    assert [c["id"] for c in res["cvs"]] == [r["id"] for r in rows[:-1]]
    assert [f"{c['fit']}" for c in res["cvs"]] == [r["fit"] for r in rows[:-1]]
    assert [u["id"] for u in res["unreadable"]] == ["scan.pdf"]


def test_ctrl_c_then_resume(tmp_path: Path) -> None:
    cvs = make_cvs(40, seed=42)
    pool = tmp_path / "cvs.jsonl"
    pool.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in cvs),
                    encoding="utf-8")
    (tmp_path / "v.txt").write_text(vacancy_text(9), encoding="utf-8")
    out, full = tmp_path / "out.xlsx", tmp_path / "full.xlsx"
    journal = tmp_path / "out.xlsx.partial.jsonl"
    cmd = [MATCHER, "screen", str(tmp_path / "v.txt"), str(pool), "--out", str(out), "--batch", "4"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and len(journal.read_text(encoding="utf-8").splitlines()) >= 9:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGINT)  # Ctrl-C
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err and not out.exists()
    done = len(journal.read_text(encoding="utf-8").splitlines()) - 1
    assert 0 < done < 40
    r = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    assert f"{done} from the journal" in r.stderr
    r = subprocess.run([*cmd[:5], str(full)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    assert read_export(out) == read_export(full)
    ids = [row["id"] for row in read_export(out)]
    assert len(ids) == len(set(ids)) == 40
