"""The screening page (``/screen``) in a real headless Chromium against the real app under uvicorn.

An employment centre's officer enters the API key, pastes a vacancy, chooses CV files (TXT, DOCX, PDF and one
broken file), watches the progress, reads the ranked table, sorts it, switches the language and downloads the CSV
and the XLSX: the CSV is byte for byte the one ``matcher screen`` writes for the same folder, and the table shows
its rows. Labels, the alert, contrast, no console errors and nothing asked outside the server are checked as on
the job seeker's page (``test_browser.py``, whose helpers this reuses). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import API_KEY, UVICORN_APP, cv_pdf, make_docx, server_process, shared_matcher
from test_browser import (
    A11Y_SMOKE,
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CONTRAST,
    READY_WAIT_S,
    Watch,
    _unavailable,
    assert_clean,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "screening"))
from screen_helpers import make_cvs, vacancy_text  # noqa: E402

from matcher.cli.screening import load_pool, screen_to_file  # noqa: E402
from matcher.engine.screening import read_export  # noqa: E402

pytestmark = pytest.mark.slow

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

RESULT_WAIT_MS = 600_000


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if sync_playwright is None:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set MATCHER_CHROMIUM)")
    with server_process(UVICORN_APP, ARTIFACTS / "server-screen.log", READY_WAIT_S,
                        env={"MATCHER_API_KEY": API_KEY, "MATCHER_JOB_CHUNK": "3"}) as (base, _):
        yield base + "/"


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Page]:
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            _unavailable(f"Chromium at {CHROMIUM} does not start: {exc}")
        context = b.new_context(accept_downloads=True, locale="en-US", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        b.close()


@pytest.fixture(scope="module")
def cv_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("screen-page") / "cvs"
    folder.mkdir()
    cvs = make_cvs(5, seed=21)
    for cv_id, text in cvs[:3]:
        (folder / f"{cv_id}.txt").write_text(text, encoding="utf-8")
    for cv_id, text in cvs[3:]:
        (folder / f"{cv_id}.docx").write_bytes(make_docx(text.splitlines()))
    (folder / "social-worker.pdf").write_bytes(cv_pdf())
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not a pdf at all")
    return folder


def table_rows(page: Page) -> list[list[str]]:
    return page.eval_on_selector_all("#results-rows tr", "rows => rows.map(r => [...r.cells].map(c => "
                                     "c.firstChild ? c.firstChild.textContent.trim() : ''))")


def test_screening_page_end_to_end(server: str, page: Page, cv_folder: Path, tmp_path: Path) -> None:
    watch = Watch(page, server)
    page.goto(server + "screen")
    expect(page.locator("h1")).to_have_text("Screen CVs against a vacancy")
    assert page.evaluate(A11Y_SMOKE) == []
    # errors reach the alert
    page.click("#submit-btn")
    expect(page.locator("#error-box")).to_contain_text("Enter the API key")
    page.fill("#key-input", API_KEY + "-wrong")
    page.fill("#vacancy-input", vacancy_text(13))
    files = sorted(cv_folder.iterdir())
    page.set_input_files("#cv-files", [str(p) for p in files])
    expect(page.locator("#cvs-chosen")).to_have_text(f"{len(files)} CV files chosen")
    page.click("#submit-btn")
    expect(page.locator("#error-box")).to_contain_text("The API key is not valid")
    # Chromium logs the refused request itself; that one is expected, nothing else is
    assert all("status of 401" in e for e in watch.errors), watch.errors
    watch.errors.clear()
    # the real run
    page.fill("#key-input", API_KEY)
    page.click("#submit-btn")
    expect(page.locator("#progress-box")).to_be_visible()
    expect(page.locator("#results-body")).to_be_visible(timeout=RESULT_WAIT_MS)
    expect(page.locator("#progress-text")).to_have_text(f"All {len(files)} CVs screened.")
    shot(page, "screen-en")
    rows = table_rows(page)
    assert len(rows) == len(files)
    assert [r[0] for r in rows] == [str(n) for n in range(1, len(files) + 1)]
    assert rows[-1][1] == "broken.pdf"

    # the download is the CLI's CSV for the same folder, and the table shows its rows
    with page.expect_download() as dl:
        page.click("#download-csv")
    got = tmp_path / "page.csv"
    dl.value.save_as(got)
    m = shared_matcher()
    screen_to_file(m.s, vacancy_text(13), load_pool(cv_folder), tmp_path / "cli.csv", factory=lambda s: m)
    assert got.read_bytes() == (tmp_path / "cli.csv").read_bytes()
    records = read_export(got)
    assert [r[1] for r in rows] == [r["id"] for r in records]
    assert [r[2] for r in rows] == [f"{float(r['fit']):.4f}" for r in records]
    assert [r[4] for r in rows] == [f"{r['required_covered']} / {r['required_total']}" for r in records]
    with page.expect_download() as dl:
        page.click("#download-xlsx")
    from openpyxl import load_workbook

    xlsx = tmp_path / "page.xlsx"
    dl.value.save_as(xlsx)
    sheet = list(load_workbook(io.BytesIO(xlsx.read_bytes()), read_only=True).active.iter_rows(values_only=True))
    assert [row[1] for row in sheet[1:]] == [r["id"] for r in records]

    # sorting: by id, then back by rank
    page.click("button[data-sort='id']")
    expect(page.locator("th:has(button[data-sort='id'])")).to_have_attribute("aria-sort", "ascending")
    assert [r[1] for r in table_rows(page)] == sorted(r["id"] for r in records)
    page.click("button[data-sort='fit']")
    fits = [float(r[2]) for r in table_rows(page)]
    assert fits == sorted(fits, reverse=True)
    page.click("button[data-sort='rank']")
    assert [r[1] for r in table_rows(page)] == [r["id"] for r in records]

    # the languages
    page.click(".lang-btn[data-lang='ru']")
    expect(page.locator("h1")).to_have_text("Отбор резюме под вакансию")
    expect(page.locator("#download-csv")).to_have_text("Скачать CSV")
    page.click(".lang-btn[data-lang='kk']")
    expect(page.locator("h1")).to_have_text("Түйіндемелерді бос орынға іріктеу")
    assert page.evaluate("document.documentElement.lang") == "kk"
    shot(page, "screen-kk")
    contrast = page.evaluate(CONTRAST)
    assert contrast["checked"] > 20 and not contrast["bad"], contrast["bad"]
    page.click(".lang-btn[data-lang='en']")
    page.click("#forget-btn")
    expect(page.locator("#results-body")).to_be_hidden()
    assert_clean(watch)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
