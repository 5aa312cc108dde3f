"""Tests for matcher.documents; every fixture is generated in memory (no binary files in the repo)."""

from __future__ import annotations

import io
import pickle
import random
import struct
import threading
import time
import unicodedata
import zipfile

import pytest
from helpers import accountant_docx, add_docx_extras, blank_pdf, encrypt_pdf, make_pdf, zip_bomb, zip_bytes

from matcher.errors import DocumentError, MatcherError
from matcher.text import documents
from matcher.text.documents import (
    DocumentLimits,
    ExtractedText,
    decode_text,
    detect_type,
    extract,
)

KAZAKH_LETTERS = "ә қ ң ө ү ұ і һ Ә Қ Ң Ө Ү Ұ І Һ"
RU_LINE = "Резюме: Иванов Иван Иванович, инженер-программист"
KZ_LINE = f"Қазақ тілі: {KAZAKH_LETTERS}"
RU_TEXT = (
    "Иванов Иван Иванович\n"
    "Опыт работы: инженер-программист, разработка на Python и SQL.\n"
    "Образование: Казахский национальный университет, факультет информационных технологий.\n"
    "Навыки: анализ данных, машинное обучение, ведение документации, работа в команде."
)


def code_of(excinfo: pytest.ExceptionInfo[DocumentError]) -> str:
    return excinfo.value.code


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def cv_pdf() -> bytes:
    return make_pdf([[RU_LINE, KZ_LINE], ["Навыки: Python, SQL, Excel", "Тілдер: қазақ, орыс, ағылшын"]])


@pytest.fixture(scope="module")
def cv_docx() -> bytes:
    return accountant_docx()


@pytest.fixture(scope="module", name="zip_bomb")
def zip_bomb_fixture() -> bytes:
    return zip_bomb()


# --------------------------------------------------------------------------- API surface


def test_document_error_is_value_error_with_code_and_message() -> None:
    err = DocumentError(code="pdf_corrupt", message="The PDF file is damaged.")
    assert isinstance(err, MatcherError)
    assert err.code == "pdf_corrupt"
    assert str(err) == err.message == "The PDF file is damaged."
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.code, clone.message) == (err.code, err.message)


def test_default_limits() -> None:
    limits = DocumentLimits()
    assert limits.max_bytes == 5 * 1024 * 1024
    assert limits.max_pages == 30
    assert limits.max_chars == 100_000
    assert limits.max_docx_uncompressed == 4 * 1024 * 1024  # of XML: a CV needs far less
    assert limits.max_parse_seconds == 10


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (random.Random(1234).randbytes(4096), "binary"),
        (b"CV text \x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11 more", "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "unsupported_type"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64), "unsupported_type"),
        (b"\x7fELF\x02\x01\x01" + bytes(64), "unsupported_type"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "unsupported_type"),
        (b"{\\rtf1\\ansi Hello}", "unsupported_type"),
        (b"", "empty"),
    ],
    ids=["random", "controls", "png", "jpeg", "elf", "ole-doc", "rtf", "empty"],
)
def test_detect_type_rejects(data: bytes, code: str) -> None:
    with pytest.raises(DocumentError) as excinfo:
        detect_type(data)
    assert code_of(excinfo) == code
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == code


def test_detect_type_by_content(cv_pdf: bytes, cv_docx: bytes) -> None:
    assert detect_type(cv_pdf) == "pdf"
    assert detect_type(cv_docx) == "docx"
    assert detect_type(RU_TEXT.encode()) == "text"
    assert detect_type(RU_TEXT.encode("cp1251")) == "text"
    assert detect_type(RU_TEXT.encode("utf-16")) == "text"  # NUL bytes, but a BOM
    assert detect_type(b"\xef\xbb\xbf" + RU_TEXT.encode()) == "text"


def test_text_with_a_few_nul_bytes_is_binary() -> None:
    data = b"Looks like text. " * 200 + b"\x00\x00"
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "binary"


def test_zip_that_is_not_docx() -> None:
    data = zip_bytes({"readme.txt": "Резюме".encode(), "photo.jpg": b"\xff\xd8\xff"})
    with pytest.raises(DocumentError) as excinfo:
        detect_type(data)
    assert code_of(excinfo) == "unsupported_type"
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "unsupported_type"
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "unsupported_type"


# --------------------------------------------------------------------------- plain text


def test_utf8_kazakh_text() -> None:
    result = extract(f"{RU_LINE}\n{KZ_LINE}\n".encode())
    assert result == ExtractedText(text=f"{RU_LINE}\n{KZ_LINE}", kind="text", truncated=False, pages=None)


def test_utf8_with_bom() -> None:
    text = extract(b"\xef\xbb\xbf" + KZ_LINE.encode()).text
    assert text == KZ_LINE
    assert not text.startswith("\ufeff")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(encoding: str) -> None:
    data = KZ_LINE.encode(encoding)
    if encoding != "utf-16":  # the codec without endianness writes the BOM itself
        data = "\ufeff".encode(encoding) + data
    assert extract(data).text == KZ_LINE


def test_cp1251_russian() -> None:
    assert extract(RU_TEXT.encode("cp1251")).text == RU_TEXT


def test_cp1251_short_caps_heading() -> None:
    assert decode_text("РЕЗЮМЕ\r\nИванов И. И.".encode("cp1251")) == "РЕЗЮМЕ\nИванов И. И."


def test_koi8r_text_is_not_misread_as_cp1251() -> None:
    text = ("Резюме. Опыт работы: социальный работник в центре оказания специальных социальных услуг, "
            "оценка нуждаемости, индивидуальный план работы с получателями услуг, консультирование семей.\n")
    with pytest.raises(DocumentError) as excinfo:
        decode_text(text.encode("koi8-r"))
    assert code_of(excinfo) == "encoding"
    assert "СОЦИАЛЬНЫЙ" in decode_text(text.upper().encode("cp1251"))  # capitals alone are fine


def test_latin1_text_is_not_misread_as_cp1251() -> None:
    data = "Café résumé: née Müller, Zürich, éducation supérieure".encode("latin-1")
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "encoding"


def test_random_high_bytes_are_not_cyrillic() -> None:
    rng = random.Random(7)
    data = bytes(rng.choice(range(0xC0, 0x100)) if i % 3 else 0x20 for i in range(3000))
    # every byte is a valid cp1251 Cyrillic letter or a space, but the "words" are noise
    data = bytes(b ^ 0x20 if rng.random() < 0.5 and b >= 0xC0 else b for b in data)
    with pytest.raises(DocumentError) as excinfo:
        decode_text(data)
    assert code_of(excinfo) == "encoding"


def test_invalid_utf16_after_bom() -> None:
    with pytest.raises(DocumentError) as excinfo:
        decode_text(b"\xff\xfe" + "текст".encode("utf-16-le") + b"\x00\xd8")  # lone surrogate
    assert code_of(excinfo) == "encoding"


def test_utf16_bom_followed_by_non_text() -> None:
    data = "\ufeff".encode("utf-16-le") + ("\ue000\ue123\x01\x02" * 100 + "abc").encode("utf-16-le")
    assert detect_type(data) == "text"
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "encoding"


def test_newlines_and_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Йошкар-Ола, ёлка")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    text = decode_text(f"a\r\nb\rc\n{decomposed}".encode())
    assert text == "a\nb\nc\nЙошкар-Ола, ёлка"


@pytest.mark.parametrize("data", [b"", b"   \n\t \r\n  ", "\u3000\u00a0 \n".encode()])
def test_empty_and_whitespace_only(data: bytes) -> None:
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "empty"


def test_too_large() -> None:
    with pytest.raises(DocumentError) as excinfo:
        extract(b"a" * (5 * 1024 * 1024 + 1))
    assert code_of(excinfo) == "too_large"
    with pytest.raises(DocumentError) as excinfo:
        extract(b"a" * 101, DocumentLimits(max_bytes=100))
    assert code_of(excinfo) == "too_large"
    assert extract(b"a" * 100, DocumentLimits(max_bytes=100)).text == "a" * 100


def test_too_long_raises_or_truncates() -> None:
    limits = DocumentLimits(max_chars=100)
    data = ("ә" * 150 + "\n").encode()
    with pytest.raises(DocumentError) as excinfo:
        extract(data, limits)
    assert code_of(excinfo) == "too_long"
    result = extract(data, limits, truncate=True)
    assert result.truncated is True
    assert result.text == "ә" * 100
    assert extract(data, limits, truncate=True).text == "ә" * 100
    short = extract(("ә" * 100).encode(), limits, truncate=True)
    assert (short.truncated, len(short.text)) == (False, 100)


def test_limit_counts_stripped_text() -> None:
    assert extract(("  " + "x" * 10 + "  \n\n").encode(), DocumentLimits(max_chars=10)).text == "x" * 10


# --------------------------------------------------------------------------- PDF


def test_pdf_russian_and_kazakh(cv_pdf: bytes) -> None:
    result = extract(cv_pdf)
    assert (result.kind, result.pages, result.truncated) == ("pdf", 2, False)
    assert RU_LINE in result.text
    assert KZ_LINE in result.text
    for letter in KAZAKH_LETTERS.split():
        assert letter in result.text
    assert "Тілдер: қазақ, орыс, ағылшын" in result.text
    assert extract(cv_pdf).text == result.text


def test_pdf_encrypted_with_user_password(cv_pdf: bytes) -> None:
    data = encrypt_pdf(cv_pdf, "secret")
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "pdf_encrypted"


def test_pdf_encrypted_with_empty_user_password_opens(cv_pdf: bytes) -> None:
    data = encrypt_pdf(cv_pdf, "", owner_password="owner-only")
    assert b"/Encrypt" in data
    assert KZ_LINE in extract(data).text


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_pdf_truncated(cv_pdf: bytes, fraction: float) -> None:
    data = cv_pdf[: int(len(cv_pdf) * fraction)]
    assert detect_type(data) == "pdf"
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "pdf_corrupt"


def test_pdf_header_then_garbage() -> None:
    data = b"%PDF-1.7\n" + random.Random(3).randbytes(2000)
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "pdf_corrupt"


def test_pdf_without_pages_is_corrupt() -> None:
    data = blank_pdf(0)
    assert detect_type(data) == "pdf"
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "pdf_corrupt"


def test_pdf_extraction_stops_at_the_character_limit() -> None:
    """A first page over the limit, then 29 pages that would take minutes to read: the answer comes from the first
    page alone (too_long, or its text cut), well within the parse-time limit."""
    from text.heavy_documents import heavy_pdf

    data = heavy_pdf(pages=29, first_page_text="Social worker, case management. " * 20)
    limits = DocumentLimits(max_chars=300, max_parse_seconds=10)
    with pytest.raises(DocumentError) as excinfo:
        extract(data, limits)
    assert code_of(excinfo) == "too_long" and "more than 300" in excinfo.value.message
    cut = extract(data, limits, truncate=True)
    assert cut.truncated and cut.text.startswith("Social worker, case management.") and len(cut.text) <= 300


def test_pdf_blank_has_no_text() -> None:
    with pytest.raises(DocumentError) as excinfo:
        extract(blank_pdf(2))
    assert code_of(excinfo) == "pdf_no_text"
    assert "scanned" in excinfo.value.message
    assert "DOCX" in excinfo.value.message or ".docx" in excinfo.value.message


def test_pdf_images_only_has_no_text() -> None:
    data = make_pdf([[]], image_only=True)
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "pdf_no_text"


def test_pdf_too_many_pages() -> None:
    assert extract(make_pdf([["Страница"]] * 3), DocumentLimits(max_pages=3)).pages == 3
    with pytest.raises(DocumentError) as excinfo:
        extract(blank_pdf(31))
    assert code_of(excinfo) == "pdf_too_many_pages"
    with pytest.raises(DocumentError) as excinfo:
        extract(make_pdf([["Страница"]] * 3), DocumentLimits(max_pages=2))
    assert code_of(excinfo) == "pdf_too_many_pages"


# --------------------------------------------------------------------------- DOCX


def test_docx_paragraphs_table_and_header(cv_docx: bytes) -> None:
    result = extract(cv_docx)
    assert (result.kind, result.pages, result.truncated) == ("docx", None, False)
    lines = result.text.split("\n")
    assert lines[0] == "Тел.: +7 701 000 00 00"
    assert "Иванов Иван" in lines
    assert "Опыт работы: бухгалтер, ТОО «Алма», Алматы." in lines
    table_lines = [
        "Период\tДолжность\tОрганизация",
        "2019–2021\tБухгалтер\tТОО «Алма»",
        "2021–2024\tГлавный бухгалтер\tАО «Қазақстан темір жолы»",
    ]
    start = lines.index(table_lines[0])
    assert lines[start : start + 3] == table_lines
    assert lines.index("Навыки: 1С, Excel, налоговая отчётность.") < start
    assert lines.index("Языки: русский, казахский (Қазақ тілі).") > start + 2


def test_docx_merged_cell_appears_once() -> None:
    text = extract(accountant_docx(merged=True)).text
    assert "Период и должность\tОрганизация" in text.split("\n")
    assert text.count("Период и должность") == 1


def test_docx_text_box_and_content_control(cv_docx: bytes) -> None:
    text = extract(add_docx_extras(cv_docx)).text
    lines = text.split("\n")
    assert "Текст в рамке" in lines
    assert lines.index("Текст в рамке") == lines.index("Якорь") + 1
    assert "Поле формы: водительские права категории B" in lines
    assert text.count("Текст в рамке") == 1
    # Word writes a modern text box twice (mc:Choice and a VML mc:Fallback); it must appear once.
    assert text.count("Контакты: ivanov@example.kz") == 1
    assert lines.index("Контакты: ivanov@example.kz") == lines.index("Якорь 2") + 1


def test_docx_zip_bomb_rejected_before_parsing(zip_bomb: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    import docx

    assert len(zip_bomb) < 1024 * 1024

    def must_not_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("python-docx must not be reached")

    monkeypatch.setattr(docx, "Document", must_not_parse)
    assert detect_type(zip_bomb) == "docx"
    started = time.perf_counter()
    with pytest.raises(DocumentError) as excinfo:
        extract(zip_bomb)
    assert code_of(excinfo) == "docx_too_large"
    assert time.perf_counter() - started < 2.0
    with pytest.raises(DocumentError) as excinfo:
        extract(zip_bomb)
    assert code_of(excinfo) == "docx_too_large"


def test_docx_too_many_members(cv_docx: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(cv_docx)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update({f"customXml/item{i}.xml": b"<a/>" for i in range(1001)})
    with pytest.raises(DocumentError) as excinfo:
        extract(zip_bytes(members))
    assert code_of(excinfo) == "docx_too_large"
    assert extract(zip_bytes(members), DocumentLimits(max_docx_members=2000)).text


def test_docx_lying_about_its_size_cannot_inflate_past_it(cv_docx: bytes) -> None:
    """A member whose declared size is small is never inflated further (then fails its CRC)."""
    with zipfile.ZipFile(io.BytesIO(cv_docx)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    real = members["word/document.xml"]
    members["word/document.xml"] = real + b" " * (8 * 1024 * 1024)
    data = bytearray(zip_bytes(members))
    name = b"word/document.xml"
    for signature, size_offset, name_offset in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        pos = data.find(signature + b"")
        while pos != -1:
            if data[pos + name_offset : pos + name_offset + len(name)] == name:
                struct.pack_into("<I", data, pos + size_offset, len(real))
            pos = data.find(signature, pos + 4)
    limits = DocumentLimits(max_docx_uncompressed=1024 * 1024)
    with pytest.raises(DocumentError) as excinfo:
        extract(bytes(data), limits)
    assert code_of(excinfo) == "docx_corrupt"


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + random.Random(5).randbytes(500),
        zip_bytes({"word/document.xml": b"<not-closed"}),
        zip_bytes({"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"not xml"}),
    ],
    ids=["truncated-zip", "no-package-parts", "broken-content-types"],
)
def test_docx_corrupt(data: bytes) -> None:
    with pytest.raises(DocumentError) as excinfo:
        extract(data)
    assert code_of(excinfo) == "docx_corrupt"


def test_docx_truncated(cv_docx: bytes) -> None:
    with pytest.raises(DocumentError) as excinfo:
        extract(cv_docx[: len(cv_docx) // 2])
    assert code_of(excinfo) == "docx_corrupt"


# --------------------------------------------------------------------------- timeout


def test_timeout_returns_while_parse_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def slow_decode(data: bytes) -> str:
        release.wait(5)
        return "late"

    monkeypatch.setattr(documents, "decode_text", slow_decode)
    started = time.perf_counter()
    try:
        with pytest.raises(DocumentError) as excinfo:
            extract(b"plain text", DocumentLimits(max_parse_seconds=0.1))
        assert code_of(excinfo) == "timeout"
        assert time.perf_counter() - started < 2.0
    finally:
        release.set()


def test_parser_errors_cross_the_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_decode(data: bytes) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(documents, "decode_text", failing_decode)
    with pytest.raises(RuntimeError, match="boom"):
        extract(b"plain text")
