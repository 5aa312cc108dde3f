"""The web page (api/static/) in a real headless Chromium against the real app under uvicorn.

A person uploads a Russian PDF CV (by keyboard and file chooser on a desktop, by drag-and-drop on a phone), reads
the result, opens the details of another occupation and switches the language; errors (empty form, unreadable file,
busy server, network failure) reach an accessible alert. Along the way: every form control has a label, the result
region is aria-live, focus is visible, text contrast is >= 4.5:1 in the light and the dark scheme, nothing
overflows at 360 px, reduced motion is respected, the page asks for nothing outside this server and logs no
console errors. Screenshots are saved in tests/artifacts/.

Needs Debian's ``chromium`` (``/usr/bin/chromium``, or ``MATCHER_CHROMIUM``) and the ``playwright`` package (its
bundled browsers are not used). Without them the test is skipped, unless ``MATCHER_REQUIRE_BROWSER=1`` (set by
``.ci/run``): then it fails.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import wait_until_ready

ROOT = Path(__file__).resolve().parents[2]
CV_PDF = ROOT / "tests" / "fixtures" / "cv_ru.pdf"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path(os.environ.get("MATCHER_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("MATCHER_REQUIRE_BROWSER", "") not in ("", "0", "false", "no")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
READY_WAIT_S = 600  # a guard against a hung server, not a timing assertion (a first run builds the index)
RESULT_WAIT_MS = 180_000

EXPECTED_CLAUSE = "13"  # the fixture is a social worker's CV: card 13, "Әлеуметтік жұмыскер", SBSh 4
EXPECTED_CODE = "3412-0-008"

pytestmark = pytest.mark.slow


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (MATCHER_REQUIRE_BROWSER is set, so the browser test must run)")
    pytest.skip(reason)


try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


# --- the real server ---------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if sync_playwright is None:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set MATCHER_CHROMIUM)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    log_path = ARTIFACTS / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(proc, base + "readyz", log_path, READY_WAIT_S)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser(server: str):
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            _unavailable(f"Chromium at {CHROMIUM} does not start: {exc}")
        yield b
        b.close()


# --- page helpers ------------------------------------------------------------------------------------------

class Watch:
    """Console errors, uncaught exceptions, requests that leave the server, and /v1/match calls of one page."""

    def __init__(self, page: Page, base: str) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.match_calls = 0
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

        def on_request(req) -> None:  # noqa: ANN001 - playwright Request
            if not (req.url.startswith(base) or req.url.startswith("data:") or req.url.startswith("blob:")):
                self.outside.append(req.url)
            if req.url.startswith(base + "v1/match"):
                self.match_calls += 1
        page.on("request", on_request)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


A11Y_SMOKE = """() => {
  const problems = [];
  const named = (el) => (el.labels && el.labels.length && [...el.labels].some(l => l.textContent.trim()))
      || (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id => id && document.getElementById(id)
          && document.getElementById(id).textContent.trim());
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    if (!named(el)) problems.push('no label: ' + (el.id || el.name || el.outerHTML.slice(0, 60)));
  }
  for (const el of document.querySelectorAll('button, a[href], summary')) {
    if (!(el.textContent.trim() || el.getAttribute('aria-label'))) {
      problems.push('no name: ' + el.outerHTML.slice(0, 60));
    }
  }
  for (const el of document.querySelectorAll('[role="meter"]')) {
    const now = Number(el.getAttribute('aria-valuenow'));
    if (!(now >= 0 && now <= 100) || !el.getAttribute('aria-valuetext') || !named(el)) {
      problems.push('meter without value or name: ' + el.outerHTML.slice(0, 80));
    }
  }
  const results = document.getElementById('results');
  if (!results || results.getAttribute('aria-live') !== 'polite') problems.push('result region is not aria-live');
  const alert = document.getElementById('error-box');
  if (!alert || alert.getAttribute('role') !== 'alert') problems.push('no role=alert for errors');
  if (!['kk', 'ru', 'en'].includes(document.documentElement.lang)) problems.push('html lang not set');
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (dup.length) problems.push('duplicate ids: ' + dup.join(', '));
  return problems;
}"""

# Contrast of every visible element that has its own text, against the first opaque background behind it.
CONTRAST = """() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const bgOf = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0.5) return c;
    }
    return parse(getComputedStyle(document.documentElement).backgroundColor) || [255, 255, 255, 1];
  };
  const bad = [];
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (!el.getClientRects().length || el.closest('.visually-hidden')) continue;
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden') continue;
    const [l1, l2] = [lum(parse(cs.color)), lum(bgOf(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    checked++;
    if (ratio < 4.5) {
      bad.push(ratio.toFixed(2) + ' ' + el.tagName.toLowerCase() + '.' + el.className + ': '
               + el.textContent.trim().slice(0, 40));
    }
  }
  return {checked, bad};
}"""


def assert_clean(watch: Watch) -> None:
    assert not watch.errors, "console errors:\n" + "\n".join(watch.errors)
    assert not watch.outside, f"the page asked for something outside this server: {watch.outside}"


def assert_a11y(page: Page) -> None:
    assert page.evaluate(A11Y_SMOKE) == []
    contrast = page.evaluate(CONTRAST)
    assert contrast["checked"] > 10
    assert contrast["bad"] == [], "text below 4.5:1 contrast:\n" + "\n".join(contrast["bad"])


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus (keyboard-only use)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} cannot be reached with the Tab key")


def focus_ring(page: Page, selector: str | None = None) -> str:
    """The outline that shows the keyboard focus (on the element, or on ``selector`` when that draws it)."""
    return page.evaluate("""(s) => { const el = s ? document.querySelector(s) : document.activeElement;
        const cs = getComputedStyle(el); return cs.outlineStyle + ' ' + cs.outlineWidth; }""", selector)


def texts(page: Page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


# --- the test ----------------------------------------------------------------------------------------------

def test_upload_cv_read_result_switch_language(server: str, browser) -> None:  # noqa: ANN001 - playwright Browser
    # A Russian-speaking person on a desktop: the page starts in Russian (navigator.languages).
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, server)
    page.goto(server)
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Какая профессия подходит вашему опыту?")
    expect(page.locator(".privacy")).to_contain_text("Ваш текст не сохраняется")
    assert_a11y(page)

    # Keyboard only: the skip link comes first, then the file input opens the file chooser.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert focus_ring(page).startswith("solid")
    tab_to(page, "#file-input")
    assert focus_ring(page, ".file-label").startswith("solid"), "no visible focus on the file button"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(CV_PDF)
    expect(page.locator("#file-name")).to_contain_text("cv_ru.pdf")

    # The request is held until the busy state has been seen: the button is disabled and aria-busy meanwhile.
    held = []
    page.route("**/v1/match", lambda route: held.append(route))
    tab_to(page, "#submit-btn")
    assert focus_ring(page).startswith("solid")
    page.keyboard.press("Enter")
    expect(page.locator("#submit-btn")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#submit-btn")).to_be_disabled()
    expect(page.locator("#submit-btn")).to_contain_text("Анализируем")
    for _ in range(400):  # the request reaches the route handler while Playwright waits
        if held:
            break
        page.wait_for_timeout(25)
    assert held, "the page sent no request"
    held[0].continue_()
    page.unroute("**/v1/match")

    # The result, in Russian.
    first = page.locator("#occupation-list > li").first
    expect(first).to_be_visible(timeout=RESULT_WAIT_MS)
    expect(page.locator("#submit-btn")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#submit-btn")).to_be_enabled()
    assert page.evaluate("document.activeElement.id") == "results-title", "focus should move to the result"
    assert first.locator("button").get_attribute("data-clause") == EXPECTED_CLAUSE
    expect(first.locator(".occ-name")).to_contain_text("Социальный работник")
    expect(first.locator(".occ-name")).to_contain_text("Лучшее совпадение")
    expect(first).to_contain_text(EXPECTED_CODE)
    expect(first).to_contain_text("Ваш уровень ОРК: 4")
    meter = first.locator('[role="meter"]')
    score = int(meter.get_attribute("aria-valuenow"))
    assert 0 < score <= 100
    expect(first.locator(".score-value")).to_contain_text(f"{score}")  # the score as text, not only as a bar
    assert len(texts(page, "#occupation-list > li")) == 3
    expect(page.locator("#results-summary")).to_contain_text("Язык текста: русский")
    expect(page.locator("#results-summary")).to_contain_text("Образование: техническое и профессиональное")

    expect(page.locator("#details-title")).to_have_text("Подробно: Социальный работник")
    expect(page.locator("#covered-title")).to_contain_text("Вы уже умеете и знаете")
    covered = page.locator("#covered .stmt-covered")
    assert covered.count() >= 5
    quotes = texts(page, "#covered blockquote")
    assert all(quotes), "every covered statement quotes the CV"
    assert any("индивидуального плана работы" in q for q in quotes), quotes
    assert page.locator("#covered blockquote").first.get_attribute("lang") == "ru"
    expect(page.locator("#covered figcaption").first).to_have_text("Из вашего резюме:")
    ru_statement = page.locator("#covered .stmt-text").first.inner_text()

    expect(page.locator("#missing-title")).to_contain_text("Что изучить дальше")
    lf_titles = texts(page, "#missing .lf-title")
    assert lf_titles and all(t.startswith("Трудовая функция") for t in lf_titles), lf_titles
    assert "обязательная" in lf_titles[0]
    numbers = [int(re.search(r"\d+", t).group()) for t in lf_titles]
    assert numbers == sorted(numbers), "labour functions in order, mandatory first"
    skills = texts(page, "#missing .skill-title")
    assert skills and all(s.startswith("Навык") for s in skills), skills
    ru_missing = page.locator("#missing .stmt-text").first.inner_text()

    expect(page.locator("#next-title")).to_have_text("Следующий уровень")
    expect(page.locator("#next-level .next-name")).to_have_text("Социальный работник кейс-менеджер")
    expect(page.locator("#next-level")).to_contain_text("Новых требований:")
    summary = page.locator("#next-level summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#next-level details")).to_have_attribute("open", "")
    expect(page.locator("#next-level details .stmt-missing").first).to_be_visible()

    more = page.locator("#covered .more")
    if more.count():
        more.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#covered .more")).to_have_attribute("aria-expanded", "true")
    assert_a11y(page)
    shot(page, "desktop-ru")

    # Another occupation's details, by keyboard; focus follows to its details.
    second = page.locator("#occupation-list > li").nth(1)
    second_name = second.locator(".occ-name").inner_text()
    second.locator("button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#details-title")).to_have_text(f"Подробно: {second_name}")
    assert page.evaluate("document.activeElement.id") == "details-title"
    expect(second).to_have_attribute("aria-current", "true")
    first.locator("button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#details-title")).to_have_text("Подробно: Социальный работник")

    # Kazakh, by keyboard: re-rendered from the same result, no new request.
    calls = watch.match_calls
    page.locator('.lang-btn[data-lang="kk"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator('.lang-btn[data-lang="kk"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator("h1")).to_have_text("Тәжірибеңізге қай кәсіп сәйкес келеді?")
    expect(page.locator("#covered-title")).to_contain_text("Сіз қазірдің өзінде меңгергендер")
    expect(page.locator("#missing-title")).to_contain_text("Әрі қарай не үйрену керек")
    expect(page.locator("#next-title")).to_have_text("Келесі деңгей")
    expect(first).to_contain_text("СБШ деңгейі")
    expect(first.locator(".occ-name")).to_contain_text("Әлеуметтік жұмыскер")
    assert all(t.startswith("Еңбек функциясы") for t in texts(page, "#missing .lf-title"))
    assert all(s.startswith("Дағды") for s in texts(page, "#missing .skill-title"))
    assert page.locator("#covered .stmt-text").first.inner_text() != ru_statement
    assert page.locator("#missing .stmt-text").first.inner_text() != ru_missing
    expect(page.locator("#covered figcaption").first).to_have_text("Түйіндемеңізден:")
    assert page.evaluate("localStorage.getItem('matcher.lang')") == "kk"
    assert_a11y(page)
    shot(page, "desktop-kk")

    # English.
    page.locator('.lang-btn[data-lang="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#covered-title")).to_contain_text("You already cover")
    expect(page.locator("#missing-title")).to_contain_text("What to learn next")
    expect(page.locator("#details-title")).to_have_text("Details: Social worker")
    expect(first).to_contain_text("Your SBSh level: 4")
    assert all(t.startswith("Labour function") for t in texts(page, "#missing .lf-title"))
    assert all(s.startswith("Skill") for s in texts(page, "#missing .skill-title"))
    assert watch.match_calls == calls, "switching the language must not send the text again"
    shot(page, "desktop-en")

    # The choice is remembered: after a reload the page is in English although the browser prefers Russian.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_clean(watch)
    context.close()


def test_phone_drag_and_drop_and_errors(server: str, browser) -> None:  # noqa: ANN001 - playwright Browser
    # A Kazakh-speaking person on a 360 px phone: the page starts in Kazakh.
    context = browser.new_context(locale="kk-KZ", viewport={"width": 360, "height": 780}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    watch = Watch(page, server)
    page.goto(server)
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator("#form-title")).to_have_text("Түйіндеме немесе бос орын")

    # An empty form: an alert, focus on the text box; no request.
    page.locator("#submit-btn").click()
    expect(page.locator('[role="alert"]')).to_have_text("Түйіндеменің мәтінін қойыңыз немесе файл таңдаңыз.")
    assert page.evaluate("document.activeElement.id") == "text-input"
    assert watch.match_calls == 0

    # The file dropped on the drop zone.
    data = base64.b64encode(CV_PDF.read_bytes()).decode()
    page.evaluate("""(b64) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'cv_ru.pdf', {type: 'application/pdf'}));
        const zone = document.getElementById('dropzone');
        for (const type of ['dragenter', 'dragover', 'drop']) {
            zone.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
        }
    }""", data)
    expect(page.locator("#file-name")).to_contain_text("cv_ru.pdf")
    expect(page.locator('[role="alert"]')).to_be_empty()
    page.locator("#submit-btn").click()
    first = page.locator("#occupation-list > li").first
    expect(first).to_be_visible(timeout=RESULT_WAIT_MS)
    assert first.locator("button").get_attribute("data-clause") == EXPECTED_CLAUSE
    expect(first.locator(".occ-name")).to_contain_text("Әлеуметтік жұмыскер")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a 360 px screen"
    assert_a11y(page)
    shot(page, "phone-kk")
    page.locator('.lang-btn[data-lang="ru"]').click()
    expect(page.locator("#missing-title")).to_contain_text("Что изучить дальше")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    shot(page, "phone-ru")
    assert_clean(watch)

    # Errors from the real server reach the alert: a file that is not a PDF although it says so.
    page.locator("#file-input").set_input_files(
        {"name": "cv.pdf", "mimeType": "application/pdf", "buffer": b"this is not a PDF at all\x00\x01\x02"})
    page.locator("#submit-btn").click()
    alert = page.locator('[role="alert"]')
    expect(alert).not_to_be_empty(timeout=RESULT_WAIT_MS)
    expect(page.locator("#submit-btn")).to_be_enabled()
    assert alert.locator("p").inner_text().strip(), "the server's detail is shown"
    shot(page, "phone-ru-error")

    # A busy server (429 with Retry-After) and a network failure, simulated in the browser.
    page.locator("#file-clear").click()
    page.locator("#text-input").fill("Социальный работник, консультирование семей в трудной жизненной ситуации.")
    page.route("**/v1/match", lambda route: route.fulfill(
        status=429, headers={"Retry-After": "17", "Content-Type": "application/problem+json"},
        body=json.dumps({"type": "urn:x:busy", "title": "Too Many Requests", "status": 429, "code": "busy",
                         "detail": "The service is busy."})))
    page.locator("#submit-btn").click()
    expect(alert).to_contain_text("17")
    expect(alert).to_contain_text("Сервис сейчас загружен")
    page.unroute("**/v1/match")
    page.route("**/v1/match", lambda route: route.abort("connectionrefused"))
    page.locator("#submit-btn").click()
    expect(alert).to_contain_text("Не удалось связаться с сервером")
    page.unroute("**/v1/match")
    # Those three requests failed on purpose; the browser reports each one as a console error.
    expected = [e for e in watch.errors if "Failed to load resource" in e]
    assert len(expected) == len(watch.errors) == 3, watch.errors
    assert not watch.outside
    context.close()


def test_pasted_text_dark_scheme_reduced_motion(server: str, browser) -> None:  # noqa: ANN001 - playwright Browser
    # Pasted text (the JSON request) in the dark scheme with reduced motion, an English browser.
    context = browser.new_context(locale="en-GB", viewport={"width": 1024, "height": 800}, color_scheme="dark",
                                  reduced_motion="reduce")
    page = context.new_page()
    watch = Watch(page, server)
    page.goto(server)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#text-input").fill((ROOT / "examples" / "cv_ru_interpreter.txt").read_text(encoding="utf-8"))
    page.locator("#top-input").select_option("5")
    page.locator("#submit-btn").click()
    first = page.locator("#occupation-list > li").first
    expect(first).to_be_visible(timeout=RESULT_WAIT_MS)
    assert page.locator("#occupation-list > li").count() == 5
    assert first.locator("button").get_attribute("data-clause") == "11"  # sign-language specialist
    expect(page.locator("#results-summary")).to_contain_text("Language of the text: Russian")
    expect(page.locator("#next-level")).to_contain_text("This is the highest level of this career path")
    assert_a11y(page)  # contrast in the dark scheme
    duration = page.evaluate("getComputedStyle(document.querySelector('.meter-fill')).transitionDuration")
    seconds = float(duration[:-2]) / 1000 if duration.endswith("ms") else float(duration[:-1])
    assert seconds < 0.05, f"a transition of {duration} with prefers-reduced-motion"
    shot(page, "desktop-en-dark")
    assert_clean(watch)
    context.close()


PYTHON_DEVELOPER_CV = """Senior Python developer, 7 years of experience.
Built REST APIs with FastAPI and Django, PostgreSQL, Redis and Celery.
Deployed services on Kubernetes with Docker, Terraform and GitLab CI.
Wrote unit tests with pytest, reviewed code and mentored two junior developers.
Skills: Python, SQL, asyncio, AWS, Linux, Git.
Education: BSc in Computer Science, Nazarbayev University, 2016.
"""


def test_a_text_outside_the_standard_is_said_to_be_outside(server: str, browser) -> None:  # noqa: ANN001
    """Issue 11: a CV of another profession gets no level, card or learning plan, and a plain statement that it
    fits no occupation of this standard, in the page's language. The page runs under its Content-Security-Policy
    (a violation would be a console error)."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1024, "height": 800})
    page = context.new_page()
    watch = Watch(page, server)
    response = page.goto(server)
    assert response.headers["content-security-policy"] == ("default-src 'self'; frame-ancestors 'none'; "
                                                           "object-src 'none'; base-uri 'none'")
    page.locator("#text-input").fill(PYTHON_DEVELOPER_CV)
    with page.expect_response("**/v1/match") as answer:
        page.locator("#submit-btn").click()
    result = answer.value.json()
    assert result["in_scope"] is False, "the scope model must flag a Python developer's CV"
    scope = page.locator("#out-of-scope")
    expect(scope).to_be_visible(timeout=RESULT_WAIT_MS)
    expect(page.locator("#results-title")).to_have_text("No occupation of this standard fits your text")
    expect(scope).to_contain_text("does not match any occupation of the standard Q88100061")
    expect(scope).to_contain_text("no level and no learning plan")
    assert page.evaluate("document.activeElement.id") == "results-title"

    def nothing_as_if_it_fitted() -> None:
        assert page.locator("#occupation-list > li").count() == 0
        expect(page.locator("#occupation-list")).to_be_hidden()
        for selector in ("#details-title", "#covered", "#missing", "#next-level", '[role="meter"]', ".badge"):
            assert page.locator(selector).count() == 0, selector

    nothing_as_if_it_fitted()
    body = page.locator("#results").inner_text()
    assert "SBSh" not in body and "What to learn next" not in body
    assert_a11y(page)
    shot(page, "out-of-scope-en")

    page.locator('.lang-btn[data-lang="ru"]').click()
    expect(page.locator("#results-title")).to_have_text("Ни одна профессия этого стандарта не подходит к вашему тексту")
    expect(scope).to_contain_text("не соответствует ни одной профессии стандарта Q88100061")
    expect(scope).to_contain_text("ни уровень, ни план обучения")
    nothing_as_if_it_fitted()
    assert "ОРК" not in page.locator("#results").inner_text()
    shot(page, "out-of-scope-ru")

    page.locator('.lang-btn[data-lang="kk"]').click()
    expect(page.locator("#results-title")).to_have_text("Мәтініңізге бұл стандарттың бірде-бір кәсібі сәйкес келмейді")
    expect(scope).to_contain_text("ешбір кәсібіне сәйкес келмейді")
    nothing_as_if_it_fitted()
    assert "СБШ" not in page.locator("#results").inner_text()
    assert_a11y(page)
    shot(page, "out-of-scope-kk")

    # an in-scope text afterwards is shown in full again
    page.locator('.lang-btn[data-lang="en"]').click()
    page.locator("#text-input").fill((ROOT / "examples" / "cv_ru_interpreter.txt").read_text(encoding="utf-8"))
    page.locator("#submit-btn").click()
    expect(page.locator("#occupation-list > li").first).to_be_visible(timeout=RESULT_WAIT_MS)
    expect(scope).to_be_hidden()
    expect(page.locator("#results-title")).to_have_text("Closest occupations")
    expect(page.locator("#missing-title")).to_contain_text("What to learn next")
    assert_clean(watch)
    context.close()


def test_the_docs_page_runs_under_its_policy(server: str, browser) -> None:  # noqa: ANN001
    """The docs page's own CSP lets Swagger UI run (its script renders the page: no violation, no console error).
    (Swagger UI 4.15.5, what the swagger-ui-bundle package ships, cannot render an OpenAPI 3.1 document, which is
    what FastAPI writes: it says so on the page. That needs Swagger UI 5, a newer package.)"""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    watch = Watch(page, server)
    response = page.goto(server + "docs")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp and "script-src" not in csp
    expect(page.locator("#swagger-ui .swagger-ui")).to_be_attached(timeout=60_000)  # rendered by its script
    expect(page.locator("#swagger-ui")).not_to_be_empty()
    page.wait_for_load_state("networkidle")
    assert_clean(watch)
    context.close()
