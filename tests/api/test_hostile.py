"""Hostile input: a few hundred malformed uploads and bodies, generated from a fixed seed.

Every malformed one must get a 4xx ``application/problem+json`` answer; a smaller group of mangled-but-maybe-
readable files (random byte flips, printable junk) must never get a 5xx. Afterwards the server still answers a
normal request.
"""

from __future__ import annotations

import io
import random
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pytest
from fastapi.testclient import TestClient
from helpers import (
    API_KEY,
    RU_CV,
    RU_VACANCY,
    blank_pdf,
    cv_pdf,
    encrypted_pdf,
    make_app,
    make_docx,
    zip_bomb,
    zip_bytes,
)

SEED = 20261126
NAMES = ["cv.pdf", "cv.docx", "cv.txt", "резюме.pdf", "cv", "photo.jpg", "cv.doc", "../../etc/passwd", "a" * 300]
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # "file": multipart upload; "raw": a body with its own content type
    data: bytes
    content_type: str = ""
    path: str = "/v1/match"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    # one test client is one client address: its per-client limits are off (test_admission.py tests them)
    with TestClient(make_app(api_key=API_KEY, client_rate=0, client_budget=0, client_concurrency=0)) as c:
        yield c


def _docx_with(document_xml: bytes) -> bytes:
    """A real DOCX whose word/document.xml is replaced."""
    src = zipfile.ZipFile(io.BytesIO(_docx()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, document_xml if info.filename == "word/document.xml" else src.read(info))
    return buf.getvalue()


@lru_cache(maxsize=1)
def _docx() -> bytes:
    return make_docx(RU_CV.splitlines())


def _nested(depth: int) -> bytes:
    return (f"<w:document {W}><w:body>".encode() + b"<w:sdt><w:sdtContent>" * depth + b"<w:p><w:r><w:t>x</w:t>"
            b"</w:r></w:p>" + b"</w:sdtContent></w:sdt>" * depth + b"</w:body></w:document>")


def _laughs() -> bytes:
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE d [{entities}]><w:document {W}><w:body><w:p><w:r><w:t>&l9;</w:t>'
            "</w:r></w:p></w:body></w:document>").encode()


def _multipart(boundary: str, parts: list[bytes]) -> bytes:
    return b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts) + f"--{boundary}--".encode()


@lru_cache(maxsize=1)
def malformed() -> list[Case]:
    """Inputs that must all be refused with a 4xx."""
    rng = random.Random(SEED)
    cases: list[Case] = []

    def add(prefix: str, data: bytes, **kw: str) -> None:
        cases.append(Case(f"{prefix}-{sum(c.id.startswith(prefix + '-') for c in cases):03d}", kw.pop("kind", "file"),
                          data, **kw))

    for _ in range(50):  # random bytes, 1 B to 200 KB
        add("random", rng.randbytes(int(10 ** rng.uniform(0, 5.3))))
    magics = [b"%PDF-1.7\n", b"PK\x03\x04", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"II*\x00",
              b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf1", b"\x7fELF", b"\x1f\x8b", b"Rar!\x1a\x07", b"BZh9"]
    for i in range(48):  # a real format's signature, then junk
        add("magic", magics[i % len(magics)] + rng.randbytes(rng.randrange(0, 30_000)))
    pdf = cv_pdf()
    for _ in range(40):  # truncated PDFs
        add("pdf-truncated", pdf[: rng.randrange(10, len(pdf) - 10)])
    for _ in range(6):
        add("pdf-encrypted", encrypted_pdf(f"pw{rng.randrange(10**6)}"))
    for pages in (1, 2, 5):
        add("pdf-no-text", blank_pdf(pages))
    add("pdf-too-many-pages", blank_pdf(31))
    docx = _docx()
    for _ in range(30):  # truncated DOCX
        add("docx-truncated", docx[: rng.randrange(10, len(docx) - 10)])
    for _ in range(10):  # a DOCX whose main part is junk or broken XML
        add("docx-junk-xml", _docx_with(rng.randbytes(rng.randrange(1, 5000))))
    for _ in range(5):
        add("docx-broken-xml", _docx_with(f"<w:document {W}><w:body><w:p>".encode() * rng.randrange(1, 50)))
    add("docx-nested", _docx_with(_nested(5000)))
    add("docx-nested", _docx_with(_nested(300)))
    add("docx-laughs", _docx_with(_laughs()))
    add("docx-external-entity", _docx_with(
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><w:document {W}><w:body>'
        "<w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>".encode()))
    add("zip-bomb", zip_bomb())
    add("zip-many-members", zip_bytes({f"word/{i}.xml": b"" for i in range(1500)} | {"word/document.xml": b"<a/>"}))
    add("zip-declared-huge", zip_bytes({"word/document.xml": b"<a/>", "big.bin": bytes(40 * 1024 * 1024)}))
    for _ in range(10):  # ZIP archives that are not Word documents
        add("zip-not-docx", zip_bytes({f"f{j}.txt": rng.randbytes(100) for j in range(rng.randrange(1, 5))}))
    # wrong encodings of a real CV
    for enc in ("utf-16-le", "utf-16-be", "utf-32-le", "koi8-r", "cp866", "iso8859-5"):
        add("encoding", RU_CV.encode(enc, errors="replace"))
    for text in ("Curriculum vitae: éducation supérieure, expérience à Genève", "履歴書 社会福祉士 経験5年 東京都"):
        add("encoding", text.encode("shift_jis" if "履" in text else "latin-1", errors="replace") * 5)
    for _ in range(10):  # random high bytes: neither UTF-8 nor plausible cp1251
        add("encoding", bytes(rng.randrange(0x80, 0x100) for _ in range(rng.randrange(10, 3000))))
    for data in (b"", b" ", b"\n\n\r\n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf  \n", b"\xff\xfe", b"\x00" * 100):
        add("empty", data)
    for _ in range(10):  # no words: digits, punctuation, symbols
        add("no-words", "".join(rng.choice("0123456789 .,;:-+()/\n№%") for _ in range(rng.randrange(1, 2000)))
            .encode())
    # too large or too long
    add("too-large", b"a" * (5 * 1024 * 1024 + 1))
    add("too-large", rng.randbytes(6 * 1024 * 1024))
    add("too-long", ("социальный работник " * 6000).encode())
    add("too-large-json", b'{"text": "' + b"a" * (5 * 1024 * 1024) + b'"}', kind="raw", content_type="application/json")
    # malformed JSON bodies
    for body in (b"", b"{", b'{"text": ', b"null", b"[]", b"123", b'"text"', b'{"text": null}', b'{"text": []}',
                 b'{"text": "\\ud800abc"}', b"[" * 100_000 + b"]" * 100_000, b'{"text": "x", "top": "0"}',
                 b'{"text": "\xff\xfe"}', b'{"text": "a", "kind": "vacancy", "top": 1e400}', b"\xef\xbb\xbf{}"):
        add("json", body, kind="raw", content_type="application/json")
    for _ in range(10):
        add("json", rng.randbytes(rng.randrange(1, 500)), kind="raw", content_type="application/json")
    # malformed multipart bodies
    for _ in range(10):
        add("multipart", rng.randbytes(rng.randrange(1, 2000)), kind="raw",
            content_type="multipart/form-data; boundary=xyz")
    for ct in ("multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=" + "b" * 300):
        add("multipart", _multipart("b", [b'Content-Disposition: form-data; name="file"\r\n\r\nhello']), kind="raw",
            content_type=ct)
    for parts in ([b"Content-Disposition: form-data\r\n\r\nno name"], [b"no headers at all"],
                  [b'Content-Disposition: form-data; name="other"\r\n\r\n' + RU_CV.encode()],
                  [b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'] * 9):
        add("multipart", _multipart("b", parts), kind="raw", content_type="multipart/form-data; boundary=b")
    # other content types
    for ct in ("text/plain", "application/pdf", "application/x-www-form-urlencoded", "application/xml", ""):
        add("content-type", RU_CV.encode(), kind="raw", content_type=ct)
    # the same kinds of junk at the other endpoints
    for _ in range(10):
        add("analyse", rng.randbytes(rng.randrange(1, 5000)), path="/v1/vacancies/analyse")
        add("screen", _multipart("b", [b'Content-Disposition: form-data; name="vacancy"; filename="v.pdf"\r\n\r\n'
                                       + pdf[: rng.randrange(10, 5000)],
                                       b'Content-Disposition: form-data; name="cvs"; filename="c.txt"\r\n\r\n'
                                       + RU_CV.encode()]),
            kind="raw", content_type="multipart/form-data; boundary=b", path="/v1/screen")
    return cases


@lru_cache(maxsize=1)
def mangled() -> list[Case]:
    """Damaged files that may still be readable (a 200 is fine), and odd but valid text: never a 5xx."""
    rng = random.Random(SEED + 1)
    cases: list[Case] = []
    for source, n in ((cv_pdf(), 12), (_docx(), 8)):
        for i in range(n):
            data = bytearray(source)
            for _ in range(rng.randrange(1, 40)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            cases.append(Case(f"flipped-{'pdf' if source[:4] == b'%PDF' else 'docx'}-{i:03d}", "file", bytes(data)))
    for i in range(6):
        junk = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzабвгдежзийклмнопрстуфхцчшщыэюяәіңғүұқөһ .\n")
                       for _ in range(rng.randrange(20, 800)))
        cases.append(Case(f"letters-{i:03d}", "file", junk.encode()))
    # (one unbroken "word" costs the encoder one token per letter or two: sizes kept small to keep the suite quick)
    for i, text in enumerate(["\u202e" + RU_CV, "А" * 1500, ("Ы" * 300 + "\n") * 3, "\u0301" * 500 + "слово",
                              "a\u0000" * 10 + RU_CV, "🙂 " * 300 + "социальный работник"]):
        cases.append(Case(f"odd-text-{i:03d}", "file", text.encode("utf-8")))
    return cases


def send(client: TestClient, case: Case):  # noqa: ANN201
    headers = {"X-API-Key": API_KEY}
    if case.kind == "file":
        name = NAMES[zlib.crc32(case.id.encode()) % len(NAMES)]  # names do not matter: content does
        return client.post(case.path, files={"file": (name, case.data, "application/octet-stream")}, headers=headers)
    if case.content_type:
        headers["content-type"] = case.content_type
    return client.post(case.path, content=case.data, headers=headers)


def test_the_suite_is_a_few_hundred_files() -> None:
    assert len(malformed()) >= 250
    assert len({c.id for c in malformed() + mangled()}) == len(malformed()) + len(mangled())


@pytest.mark.parametrize("case", malformed(), ids=lambda c: c.id)
def test_malformed_input_gets_a_4xx_problem(client: TestClient, case: Case) -> None:
    r = send(client, case)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == r.status_code and body["code"] and body["detail"]


@pytest.mark.parametrize("case", mangled(), ids=lambda c: c.id)
def test_mangled_input_never_gets_a_5xx(client: TestClient, case: Case) -> None:
    r = send(client, case)
    assert r.status_code < 500, (r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"


def test_server_is_alive_afterwards(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["ready"] is True
    r = client.post("/v1/match", json={"text": RU_CV, "top": 1})
    assert r.status_code == 200 and r.json()["occupations"][0]["clause"] == 11
    r = client.post("/v1/screen", json={"vacancy": RU_VACANCY, "cvs": [{"text": RU_CV}]},
                    headers={"X-API-Key": API_KEY})
    assert r.status_code == 200
