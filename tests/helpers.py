"""Test helpers: the one place that builds test documents (PDF, DOCX, zip archives), example texts, and app
factories on the shared real ``Matcher`` (``shared_matcher``, also behind the ``matcher`` fixture of conftest.py).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest
from fastapi import FastAPI

from api.app import create_app
from matcher.config import Settings
from matcher.engine import Matcher

ROOT = Path(__file__).resolve().parent.parent
CV_RU_PDF = ROOT / "tests" / "fixtures" / "cv_ru.pdf"  # a social worker (card 13, SBSh 4), Russian, 2 pages
API_KEY = "test-key-0123456789"
# the app under uvicorn, as the browser tests run it (server_process adds --host and --port)
UVICORN_APP = ["uvicorn", "api.app:create_app", "--factory", "--log-level", "warning", "--no-access-log"]

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}

RU_CV = (ROOT / "examples" / "cv_ru_interpreter.txt").read_text(encoding="utf-8")  # sign language, card 11
EN_CV = (ROOT / "examples" / "cv_en_director.txt").read_text(encoding="utf-8")
KK_CV = (ROOT / "examples" / "cv_kk_home_care.txt").read_text(encoding="utf-8")

RU_VACANCY = """Вакансия: сурдопереводчик (специалист по жестовому языку)
Областное общество глухих, г. Караганда.
Обязанности: синхронный перевод с русского и казахского языков на жестовый язык и обратно, дактилирование,
сопровождение глухих граждан в государственные органы, больницы и суд.
Требования: владение жестовым языком и дактильной азбукой, знание этики переводчика, опыт работы от 1 года.
"""


@lru_cache(maxsize=1)
def shared_matcher() -> Matcher:
    return Matcher.create(Settings())


def make_app(**settings: object) -> FastAPI:
    """An app on the shared matcher, with settings overridden (limits, API key, ...)."""
    return create_app(Settings(**settings), matcher=shared_matcher())


def onnx_spins(encoder: object) -> bool:
    """Whether an ``e5`` encoder's ONNX Runtime session lets its threads spin between operators (unset: its
    default, spinning)."""
    options = encoder._run.session.get_session_options()  # type: ignore[attr-defined]
    try:
        return options.get_session_config_entry("session.intra_op.allow_spinning") != "0"
    except RuntimeError:  # not set
        return True


def is_problem(response: object, status: int, code: str | None = None) -> bool:
    """The answer is an ``application/problem+json`` with exactly the contract's keys."""
    r = response
    body = r.json()  # type: ignore[attr-defined]
    assert r.status_code == status, (r.status_code, body)  # type: ignore[attr-defined]
    assert r.headers["content-type"] == "application/problem+json", r.headers["content-type"]  # type: ignore
    assert set(body) == PROBLEM_KEYS, body
    assert body["status"] == status and body["detail"] and body["type"].endswith(body["code"])
    if code is not None:
        assert body["code"] == code, body
    return True


# --------------------------------------------------------------------------- documents


def cv_pdf() -> bytes:
    """The realistic Russian CV of a social worker (``tests/fixtures/cv_ru.pdf``, made by make_cv_pdf.py)."""
    return CV_RU_PDF.read_bytes()


def make_pdf(pages: list[list[str]], *, image_only: bool = False) -> bytes:
    """A real PDF made by matplotlib, whose bundled DejaVu Sans font covers Cyrillic and Kazakh."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buf) as pdf:
        for lines in pages:
            fig = Figure(figsize=(8.27, 11.69))
            if image_only:
                fig.figimage(np.random.default_rng(0).random((200, 300)), xo=50, yo=50)
            for i, line in enumerate(lines):
                fig.text(0.05, 0.9 - 0.05 * i, line, fontsize=12, family="DejaVu Sans")
            pdf.savefig(fig)
    return buf.getvalue()


def blank_pdf(n_pages: int) -> bytes:
    """A PDF with blank pages (no text layer: what a scanned image gives pypdf)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(n_pages):
        writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def encrypt_pdf(data: bytes, user_password: str, owner_password: str | None = None) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def encrypted_pdf(password: str = "secret") -> bytes:
    return encrypt_pdf(cv_pdf(), password)


def make_docx(paragraphs: list[str]) -> bytes:
    """A DOCX with one paragraph per text."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def accountant_docx(*, merged: bool = False) -> bytes:
    """A real DOCX: heading, Russian paragraphs, a table, a page header."""
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Тел.: +7 701 000 00 00"
    document.add_heading("Иванов Иван", level=1)
    document.add_paragraph("Опыт работы: бухгалтер, ТОО «Алма», Алматы.")
    document.add_paragraph("Навыки: 1С, Excel, налоговая отчётность.")
    table = document.add_table(rows=3, cols=3)
    rows = [("Период", "Должность", "Организация"), ("2019–2021", "Бухгалтер", "ТОО «Алма»")]
    rows.append(("2021–2024", "Главный бухгалтер", "АО «Қазақстан темір жолы»"))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    if merged:
        table.cell(0, 0).merge(table.cell(0, 1)).text = "Период и должность"
    document.add_paragraph("Языки: русский, казахский (Қазақ тілі).")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def add_docx_extras(data: bytes) -> bytes:
    """Add a text box and a content control (<w:sdt>) to a DOCX's body, as CV templates do."""
    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    v = 'xmlns:v="urn:schemas-microsoft-com:vml"'
    document = docx.Document(io.BytesIO(data))
    body = document.element.body
    anchor = document.add_paragraph("Якорь").runs[0]._r
    anchor.append(
        parse_xml(
            f"<w:pict {w} {v}><v:shape><v:textbox><w:txbxContent>"
            "<w:p><w:r><w:t>Текст в рамке</w:t></w:r></w:p>"
            "</w:txbxContent></v:textbox></v:shape></w:pict>"
        )
    )
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    wps = 'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
    box = "<w:txbxContent><w:p><w:r><w:t>Контакты: ivanov@example.kz</w:t></w:r></w:p></w:txbxContent>"
    modern = document.add_paragraph("Якорь 2").runs[0]._r
    modern.append(
        parse_xml(
            f"<mc:AlternateContent {w} {v} {mc} {wps}>"
            f'<mc:Choice Requires="wps"><w:drawing><wps:txbx>{box}</wps:txbx></w:drawing></mc:Choice>'
            f"<mc:Fallback><w:pict><v:textbox>{box}</v:textbox></w:pict></mc:Fallback>"
            "</mc:AlternateContent>"
        )
    )
    sdt = parse_xml(
        f"<w:sdt {w}><w:sdtPr/><w:sdtContent>"
        "<w:p><w:r><w:t>Поле формы: водительские права категории B</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"
    )
    body.insert(len(body) - 1, sdt)  # before <w:sectPr>
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buf.getvalue()


@lru_cache(maxsize=1)
def zip_bomb() -> bytes:
    """A "docx" whose word/document.xml inflates to 100 MB of zeros (about 100 KB compressed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(100):
                member.write(chunk)
    return buf.getvalue()


def wait_until_ready(proc: subprocess.Popen, url: str, log_path: Path, wait_s: float) -> None:
    """Poll ``url`` (a server's /readyz) until it answers 200; fail with the server's log if the process exits or
    ``wait_s`` passes first (a guard against a hung server, not a timing assertion)."""
    deadline = time.monotonic() + wait_s
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the server was not ready after {wait_s} s:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.5)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server_process(module_args: list[str], log_path: Path, wait_s: float, env: dict[str, str] | None = None,
                   stop: int = signal.SIGTERM) -> Iterator[tuple[str, subprocess.Popen]]:
    """``python -m <module_args> --host 127.0.0.1 --port <a free port>`` (uvicorn or ``matcher.cli serve``), its
    output in ``log_path``; yields (``http://127.0.0.1:<port>``, the process) once /readyz answers 200, and stops
    it with ``stop`` (killed if it has not exited 30 s later)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", *module_args, "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, stdout=log,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(proc, base + "/readyz", log_path, wait_s)
        yield base, proc
    finally:
        proc.send_signal(stop)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
