"""Shared by the API test modules: one real ``Matcher`` per test session, app factories, document builders.

A plain module rather than fixtures in a conftest: each API test module builds its app from ``shared_matcher()``,
which loads the dataset, encoder and index once for the whole session (the first run on a cold machine builds
the index).
"""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI

from api.app import create_app
from matcher.config import Settings
from matcher.match import Matcher

ROOT = Path(__file__).resolve().parent.parent
CV_RU_PDF = ROOT / "tests" / "fixtures" / "cv_ru.pdf"  # a social worker (card 13, SBSh 4), Russian, 2 pages
API_KEY = "test-key-0123456789"

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
    return CV_RU_PDF.read_bytes()


def blank_pdf(pages: int) -> bytes:
    """A PDF with blank pages (no text layer: what a scanned image gives pypdf)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def encrypted_pdf(password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cv_pdf())))
    writer.encrypt(password, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def make_docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
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
