"""Batching across callers: the texts of concurrent ``queries``/``passages`` calls go to the encoder in one call.

``BatchingEncoder`` wraps any ``Encoder`` and is one itself (same ``id`` and ``dim``, same vectors: each text's
vector does not depend on the other texts of a call, up to float rounding of a different batch shape). Each call
becomes a *job* in a bounded queue; one worker thread takes the oldest job, adds the queued jobs of the same side
(query or passage) while the batch stays within ``max_tokens``, runs one encoder call and hands each caller its
rows. A job is never split, and a job larger than the budget runs alone.

Waiting for more jobs happens only under load: a job that finds the worker idle and the queue empty runs at once,
so a request's latency on an idle server does not grow. A job that had to queue (the worker was busy with another
batch) may wait up to ``max_wait`` seconds for more jobs to join its batch, until the budget is reached.

Tokens are the inner encoder's ``token_count`` when it has one (``e5``), else estimated from characters (a quarter
of the characters plus two). If a batch of several jobs fails, each job is run again alone, so that a text that
breaks the encoder fails only its own caller; a job that fails alone gets its exception. After ``close`` calls go
straight to the inner encoder.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from matcher.encoders.base import Encoder
from matcher.errors import EncoderError

log = logging.getLogger(__name__)

Side = Literal["query", "passage"]


@dataclass
class _Job:
    side: Side
    texts: list[str]
    cost: int
    waited: bool  # it found the worker busy or other jobs queued: it may wait for more jobs to join it
    future: Future = field(default_factory=Future)


@dataclass
class BatchStats:
    """Counters since the encoder was made: batches run, jobs (calls) and texts in them, the largest batch."""

    batches: int = 0
    jobs: int = 0
    texts: int = 0
    tokens: int = 0
    largest_jobs: int = 0
    retried: int = 0  # batches of several jobs that failed and were run again job by job

    def describe(self) -> str:
        if not self.batches:
            return "no batches"
        return (f"{self.batches} batches, {self.jobs / self.batches:.2f} calls and {self.texts / self.batches:.1f} "
                f"texts per batch on average, at most {self.largest_jobs} calls in one")


class BatchingEncoder:
    """An ``Encoder`` that gathers concurrent calls into one call of ``inner`` (see the module's docstring).

    ``max_tokens``: a batch closes when adding the next job would take it past this many tokens; ``max_wait``:
    seconds a batch of jobs that had to queue waits for more (0: never waits); ``max_queue``: most jobs waiting,
    beyond which callers block until there is room. Attributes of ``inner`` that this class does not define
    (``runtime``, ``runtime_reason``, ``describe_runtime`` ...) are read from it.
    """

    def __init__(self, inner: Encoder, max_tokens: int = 8192, max_wait: float = 0.003, max_queue: int = 256):
        if max_tokens < 1 or max_wait < 0 or max_queue < 1:
            raise EncoderError(f"batching: max_tokens ({max_tokens}) and max_queue ({max_queue}) must be at least 1 "
                               f"and max_wait ({max_wait}) at least 0")
        self.inner = inner
        self.id, self.dim = inner.id, inner.dim
        self.max_tokens, self.max_wait, self.max_queue = max_tokens, max_wait, max_queue
        self.stats = BatchStats()
        counter = getattr(inner, "token_count", None)
        self._token_count = counter if callable(counter) else None
        self._cond = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._busy = False  # the worker is running a batch
        self._closed = False
        self._worker: threading.Thread | None = None

    def __getattr__(self, name: str) -> object:  # only for names not found on this object
        if name == "inner":  # not set yet (a half-built object): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    # -- the Encoder protocol --------------------------------------------------------------------------------
    def queries(self, texts: list[str]) -> np.ndarray:
        return self._submit("query", texts)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._submit("passage", texts)

    # -- lifetime --------------------------------------------------------------------------------------------
    def close(self, timeout: float | None = 10.0) -> None:
        """Stop the worker once the queued jobs are done; later calls run unbatched."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        """Calls queued for a batch (not counting the batch being encoded)."""
        with self._cond:
            return len(self._queue)

    # -- the callers' side -----------------------------------------------------------------------------------
    def _cost(self, side: Side, texts: list[str]) -> int:
        if self._token_count is not None:
            query = side == "query"
            return sum(int(self._token_count(t, query=query)) for t in texts)  # type: ignore[call-arg]
        return sum(len(t) // 4 + 2 for t in texts)

    def _direct(self, side: Side, texts: list[str]) -> np.ndarray:
        return self.inner.queries(texts) if side == "query" else self.inner.passages(texts)

    def _submit(self, side: Side, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._closed:
            return self._direct(side, texts)
        cost = self._cost(side, texts)
        with self._cond:
            while len(self._queue) >= self.max_queue and not self._closed:
                self._cond.wait()
            if self._closed:
                job = None
            else:
                job = _Job(side, texts, cost, waited=self._busy or bool(self._queue))
                self._queue.append(job)
                self._ensure_worker()
                self._cond.notify_all()
        if job is None:
            return self._direct(side, texts)
        return job.future.result()

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._loop, name="matcher-encoder-batch", daemon=True)
            self._worker.start()

    # -- the worker ------------------------------------------------------------------------------------------
    def _take(self, batch: list[_Job], cost: int) -> int:
        """Move queued jobs of the batch's side into it, oldest first, while they fit the budget (lock held)."""
        side = batch[0].side
        kept: deque[_Job] = deque()
        full = False
        while self._queue:
            job = self._queue.popleft()
            if full or job.side != side:
                kept.append(job)
            elif cost + job.cost > self.max_tokens:
                kept.append(job)
                full = True  # first come, first served: a later, smaller job does not jump ahead of this one
            else:
                batch.append(job)
                cost += job.cost
        self._queue = kept
        return cost

    def _next_batch(self) -> list[_Job] | None:
        with self._cond:
            while not self._queue:
                self._busy = False
                if self._closed:
                    return None
                self._cond.wait()
            self._busy = True
            first = self._queue.popleft()
            batch = [first]
            cost = self._take(batch, first.cost)
            if first.waited and self.max_wait > 0:
                deadline = time.monotonic() + self.max_wait
                while cost < self.max_tokens and not self._closed:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                    cost = self._take(batch, cost)
            self._cond.notify_all()  # room in the queue for blocked callers
        st = self.stats
        st.batches, st.jobs, st.texts = st.batches + 1, st.jobs + len(batch), st.texts + sum(len(j.texts) for j in
                                                                                                 batch)
        st.tokens, st.largest_jobs = st.tokens + cost, max(st.largest_jobs, len(batch))
        return batch

    def _loop(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._run(batch)

    def _run(self, batch: list[_Job]) -> None:
        texts = [t for job in batch for t in job.texts]
        try:
            rows = self._checked(batch[0].side, texts)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the callers
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            self.stats.retried += 1
            for job in batch:
                self._run([job])
            return
        pos = 0
        for job in batch:
            n = len(job.texts)
            job.future.set_result(rows[pos : pos + n].copy())
            pos += n

    def _checked(self, side: Side, texts: list[str]) -> np.ndarray:
        rows = np.asarray(self._direct(side, texts))
        if rows.ndim != 2 or rows.shape[0] != len(texts):
            raise EncoderError(f"the encoder returned an array of shape {rows.shape} for {len(texts)} texts")
        return rows
