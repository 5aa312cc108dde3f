"""What the app holds for its lifetime: settings, the standard, the ``Matcher`` (loaded once, in a thread, by the
lifespan), the per-client limits and the two bounded pools that CPU work runs in.

* Matching (the encoder) runs at most ``encoder_concurrency`` jobs at once; the other requests wait in the queue
  for at most ``queue_timeout`` seconds, then get 429 ``busy``. How many requests can wait at all is bounded by
  ``max_pending`` (``api.middleware.Admission``), so a burst queues instead of exhausting memory.
* With ``batching`` (the default) the matcher's encoder is a ``matcher.encoders.batching.BatchingEncoder``: the
  segments of the jobs running at once go to the encoder in one call (same vectors; a job on an idle server does
  not wait). Each job's other CPU work that uses OpenMP (FAISS's search; scikit-learn when a model is fitted) runs
  with ``match_omp_threads`` OpenMP threads, so that concurrent jobs share the cores instead of spinning against each
  other.
* Reading documents (pypdf, python-docx) runs in child processes (``matcher.text.sandbox.ParsePool``), at most
  ``parse_workers`` at once, each under ``parse_memory`` of address space and killed at ``parse_timeout``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from threadpoolctl import ThreadpoolController

from api.errors import ApiError
from api.limits import ClientLimits
from matcher import standard
from matcher.config import Settings
from matcher.encoders import BatchingEncoder, Encoder, get_encoder
from matcher.engine import Matcher
from matcher.standard.schema import Standard
from matcher.text.documents import DocumentLimits, ExtractedText
from matcher.text.sandbox import ParsePool

log = logging.getLogger("matcher.api")

T = TypeVar("T")


class _Pool:
    """A capacity limiter for one event loop (re-created if the app is driven from another loop, as test clients
    without a lifespan do)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._limiter: anyio.CapacityLimiter | None = None

    def limiter(self) -> anyio.CapacityLimiter:
        loop = asyncio.get_running_loop()
        if self._limiter is None or self._loop is not loop:
            self._loop, self._limiter = loop, anyio.CapacityLimiter(self.size)
        return self._limiter


class Service:
    def __init__(self, settings: Settings, matcher: Matcher | None = None) -> None:
        self.settings = settings
        self.limits = DocumentLimits(
            max_bytes=settings.max_request_bytes, max_pages=settings.max_pages, max_chars=settings.max_text_chars,
            max_docx_uncompressed=settings.max_docx_uncompressed, max_parse_seconds=settings.parse_timeout,
        )
        self.matcher: Matcher | None = matcher
        self.standard: Standard = matcher.std if matcher else standard.load(settings)
        self.load_error: str | None = None
        self._encoder_pool = _Pool(settings.encoder_concurrency)
        self.parser = ParsePool(settings.parse_workers, settings.parse_memory)
        self._parse_pool = _Pool(settings.parse_workers)  # the threads that wait for the parser's processes
        self.clients = ClientLimits(settings.client_concurrency, settings.client_rate, settings.client_budget)
        self._loader: threading.Thread | None = None
        self.batcher: BatchingEncoder | None = None  # the batching encoder of a matcher this service loaded
        self._threadpools: ThreadpoolController | None = None

    # -- loading -------------------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.matcher is not None

    @property
    def status(self) -> str:
        return "ready" if self.ready else ("failed" if self.load_error else "loading")

    def start(self) -> None:
        """What the lifespan starts: the parser's processes and the loading of the matcher."""
        self.parser.start()
        self.start_loading()

    def close(self) -> None:
        """Stop the parser's processes and the encoder's batching worker (at shutdown)."""
        self.parser.close()
        if self.batcher is not None:
            self.batcher.close()
            log.info("encoder batching: %s", self.batcher.stats.describe())

    def start_loading(self) -> None:
        """Load the encoder and index (building the index on a first run) in a daemon thread."""
        if self.matcher is not None or self._loader is not None:
            return
        self._loader = threading.Thread(target=self._load, name="matcher-load", daemon=True)
        self._loader.start()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Block until the loading thread has finished (ready or failed); True if ready."""
        if self._loader is not None:
            self._loader.join(timeout)
        return self.ready

    def _load(self) -> None:
        started = time.perf_counter()
        log.info("loading the encoder and the index (a first run builds the index: about a minute)")
        try:
            self.matcher = Matcher.create(self.settings, encoder=self._encoder())
        except Exception as exc:  # a configuration or data problem: say so, keep /healthz and /readyz answering
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.error("the matcher could not be loaded: %s", self.load_error)
            return
        log.info("ready in %.1f s (%d index entries)", time.perf_counter() - started, self.matcher.index_size)

    def _encoder(self) -> Encoder:
        """The process's shared encoder, wrapped in a ``BatchingEncoder`` when ``batching`` is on."""
        s = self.settings
        if s.e5_spinning is None:  # several jobs at once: ONNX Runtime's spinning threads would take their cores
            s = s.model_copy(update={"e5_spinning": s.encoder_concurrency <= 1})
        encoder = get_encoder(s)
        if not s.batching:
            return encoder
        self.batcher = BatchingEncoder(encoder, max_tokens=s.batch_max_tokens, max_wait=s.batch_wait_ms / 1000,
                                       max_queue=s.batch_max_queue)
        return self.batcher

    def require_matcher(self) -> Matcher:
        if self.matcher is None:
            detail = ("The service is starting and is loading its index. Please try again in a minute."
                      if self.load_error is None else
                      "The service could not load its index; the operator has been told in the server log.")
            raise ApiError(503, "not_ready", detail, {"Retry-After": "10"})
        return self.matcher

    # -- bounded work --------------------------------------------------------------------------------------
    async def run_matching(self, func: Callable[..., T], *args: object) -> T:
        """Run a matcher call in the encoder pool, after queueing for at most ``queue_timeout`` seconds."""
        limiter = self._encoder_pool.limiter()
        with anyio.move_on_after(self.settings.queue_timeout) as waited:
            await limiter.acquire()
        if waited.cancelled_caught:
            raise ApiError(429, "busy", "The service is busy with other requests. Please try again in a minute.",
                           {"Retry-After": "30"})
        try:
            return await anyio.to_thread.run_sync(functools.partial(self._limited_threads, func, *args))
        finally:
            limiter.release()

    def _limited_threads(self, func: Callable[..., T], *args: object) -> T:
        """``func(*args)`` with ``match_omp_threads`` OpenMP threads in this (worker) thread only: the setting is
        per thread in OpenMP, so other threads keep theirs."""
        n = self.settings.match_omp_threads
        if not n:
            return func(*args)
        if self._threadpools is None:  # made once the matcher has loaded the OpenMP libraries (FAISS's)
            self._threadpools = ThreadpoolController()
        with self._threadpools.limit(limits=n, user_api="openmp"):
            return func(*args)

    async def read_document(self, data: bytes) -> ExtractedText:
        """Type by content, limits, parse-time limit: a PDF or DOCX is parsed in a child process of the parser."""
        return await anyio.to_thread.run_sync(
            functools.partial(self.parser.extract, data, self.limits), limiter=self._parse_pool.limiter())
