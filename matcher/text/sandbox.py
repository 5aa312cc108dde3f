"""PDF and DOCX uploads parsed in child processes, so that a hostile file can hold neither the CPU nor the memory
of the process that asked.

:class:`ParsePool` has ``size`` slots, and never more than ``size`` parses are alive. Each slot is a small *host*
process: a fresh interpreter that imports this module, pypdf and python-docx, and nothing else of the service (no
spaCy, no model, no settings; its environment is empty, so it never sees a key). For each document the host forks
a child that

* sets ``RLIMIT_AS`` (``memory_bytes``; running out is ``too_large`` / ``docx_too_large``), ``RLIMIT_CPU`` (the
  time limit, rounded up, plus one second), ``RLIMIT_FSIZE`` 0 (it never writes a file) and ``RLIMIT_CORE`` 0;
* runs at a lower CPU priority (nice 10), so the caller's own work goes first;
* parses (``matcher.text.documents.parse``), sends the text back and exits, so the memory it took returns to the
  system whatever the parser did.

The host kills the child at the wall-clock limit (``timeout``) and reaps it before it answers, so when
:meth:`ParsePool.extract` returns, the parse is over. Should a host itself stop answering, the caller kills it
(and its children: each host leads its own process group) and starts another on the next parse.

Only JSON crosses the pipes, never pickle: a parser tricked into running code in the child still cannot make
the caller run any. Plain-text uploads are decoded in the caller (linear in their size, bounded by ``max_bytes``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from matcher.errors import CODES, DocumentError
from matcher.text import documents
from matcher.text.documents import DocumentKind, DocumentLimits, ExtractedText

__all__ = ["ParsePool"]

_MB = 1024 * 1024
_HEADER = struct.Struct(">I")
_MAX_FRAME = 64 * _MB  # a sanity bound on one message; real ones are the upload (<= max_bytes) or its text
_GRACE_S = 5.0  # how much longer than the parse limit the caller waits for a host before it kills the host
_DOCUMENT_CODES = frozenset(CODES[DocumentError])

# The host: a fresh interpreter that loads matcher.text.sandbox without running matcher/text/__init__.py (which
# imports spaCy), from the folders given on its command line.
_BOOT = """import sys, types
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[2])
package = types.ModuleType("matcher.text")
package.__path__ = [sys.argv[1]]
sys.modules["matcher.text"] = package
from matcher.text.sandbox import _host_main
_host_main()
"""


# --------------------------------------------------------------------------- framing (both sides)


def _read_exact(read: Any, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = read(n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _pack(obj: dict[str, Any]) -> bytes:
    payload = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return _HEADER.pack(len(payload)) + payload


def _unpack(payload: bytes) -> dict[str, Any]:
    obj = json.loads(payload.decode("utf-8", "surrogatepass"))
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return obj


# --------------------------------------------------------------------------- the host process


def _host_main() -> None:
    """Serve parse requests from stdin, one at a time, until stdin closes (the caller went away)."""
    # The caller's Ctrl-C is for the caller: the host ends when its stdin closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import docx  # noqa: F401  - loaded once here, so every child starts with them
    import docx.oxml  # noqa: F401
    import lxml.etree  # noqa: F401
    import pypdf  # noqa: F401
    import pypdf._text_extraction  # noqa: F401
    import pypdf.filters  # noqa: F401

    # The answers go out on a private copy of stdout; fd 1 and 2 point to /dev/null, so nothing a library prints
    # can get into them.
    stdin = os.fdopen(os.dup(0), "rb", buffering=0)
    stdout = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    _HOST_FDS[:] = [stdin.fileno(), stdout.fileno()]
    stdout.write(b"R")  # ready
    stdout.flush()
    while True:
        head = _read_exact(stdin.read, _HEADER.size)
        if head is None:
            return
        (length,) = _HEADER.unpack(head)
        payload = _read_exact(stdin.read, length)
        if payload is None:
            return
        request = _unpack(payload)
        data = _read_exact(stdin.read, int(request["size"]))
        if data is None:
            return
        stdout.write(_pack(_run_child(data, request)))
        stdout.flush()


_HOST_FDS: list[int] = []  # the host's pipes to the caller, closed in each child


def _corrupt(kind: str) -> dict[str, Any]:
    return {"ok": False, "code": "docx_corrupt" if kind == "docx" else "pdf_corrupt"}


def _run_child(data: bytes, request: dict[str, Any]) -> dict[str, Any]:
    """Fork a child that parses ``data``; wait for its answer at most ``timeout`` seconds, then kill it."""
    kind = request["kind"]
    timeout = float(request["timeout"])
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 0
        try:
            for fd in (read_end, *_HOST_FDS):
                os.close(fd)
            _child(data, request, write_end)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    timed_out = too_big = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_end], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break  # the child closed its end: it is done, or dead
            chunks.append(chunk)
            size += len(chunk)
            if size > _MAX_FRAME:
                too_big = True
                break
    finally:
        os.close(read_end)
        if timed_out or too_big:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)  # reaped before the answer: the parse is over
    if timed_out:
        return {"ok": False, "code": "timeout"}
    if os.WIFSIGNALED(status):
        # the CPU limit (SIGXCPU, then SIGKILL at the hard limit) is the time limit too
        cpu = os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)
        return {"ok": False, "code": "timeout"} if cpu else _corrupt(kind)
    raw = b"".join(chunks)
    try:
        (length,) = _HEADER.unpack(raw[: _HEADER.size])
        return _unpack(raw[_HEADER.size : _HEADER.size + length])
    except (struct.error, ValueError):
        return _corrupt(kind)


def _child(data: bytes, request: dict[str, Any], out: int) -> None:
    import resource

    memory = int(request["memory"])
    cpu = math.ceil(float(request["timeout"])) + 1
    os.nice(10)  # below the server: matching goes first while a hostile file is being read
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails (EFBIG) instead of killing the child
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    kind: DocumentKind = request["kind"]
    limits = DocumentLimits(**request["limits"])
    truncate = bool(request["truncate"])
    # made before the parse: when memory runs out, sending this needs none
    out_of_memory = _pack({"ok": False, "code": "docx_too_large" if kind == "docx" else "too_large"})
    try:
        try:
            text, pages = documents.parse(data, kind, limits, truncate)
            doc = documents.finish(text, kind, pages, limits, truncate)
            reply: dict[str, Any] = {"ok": True, "text": doc.text, "pages": doc.pages, "truncated": doc.truncated}
        except DocumentError as exc:
            reply = {"ok": False, "code": exc.code, "message": exc.message}
        del data
        payload = _pack(reply)
    except MemoryError:
        payload = out_of_memory
    view = memoryview(payload)
    while view:
        view = view[os.write(out, view) :]


# --------------------------------------------------------------------------- the caller's side


class _HostFailed(Exception):
    """The host did not answer. ``gone``: it died (its pipes closed), which no document can cause (only its children
    parse), so a fresh host may be given the same document; otherwise it passed the caller's deadline."""

    def __init__(self, why: str, gone: bool = False) -> None:
        super().__init__(why)
        self.gone = gone


class _Host:
    def __init__(self) -> None:
        text_dir = Path(documents.__file__).resolve().parent
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(text_dir), str(text_dir.parent.parent)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True,
            start_new_session=True,  # its own process group: killed with its children, spared the caller's Ctrl-C
        )
        self.ready = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self, n: int, deadline: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        chunks, got = [], 0
        while got < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _HostFailed("deadline")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, n - got)
            if not chunk:
                raise _HostFailed("closed", gone=True)
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def wait_ready(self, deadline: float) -> None:
        if not self.ready:
            if self._read(1, deadline) != b"R":
                raise _HostFailed("no greeting")
            self.ready = True

    def run(self, data: bytes, request: dict[str, Any], deadline: float) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.wait_ready(deadline)
        try:
            self.proc.stdin.write(_pack({**request, "size": len(data)}))
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _HostFailed("closed", gone=True) from exc
        (length,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if length > _MAX_FRAME:
            raise _HostFailed("reply too large")
        try:
            return _unpack(self._read(length, deadline))
        except ValueError as exc:
            raise _HostFailed("bad reply") from exc

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # the host and any child it forked
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self.proc.wait()


class ParsePool:
    """Parse uploads in child processes; at most ``size`` at once (the other callers wait for a slot).

    Blocking: call :meth:`extract` from a worker thread (the API runs it in a thread pool of the same size)."""

    def __init__(self, size: int = 2, memory_bytes: int = 512 * _MB) -> None:
        if size < 1:
            raise ValueError("a parse pool needs at least one slot")
        self.size = size
        self.memory_bytes = memory_bytes
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Host] = []
        self._all: set[_Host] = set()
        self._closed = False
        # the hosts go when the pool does (or the interpreter exits), even if close() is never called
        weakref.finalize(self, _close_hosts, self._all)

    def start(self) -> None:
        """Start the hosts now (they take a fraction of a second each), so the first uploads do not wait. Reopens
        a closed pool: an app whose lifespan runs again in the same process (a restarted server, test clients)
        parses again instead of failing every upload."""
        with self._lock:
            self._closed = False
            while len(self._all) < self.size and not self._closed:
                host = _Host()
                self._all.add(host)
                self._idle.append(host)

    def host_pids(self) -> list[int]:
        """The process ids of the hosts alive now (each has at most one child, only while it parses)."""
        with self._lock:
            return [h.pid for h in self._all if h.proc.poll() is None]

    def _take(self) -> _Host:
        with self._lock:
            if self._closed:
                raise RuntimeError("the parse pool is closed")
            while self._idle:
                host = self._idle.pop()
                if host.proc.poll() is None:
                    return host
                self._all.discard(host)
                host.close()
            host = _Host()
            self._all.add(host)
            return host

    def _give(self, host: _Host) -> None:
        with self._lock:
            if self._closed:
                self._all.discard(host)
                host.close()
            else:
                self._idle.append(host)

    def _drop(self, host: _Host) -> None:
        with self._lock:
            self._all.discard(host)
        host.close()

    def extract(self, data: bytes, limits: DocumentLimits | None = None, truncate: bool = False) -> ExtractedText:
        """What ``matcher.text.documents.extract`` gives, with the parse of a PDF or DOCX in a child process."""
        limits = limits or DocumentLimits()
        kind = documents.check_upload(data, limits)
        if kind == "text":
            return documents.finish(documents.decode_text(data), kind, None, limits, truncate)
        request = {"kind": kind, "limits": limits.model_dump(), "truncate": truncate,
                   "timeout": limits.max_parse_seconds, "memory": self.memory_bytes}
        with self._slots:
            for attempt in (1, 2):
                host = self._take()
                started = time.monotonic()
                try:
                    host.wait_ready(started + 60.0)  # a new host's start (imports) is not the document's time
                    started = time.monotonic()
                    reply = host.run(data, request, started + limits.max_parse_seconds + _GRACE_S)
                except _HostFailed as exc:
                    self._drop(host)
                    if exc.gone and attempt == 1:
                        continue  # the host died (not of the document: it parses nothing): try a fresh one
                    timed_out = time.monotonic() - started >= limits.max_parse_seconds
                    reply = {"ok": False, "code": "timeout"} if timed_out else _corrupt(kind)
                else:
                    self._give(host)
                break
        return self._answer(reply, kind, limits, truncate)

    @staticmethod
    def _answer(reply: dict[str, Any], kind: DocumentKind, limits: DocumentLimits, truncate: bool) -> ExtractedText:
        if reply.get("ok") is True and isinstance(reply.get("text"), str):
            pages = reply.get("pages")
            doc = documents.finish(reply["text"], kind, pages if isinstance(pages, int) else None, limits, truncate)
            return doc.model_copy(update={"truncated": True}) if reply.get("truncated") is True else doc
        code = reply.get("code")
        if code not in _DOCUMENT_CODES:
            code = _corrupt(kind)["code"]
        message = reply.get("message")
        if not isinstance(message, str) or not message:
            message = _MESSAGES.get(code, _MESSAGES["pdf_corrupt" if kind == "pdf" else "docx_corrupt"])
        raise DocumentError(code=code, message=message[:500])

    def close(self) -> None:
        """Stop every host (and any parse in progress). The pool cannot be used afterwards."""
        with self._lock:
            self._closed = True
            self._idle = []
        _close_hosts(self._all)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close_hosts(hosts: set[_Host]) -> None:
    while hosts:
        hosts.pop().close()


_MESSAGES = {
    "timeout": documents.TIMEOUT_MESSAGE,
    "too_large": "Reading the document needs far more memory than a CV could. Please upload a simpler or smaller "
                 "file.",
    "docx_too_large": "The Word document expands to far more data than a CV could contain and was rejected.",
    "pdf_corrupt": "The PDF file is damaged or incomplete and cannot be read.",
    "docx_corrupt": "The Word document is damaged or incomplete and cannot be read.",
}
