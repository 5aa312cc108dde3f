"""Turn uploaded CV bytes (plain text, PDF or DOCX) into text, safely.

The type of an upload is decided from its content (magic bytes), never from its file name.
Every failure is a :class:`DocumentError` with a machine-readable ``code`` and an English
message that can be shown to the person who uploaded the file. Nothing in this module prints
or logs document content.

Safety limits (see :class:`DocumentLimits`):

* the raw upload size is checked before anything else is done with it;
* a DOCX (a ZIP archive) is checked for member count and uncompressed size *before* it is parsed,
  which stops ZIP bombs (Python's ``zipfile`` never inflates a member past its declared size, so
  the declared sizes are a real bound): its XML parts (what python-docx parses) may inflate to
  ``max_docx_uncompressed`` in all, its other parts (images) to no more than ``max_bytes``;
* a PDF's page count is checked before text extraction, and extraction stops as soon as the text
  passes ``max_chars``;
* :func:`extract` parses in a worker thread with a wall-clock limit; a thread cannot be stopped, so
  a server runs :func:`parse` in a child process instead (``matcher.text.sandbox``), where the
  limit kills the parse and its memory returns to the system;
* the extracted text is limited in length (raise or truncate).
"""

from __future__ import annotations

import io
import re
import threading
import time
import unicodedata
import zipfile
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.errors import DocumentError

__all__ = [
    "TIMEOUT_MESSAGE",
    "DocumentError",
    "DocumentKind",
    "DocumentLimits",
    "ErrorCode",
    "ExtractedText",
    "check_upload",
    "decode_text",
    "detect_type",
    "extract",
    "finish",
    "parse",
]

DocumentKind = Literal["pdf", "docx", "text"]

ErrorCode = Literal[
    "empty",
    "too_large",
    "binary",
    "encoding",
    "pdf_encrypted",
    "pdf_corrupt",
    "pdf_no_text",
    "pdf_too_many_pages",
    "docx_corrupt",
    "docx_too_large",
    "too_long",
    "timeout",
    "unsupported_type",
]

_MB = 1024 * 1024


class DocumentLimits(BaseModel):
    """Resource limits applied while reading an upload."""

    model_config = ConfigDict(frozen=True)

    max_bytes: int = Field(default=5 * _MB, gt=0, description="Largest accepted upload, in bytes.")
    max_pages: int = Field(default=30, gt=0, description="Most pages accepted in a PDF.")
    max_chars: int = Field(default=100_000, gt=0, description="Most characters of extracted text.")
    max_docx_uncompressed: int = Field(
        default=4 * _MB, gt=0, description="Largest total uncompressed size of a DOCX archive's XML parts (what "
        "is parsed), in bytes; its other parts (images) may inflate to at most max_bytes."
    )
    max_docx_members: int = Field(default=1_000, gt=0, description="Most files inside a DOCX archive.")
    max_parse_seconds: float = Field(default=10.0, gt=0, description="Wall-clock limit for parsing.")


class ExtractedText(BaseModel):
    """Result of :func:`extract`."""

    model_config = ConfigDict(frozen=True)

    text: str
    kind: DocumentKind
    truncated: bool = False
    pages: int | None = None  # PDF page count; None for DOCX and plain text


# --------------------------------------------------------------------------- type detection

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_DOCX_MAIN_PART = "word/document.xml"

# Formats we recognise but do not accept, with advice for the uploader.
_OTHER_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office file (.doc)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x7fELF", "a program"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
)

_BOMS_UTF32 = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_BOMS_UTF16 = (b"\xff\xfe", b"\xfe\xff")
_BOM_UTF8 = b"\xef\xbb\xbf"

# C0 control bytes that do not occur in ordinary text (tab, LF, FF, CR and ESC are allowed).
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B)) + b"\x7f"
_MAX_CONTROL_RATIO = 0.05
_SNIFF_BYTES = 64 * 1024

_SUPPORTED = "Please upload the CV as a PDF, a Word document (.docx) or a plain-text file."


def _unsupported(what: str) -> DocumentError:
    return DocumentError(
        code="unsupported_type", message=f"This file looks like {what}, which is not supported. {_SUPPORTED}"
    )


def _zip_has_main_part(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _DOCX_MAIN_PART in archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise DocumentError(
            code="docx_corrupt",
            message="The file looks like a damaged or incomplete ZIP/Word archive and cannot be read."
        ) from exc


def detect_type(data: bytes) -> DocumentKind:
    """Return the kind of the upload, decided from its content alone.

    Raises ``DocumentError`` with code ``empty``, ``binary``, ``unsupported_type`` or
    ``docx_corrupt`` (a ZIP archive that cannot be opened).
    """
    if not data:
        raise DocumentError(code="empty", message="The file is empty.")
    head = data[:16]
    if head.startswith(_BOM_UTF8):
        return "text"
    if data[:1024].lstrip(b" \t\r\n").startswith(_PDF_MAGIC):
        return "pdf"
    if head.startswith(_ZIP_MAGICS):
        if _zip_has_main_part(data):
            return "docx"
        raise _unsupported("a ZIP archive that is not a Word document")
    if head.startswith(_BOMS_UTF32) or head.startswith(_BOMS_UTF16):
        return "text"
    for magic, what in _OTHER_MAGICS:
        if head.startswith(magic):
            raise _unsupported(what)
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise _unsupported("a WebP image")
    sample = data[:_SNIFF_BYTES]
    if b"\x00" in sample:
        raise DocumentError(code="binary", message=f"The file is binary data, not a text document. {_SUPPORTED}")
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls / len(sample) > _MAX_CONTROL_RATIO:
        raise DocumentError(code="binary", message=f"The file is binary data, not a text document. {_SUPPORTED}")
    return "text"


# --------------------------------------------------------------------------- text decoding

# Controls other than tab and newline are dropped from extracted text (PDF and DOCX text
# often carries stray NULs, form feeds or vertical tabs).
_STRAY_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.replace("\ufeff", "")
    text = _STRAY_CONTROLS.sub("", text)
    return unicodedata.normalize("NFC", text)


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


_WORD = re.compile(r"[^\W\d_]+")
# The ten most frequent letters of Russian (>= 50% of the letters of real Russian or Kazakh CVs, under 44% in
# KOI8-R text misread as cp1251; measured on eval/data).
_COMMON_CYRILLIC = frozenset("оеаинтсрвл")


def _looks_like_text(text: str) -> bool:
    """False if the decoded sample is full of controls, unassigned or private-use code points."""
    sample = text[:_SNIFF_BYTES]
    if not sample:
        return True
    bad = sum(
        1
        for ch in sample
        if unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs") and ch not in "\t\n\r\f\x1b"
    )
    return bad <= 0.01 * len(sample)


def _plausible_cyrillic(text: str) -> bool:
    """Heuristic: does text decoded as cp1251 look like real Cyrillic prose?"""
    text = text[:_SNIFF_BYTES]
    if not _looks_like_text(text):
        return False
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    if not non_ascii:
        return False
    cyrillic = sum(1 for ch in non_ascii if _is_cyrillic(ch))
    if cyrillic < 0.7 * len(non_ascii):
        return False
    # KOI8-R text read as cp1251 comes out mostly in capitals, with rare letters frequent. Real text in capitals
    # keeps the frequent letters frequent, so it passes.
    letters = [ch for ch in text if _is_cyrillic(ch) and ch.isalpha()]
    if len(letters) >= 100:
        upper = sum(ch.isupper() for ch in letters) / len(letters)
        common = sum(ch.lower() in _COMMON_CYRILLIC for ch in letters) / len(letters)
        if upper > 0.6 and common < 0.47:
            return False
    # Words that mix Latin and Cyrillic letters (typical of Latin-1 text misread as cp1251) or
    # that flip case inside the word (typical of random bytes) are rare in real text.
    words = [w for w in _WORD.findall(text) if any(_is_cyrillic(c) for c in w)]
    if not words:
        return False
    odd_words = 0
    for word in words:
        mixed_script = any("a" <= c.lower() <= "z" for c in word)
        case_flips = sum(1 for a, b in zip(word, word[1:], strict=False) if a.islower() and b.isupper())
        if mixed_script or case_flips:
            odd_words += 1
    return odd_words <= 0.2 * len(words)


def decode_text(data: bytes) -> str:
    """Decode a plain-text upload: UTF-8 (with or without BOM), UTF-16/32 with BOM, then cp1251.

    cp1251 is accepted only if the result looks like real Cyrillic text. Newlines are normalised
    to ``\\n`` and the text is NFC-normalised. Raises ``DocumentError("encoding")`` otherwise.
    """
    text: str | None = None
    try:
        if data.startswith(_BOM_UTF8):
            text = data.decode("utf-8-sig")
        elif data.startswith(_BOMS_UTF32):
            text = data.decode("utf-32")
        elif data.startswith(_BOMS_UTF16):
            text = data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            code="encoding", message="The text file claims a Unicode encoding but contains invalid characters."
        ) from exc
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                candidate = data.decode("cp1251")
            except UnicodeDecodeError:
                candidate = None
            if candidate is None or not _plausible_cyrillic(candidate):
                raise DocumentError(
                    code="encoding", message="The text file's character encoding could not be recognised. "
                    "Please save it as UTF-8, or upload a PDF or Word document (.docx).",
                ) from None
            text = candidate
    if not _looks_like_text(text):
        raise DocumentError(code="encoding", message="The text file contains characters that are not readable text.")
    return _normalise(text)


# --------------------------------------------------------------------------- PDF


def _pdf_corrupt() -> DocumentError:
    return DocumentError(code="pdf_corrupt", message="The PDF file is damaged or incomplete and cannot be read.")


def _too_long(limits: DocumentLimits, chars: int | None = None) -> DocumentError:
    has = f"{chars:,}" if chars is not None else f"more than {limits.max_chars:,}"
    return DocumentError(code="too_long", message=f"The document has {has} characters of text; at most "
                         f"{limits.max_chars:,} are accepted.")


def _extract_pdf(data: bytes, limits: DocumentLimits, truncate: bool = False) -> tuple[str, int]:
    """The text of a PDF, page by page; extraction stops once the text passes ``limits.max_chars`` (then
    ``too_long``, or with ``truncate`` the text so far)."""
    from pypdf import PasswordType, PdfReader

    encrypted_error = DocumentError(
        code="pdf_encrypted",
        message="The PDF is password-protected. Please upload a copy without a password, or a Word document (.docx).",
    )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                # Many PDFs are "encrypted" only to restrict printing/editing, with an empty user password.
                opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
            except MemoryError:
                raise
            except Exception:  # unsupported cipher or missing crypto backend
                opened = False
            if not opened:
                raise encrypted_error
        page_count = len(reader.pages)
        if page_count > limits.max_pages:
            raise DocumentError(
                code="pdf_too_many_pages",
                message=f"The PDF has {page_count} pages; at most {limits.max_pages} are accepted for a CV.",
            )
        if page_count == 0:
            raise _pdf_corrupt()
        parts: list[str] = []
        chars = -1  # the length of "\n".join(parts)
        for page in reader.pages:
            part = _normalise(page.extract_text() or "")
            parts.append(part)
            chars += len(part) + 1
            # (the whitespace that strip() would remove is counted only when the rough count is over)
            if chars > limits.max_chars and len("\n".join(parts).strip()) > limits.max_chars:
                if not truncate:
                    raise _too_long(limits)
                break  # finish() cuts the text to max_chars
    except (DocumentError, MemoryError):
        raise
    except Exception as exc:  # pypdf raises many exception types on malformed input
        raise _pdf_corrupt() from exc
    text = "\n".join(parts).strip()
    if not text:
        raise DocumentError(
            code="pdf_no_text", message="No text could be found in the PDF; it looks like a scanned image. "
            "Please upload a PDF with selectable text, or a Word document (.docx).",
        )
    return text, page_count


# --------------------------------------------------------------------------- DOCX


def _docx_corrupt() -> DocumentError:
    return DocumentError(code="docx_corrupt", message="The Word document is damaged or incomplete and cannot be read.")


_DOCX_TOO_LARGE = "The Word document expands to far more data than a CV could contain and was rejected."
_XML_PART = re.compile(r"(?i)\.(?:xml|rels)$")


def _check_docx_archive(data: bytes, limits: DocumentLimits) -> None:
    """Check member count and uncompressed sizes before anything is inflated: the XML parts (what is parsed)
    against ``max_docx_uncompressed``, the other parts (images ...) against ``max_bytes``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except Exception as exc:
        raise _docx_corrupt() from exc
    too_large = DocumentError(code="docx_too_large", message=_DOCX_TOO_LARGE)
    if len(infos) > limits.max_docx_members:
        raise too_large
    xml = sum(info.file_size for info in infos if _XML_PART.search(info.filename))
    other = sum(info.file_size for info in infos) - xml
    if xml > limits.max_docx_uncompressed or other > limits.max_bytes:
        raise too_large
    if _DOCX_MAIN_PART not in {info.filename for info in infos}:
        raise _unsupported("a ZIP archive that is not a Word document")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Subtrees whose text is not (or not again) part of the visible text.
_DOCX_SKIP = frozenset(
    {_W + "pPr", _W + "rPr", _W + "moveFrom", _W + "del", _W + "delText", _W + "instrText", _MC_FALLBACK}
)


def _docx_paragraph(p: object, lines: list[str]) -> None:
    """Append the paragraph's text, then the paragraphs of any text boxes anchored in it."""
    parts: list[str] = []
    boxes: list[object] = []

    def walk(element: object) -> None:
        for child in element:  # type: ignore[attr-defined]
            tag = child.tag
            if not isinstance(tag, str) or tag in _DOCX_SKIP:
                continue
            if tag == _W + "t":
                parts.append(child.text or "")
            elif tag == _W + "tab":
                parts.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                parts.append("\n")
            elif tag == _W + "noBreakHyphen":
                parts.append("-")
            elif tag == _W + "txbxContent":
                boxes.append(child)
            else:
                walk(child)

    walk(p)
    lines.append("".join(parts))
    for box in boxes:
        _docx_blocks(box, lines)


def _docx_cell_text(tc: object) -> str:
    cell_lines: list[str] = []
    _docx_blocks(tc, cell_lines)
    return " ".join(" ".join(cell_lines).split())


def _docx_row_cells(element: object) -> list[object]:
    cells: list[object] = []
    for child in element:  # type: ignore[attr-defined]
        if child.tag == _W + "tc":
            cells.append(child)
        elif child.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
            cells.extend(_docx_row_cells(child))
    return cells


def _docx_table(tbl: object, lines: list[str]) -> None:
    """One line per row, cells joined by tabs (a merged cell appears once)."""
    for tr in tbl.iterchildren(_W + "tr"):  # type: ignore[attr-defined]
        cells = [_docx_cell_text(tc) for tc in _docx_row_cells(tr)]
        if any(cells):
            lines.append("\t".join(cells).rstrip("\t"))


def _docx_blocks(container: object, lines: list[str]) -> None:
    """Walk the block-level content (paragraphs, tables, content controls) in document order."""
    for child in container:  # type: ignore[attr-defined]
        tag = child.tag
        if tag == _W + "p":
            _docx_paragraph(child, lines)
        elif tag == _W + "tbl":
            _docx_table(child, lines)
        elif tag in (_W + "sdt", _W + "sdtContent", _W + "customXml", _W + "ins", _W + "moveTo"):
            _docx_blocks(child, lines)


_XML_ERR_NO_MEMORY = 2  # libxml2's error code when an allocation fails (lxml reports it as an XMLSyntaxError)


def _out_of_memory(exc: BaseException | None) -> bool:
    """The exception, or one it was raised from, is the parser running out of memory."""
    from lxml.etree import XMLSyntaxError  # python-docx's parser

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, MemoryError):
            return True
        if isinstance(exc, XMLSyntaxError) and exc.code == _XML_ERR_NO_MEMORY:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _extract_docx(data: bytes, limits: DocumentLimits) -> str:
    _check_docx_archive(data, limits)
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        seen_headers: set[str] = set()
        for section in document.sections:
            header = section.header
            if header.is_linked_to_previous:
                continue
            header_lines: list[str] = []
            _docx_blocks(header._element, header_lines)
            header_text = "\n".join(line for line in header_lines if line.strip())
            if header_text and header_text not in seen_headers:
                seen_headers.add(header_text)
                lines.append(header_text)
        _docx_blocks(document.element.body, lines)
    except (DocumentError, MemoryError):
        raise
    except Exception as exc:  # python-docx / lxml raise many exception types on malformed input
        if _out_of_memory(exc):
            raise MemoryError from exc
        raise _docx_corrupt() from exc
    return _normalise("\n".join(lines)).strip()




# --------------------------------------------------------------------------- entry points


def check_upload(data: bytes, limits: DocumentLimits) -> DocumentKind:
    """The checks made before any parsing (size, emptiness, type by content): the kind of the upload."""
    if len(data) > limits.max_bytes:
        raise DocumentError(
            code="too_large",
            message=f"The file is {len(data) / _MB:.1f} MB; at most {limits.max_bytes / _MB:.1f} MB is accepted.",
        )
    if not data:
        raise DocumentError(code="empty", message="The file is empty.")
    return detect_type(data)


def parse(data: bytes, kind: DocumentKind, limits: DocumentLimits, truncate: bool = False) -> tuple[str, int | None]:
    """The raw text of an upload of a known kind (and a PDF's page count), without any time limit: the part a
    sandbox runs (``matcher.text.sandbox``). Running out of memory is ``too_large`` / ``docx_too_large``."""
    try:
        # Module-level functions are looked up at call time (keeps them patchable in tests).
        if kind == "pdf":
            return _extract_pdf(data, limits, truncate)
        if kind == "docx":
            return _extract_docx(data, limits), None
        return decode_text(data), None
    except MemoryError:
        if kind == "docx":
            raise DocumentError(code="docx_too_large", message=_DOCX_TOO_LARGE) from None
        raise DocumentError(code="too_large", message="Reading the document needs far more memory than a CV "
                            "could. Please upload a simpler or smaller file.") from None


def finish(text: str, kind: DocumentKind, pages: int | None, limits: DocumentLimits,
           truncate: bool = False) -> ExtractedText:
    """The checks made after parsing: not empty, not longer than ``limits.max_chars`` (or cut to it)."""
    text = text.strip()
    if not text:
        raise DocumentError(code="empty", message="The document contains no text.")
    truncated = False
    if len(text) > limits.max_chars:
        if not truncate:
            raise _too_long(limits, len(text))
        text = text[: limits.max_chars].rstrip()
        truncated = True
    return ExtractedText(text=text, kind=kind, truncated=truncated, pages=pages)


TIMEOUT_MESSAGE = "Reading the document took too long. Please upload a simpler or smaller file."


def _run_with_timeout(func: Callable[[], tuple[str, int | None]], seconds: float) -> tuple[str, int | None]:
    """Run ``func`` in a daemon thread and wait at most ``seconds`` for it.

    A Python thread cannot be killed: on timeout the parse goes on in the background until it
    finishes by itself (its result is then dropped), but the caller gets its answer in time.
    The thread is a daemon, so it never keeps the interpreter from exiting. For hard isolation
    (CPU and memory), a server uses ``matcher.text.sandbox.ParsePool`` instead.
    """
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["result"] = func()
        except BaseException as exc:  # handed over to the calling thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="document-parse", daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    # a parse that finished just as join() gave up must not pass by a scheduling race: the limit is the elapsed time
    if worker.is_alive() or time.monotonic() - started > seconds:
        raise DocumentError(code="timeout", message=TIMEOUT_MESSAGE)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]


def extract(data: bytes, limits: DocumentLimits | None = None, truncate: bool = False) -> ExtractedText:
    """Check, detect and extract the text of an upload, in this process (a thread with the time limit).

    Text longer than ``limits.max_chars`` raises ``DocumentError("too_long")``, or with
    ``truncate=True`` is cut to ``max_chars`` and returned with ``truncated=True``.
    """
    limits = limits or DocumentLimits()
    kind = check_upload(data, limits)
    text, pages = _run_with_timeout(lambda: parse(data, kind, limits, truncate), limits.max_parse_seconds)
    return finish(text, kind, pages, limits, truncate)
