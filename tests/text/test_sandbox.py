"""``matcher.text.sandbox.ParsePool``: PDF and DOCX parsed in child processes, killed at the time limit, under an
address-space limit; every payload generated in the test (``heavy_documents``, ``helpers``)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import RU_CV, accountant_docx, blank_pdf, cv_pdf, encrypted_pdf, make_docx, zip_bomb
from text.heavy_documents import heavy_docx, heavy_pdf, xml_size

from matcher.errors import DocumentError
from matcher.text.documents import DocumentLimits, extract
from matcher.text.sandbox import ParsePool

MB = 1024 * 1024


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def code(pool: ParsePool, data: bytes, limits: DocumentLimits | None = None) -> str:
    with pytest.raises(DocumentError) as excinfo:
        pool.extract(data, limits)
    return excinfo.value.code


@pytest.fixture(scope="module")
def pool() -> Iterator[ParsePool]:
    with ParsePool(2, memory_bytes=384 * MB) as p:
        p.start()
        yield p


def test_the_same_text_as_in_process(pool: ParsePool) -> None:
    for data in (cv_pdf(), make_docx(RU_CV.splitlines()), accountant_docx(), RU_CV.encode("cp1251")):
        assert pool.extract(data) == extract(data)
    limits = DocumentLimits(max_chars=500)
    assert pool.extract(cv_pdf(), limits, truncate=True) == extract(cv_pdf(), limits, truncate=True)


@pytest.mark.parametrize(("name", "expected"), [
    ("encrypted", "pdf_encrypted"), ("truncated_pdf", "pdf_corrupt"), ("blank", "pdf_no_text"),
    ("too_many_pages", "pdf_too_many_pages"), ("zip_bomb", "docx_too_large"), ("truncated_docx", "docx_corrupt"),
    ("too_long", "too_long"), ("empty", "empty"),
])
def test_errors_keep_their_codes(pool: ParsePool, name: str, expected: str) -> None:
    data = {"encrypted": encrypted_pdf(), "truncated_pdf": cv_pdf()[:5000], "blank": blank_pdf(2),
            "too_many_pages": blank_pdf(31), "zip_bomb": zip_bomb(), "truncated_docx": accountant_docx()[:9000],
            "too_long": make_docx(["Социальный работник. " * 50] * 200), "empty": b""}[name]
    assert code(pool, data) == expected


def test_a_parse_past_the_time_limit_is_killed(pool: ParsePool) -> None:
    """The issue's PDF (30 pages of 200k empty text operators, held a core for minutes): the child is killed at
    the limit, nothing of it is left running, and the host goes on serving."""
    data = heavy_pdf(pages=30)
    assert len(data) < 20_000
    hosts = pool.host_pids()
    assert code(pool, data, DocumentLimits(max_parse_seconds=1.0)) == "timeout"
    assert all(children(pid) == [] for pid in hosts), "a parse is still alive after its answer"
    assert sorted(pool.host_pids()) == sorted(hosts)  # the same hosts, still serving
    assert pool.extract(cv_pdf()).kind == "pdf"


def test_a_parse_that_needs_too_much_memory_is_refused(pool: ParsePool) -> None:
    """The issue's DOCX (90 KB, 30.6 MB of XML), let past the XML cap: the child runs out of its address space."""
    data = heavy_docx(900_000)
    assert len(data) < 200_000 and xml_size(data) > 30_000_000
    assert code(pool, data) == "docx_too_large"  # the cap on XML parts refuses it before any parse
    hosts = pool.host_pids()
    assert code(pool, data, DocumentLimits(max_docx_uncompressed=40 * MB)) == "docx_too_large"  # RLIMIT_AS
    assert all(children(pid) == [] for pid in hosts)
    assert pool.extract(accountant_docx()).kind == "docx"


def test_the_xml_cap_counts_parsed_parts_and_images_apart() -> None:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(accountant_docx())) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}

    def with_member(name: str, size: int) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for n, data in {**members, name: bytes(size)}.items():
                out.writestr(n, data)
        return buf.getvalue()

    photo = with_member("word/media/image1.jpeg", 4 * MB)  # a photo: over 4 MB of XML + image, under max_bytes
    assert extract(photo).kind == "docx"
    with pytest.raises(DocumentError) as excinfo:
        extract(with_member("word/media/image1.jpeg", 6 * MB))  # inflates past what could have been uploaded
    assert excinfo.value.code == "docx_too_large"
    with pytest.raises(DocumentError) as excinfo:
        extract(with_member("word/extra.xml", 4 * MB))
    assert excinfo.value.code == "docx_too_large"


def test_the_hosts_see_no_settings_or_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_API_KEY", "a-secret-the-parser-must-not-see")
    with ParsePool(1) as p:
        p.start()
        (pid,) = p.host_pids()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert b"MATCHER" not in environ and b"a-secret" not in environ
        assert p.extract(cv_pdf()).kind == "pdf"
    assert p.host_pids() == []


@pytest.mark.slow
def test_never_more_parses_alive_than_the_pool_has_slots() -> None:
    data = heavy_pdf(pages=30)
    seen: list[int] = []
    codes: list[str] = []
    with ParsePool(2) as p:
        p.start()
        hosts = p.host_pids()

        def parse() -> None:
            try:
                p.extract(data, DocumentLimits(max_parse_seconds=1.5))
            except DocumentError as exc:
                codes.append(exc.code)

        threads = [threading.Thread(target=parse) for _ in range(5)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            seen.append(sum(len(children(pid)) for pid in hosts))
            time.sleep(0.05)
        for t in threads:
            t.join()
    assert codes == ["timeout"] * 5
    assert max(seen) <= 2 and max(seen) >= 1, seen


def test_a_host_that_died_is_replaced() -> None:
    import signal

    with ParsePool(1) as p:
        p.start()
        (pid,) = p.host_pids()
        assert p.extract(cv_pdf()).kind == "pdf"
        os.kill(pid, signal.SIGKILL)  # say, the kernel's OOM killer
        assert p.extract(cv_pdf()).kind == "pdf"  # a fresh host reads it
        assert p.host_pids() and p.host_pids() != [pid]


def test_a_closed_pool_parses_again_after_start() -> None:
    """An app's lifespan can run twice in one process (a restarted server, test clients): shutdown closes the pool,
    the next startup must reopen it, not leave every PDF upload failing with a 500."""
    pool = ParsePool(size=1)
    pool.start()
    want = pool.extract(cv_pdf()).text
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        pool.extract(cv_pdf())
    pool.start()
    try:
        assert pool.extract(cv_pdf()).text == want
    finally:
        pool.close()
