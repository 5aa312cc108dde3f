"""``BatchingEncoder``: concurrent calls share one encoder call and get exactly their own rows back.

Fast tests drive it with the deterministic hashing encoder behind a *gate*: the gate holds the first encoder call
until the test has queued the calls it wants batched, so which calls share a batch is decided by the test, not by
the scheduler. The real ``e5`` encoder is compared batched against unbatched in a slow test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from matcher.config import Settings
from matcher.encoders import BatchingEncoder
from matcher.errors import EncoderError

TEXTS = [
    "Әлеуметтік қызметкер: мүгедектігі бар адамдарға үйде қызмет көрсету, 5 жыл тәжірибе.",
    "Социальный работник, уход за пожилыми на дому, оформление документов на пособия.",
    "Sign language interpreter for deaf clients in courts and hospitals.",
    "Сурдопереводчик",
    "x" * 700,
    "Жестовый язык, дактилирование.",
]


class Gate:
    """Wraps an encoder: records every call (side, texts, thread) and holds the first ``hold`` calls until
    ``release``; texts in ``fail_on`` make a call raise."""

    def __init__(self, inner: object, hold: int = 0, fail_on: tuple[str, ...] = (), token_count: bool = False):
        self.inner, self.id, self.dim = inner, inner.id, inner.dim  # type: ignore[attr-defined]
        self.calls: list[tuple[str, list[str], str]] = []
        self.hold = hold
        self.entered = threading.Event()
        self.released = threading.Event()
        self.fail_on = fail_on
        self.runtime = "gate-runtime"
        if token_count:
            self.token_count = lambda text, query=False: 100  # type: ignore[method-assign]

    def release(self) -> None:
        self.released.set()

    def _call(self, side: str, texts: list[str]) -> np.ndarray:
        self.calls.append((side, list(texts), threading.current_thread().name))
        if len(self.calls) <= self.hold:
            self.entered.set()
            assert self.released.wait(30), "the test never released the gate"
        if any(t in self.fail_on for t in texts):
            raise EncoderError("the gate refuses this text")
        return self.inner.queries(texts) if side == "query" else self.inner.passages(texts)  # type: ignore

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._call("query", texts)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._call("passage", texts)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` (a state of the threads under test) for up to 30 s; no timing is asserted."""
    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


class Calls:
    """Calls of the batching encoder from their own threads; ``results`` and ``errors`` by call index."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.results: dict[int, np.ndarray] = {}
        self.errors: dict[int, BaseException] = {}

    def start(self, fn: Callable[[list[str]], np.ndarray], texts: list[str]) -> int:
        i = len(self.threads)

        def run() -> None:
            try:
                self.results[i] = fn(texts)
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                self.errors[i] = exc

        t = threading.Thread(target=run, name=f"caller-{i}")
        self.threads.append(t)
        t.start()
        return i

    def join(self) -> None:
        for t in self.threads:
            t.join(30)
            assert not t.is_alive(), "a caller never got its answer"


def test_sequential_calls_are_the_inner_encoders_vectors(hash_encoder) -> None:  # noqa: ANN001
    enc = BatchingEncoder(hash_encoder)
    try:
        assert (enc.id, enc.dim) == (hash_encoder.id, hash_encoder.dim)
        np.testing.assert_array_equal(enc.queries(TEXTS), hash_encoder.queries(TEXTS))
        np.testing.assert_array_equal(enc.passages(TEXTS[:2]), hash_encoder.passages(TEXTS[:2]))
        empty = enc.queries([])
        assert empty.shape == (0, hash_encoder.dim) and empty.dtype == np.float32
        assert enc.stats.batches == 2 and enc.stats.jobs == 2  # the empty call never reached the encoder
    finally:
        enc.close()


def test_attributes_of_the_inner_encoder_are_read_through(hash_encoder) -> None:  # noqa: ANN001
    gate = Gate(hash_encoder)
    enc = BatchingEncoder(gate)  # type: ignore[arg-type]
    assert enc.runtime == "gate-runtime"  # what the index manifest records
    with pytest.raises(AttributeError):
        enc.no_such_attribute  # noqa: B018
    enc.close()


def test_concurrent_calls_share_one_encoder_call_and_get_their_own_rows(hash_encoder) -> None:  # noqa: ANN001
    gate = Gate(hash_encoder, hold=1)
    enc = BatchingEncoder(gate, max_tokens=100_000, max_wait=0.0)  # type: ignore[arg-type]
    calls = Calls()
    jobs = [TEXTS[i % len(TEXTS):] + [f"request {i}"] for i in range(12)]
    first = calls.start(enc.queries, ["the first request, alone"])
    assert gate.entered.wait(30)
    for texts in jobs:
        calls.start(enc.queries, texts)
    wait_for(lambda: enc.pending == len(jobs), "every call queued")
    gate.release()
    calls.join()
    assert calls.errors == {}
    # the first call ran alone (the worker was idle); the twelve that queued behind it ran as one call
    assert [len(texts) for _, texts, _ in gate.calls] == [1, sum(len(t) for t in jobs)]
    assert {thread for *_, thread in gate.calls} == {"matcher-encoder-batch"}
    np.testing.assert_array_equal(calls.results[first], hash_encoder.queries(["the first request, alone"]))
    for i, texts in enumerate(jobs, start=1):
        np.testing.assert_array_equal(calls.results[i], hash_encoder.queries(texts))
    assert (enc.stats.batches, enc.stats.jobs, enc.stats.largest_jobs) == (2, 13, 12)
    enc.close()


def test_a_batch_closes_at_the_token_budget_and_never_mixes_sides(hash_encoder) -> None:  # noqa: ANN001
    gate = Gate(hash_encoder, hold=1, token_count=True)  # 100 tokens a text
    enc = BatchingEncoder(gate, max_tokens=250, max_wait=0.0)  # type: ignore[arg-type]
    calls = Calls()
    calls.start(enc.queries, ["held"])
    assert gate.entered.wait(30)
    plan = [("query", ["q1"]), ("passage", ["p1"]), ("query", ["q2"]), ("query", ["q3", "q4"]),
            ("passage", ["p2", "p3", "p4"]), ("query", ["q5"])]
    for side, texts in plan:
        calls.start(enc.queries if side == "query" else enc.passages, texts)
        queued = len(calls.threads) - 1
        wait_for(lambda n=queued: enc.pending == n, "the call queued")  # keep the order
    gate.release()
    calls.join()
    assert calls.errors == {}
    batches = [(side, texts) for side, texts, _ in gate.calls[1:]]
    # oldest first; a batch takes the queued calls of its side while they fit 250 tokens (2 texts); a call larger
    # than the budget runs alone; a later call never jumps ahead of one that did not fit
    assert batches == [("query", ["q1", "q2"]), ("passage", ["p1"]), ("query", ["q3", "q4"]),
                       ("passage", ["p2", "p3", "p4"]), ("query", ["q5"])]
    for i, (side, texts) in enumerate(plan, start=1):
        want = hash_encoder.queries(texts) if side == "query" else hash_encoder.passages(texts)
        np.testing.assert_array_equal(calls.results[i], want)
    enc.close()


def test_without_a_tokenizer_the_budget_counts_characters(hash_encoder) -> None:  # noqa: ANN001
    gate = Gate(hash_encoder, hold=1)
    enc = BatchingEncoder(gate, max_tokens=200, max_wait=0.0)  # type: ignore[arg-type]
    calls = Calls()
    calls.start(enc.queries, ["held"])
    assert gate.entered.wait(30)
    for texts in (["a" * 396], ["b" * 396], ["c" * 4]):  # 396 / 4 + 2 = 101 tokens each, then 3
        calls.start(enc.queries, texts)
        queued = len(calls.threads) - 1
        wait_for(lambda n=queued: enc.pending == n, "the call queued")
    gate.release()
    calls.join()
    assert [texts for _, texts, _ in gate.calls[1:]] == [["a" * 396], ["b" * 396, "c" * 4]]
    enc.close()


def test_an_idle_call_does_not_wait_for_company(hash_encoder) -> None:  # noqa: ANN001
    """With an hour's wait configured, a call on an idle encoder still returns: only a call that had to queue
    waits for others (and that wait ends when the budget is reached, as here at the second call)."""
    enc = BatchingEncoder(hash_encoder, max_tokens=10, max_wait=3600.0)
    calls = Calls()
    calls.start(enc.queries, ["alone on an idle server"])
    calls.join()
    np.testing.assert_array_equal(calls.results[0], hash_encoder.queries(["alone on an idle server"]))
    enc.close()


def test_a_failing_text_fails_only_its_own_call(hash_encoder) -> None:  # noqa: ANN001
    gate = Gate(hash_encoder, hold=1, fail_on=("boom",))
    enc = BatchingEncoder(gate, max_wait=0.0)  # type: ignore[arg-type]
    calls = Calls()
    calls.start(enc.queries, ["held"])
    assert gate.entered.wait(30)
    for texts in (["fine 1"], ["boom", "fine 2"], ["fine 3"]):
        calls.start(enc.queries, texts)
    wait_for(lambda: enc.pending == 3, "every call queued")
    gate.release()
    calls.join()
    assert set(calls.errors) == {2} and isinstance(calls.errors[2], EncoderError)
    np.testing.assert_array_equal(calls.results[1], hash_encoder.queries(["fine 1"]))
    np.testing.assert_array_equal(calls.results[3], hash_encoder.queries(["fine 3"]))
    assert enc.stats.retried == 1
    # the worker survives: the next call works
    np.testing.assert_array_equal(enc.queries(["after"]), hash_encoder.queries(["after"]))
    enc.close()


def test_an_encoder_that_always_fails_fails_every_caller(hash_encoder) -> None:  # noqa: ANN001
    class Broken:
        id, dim = "broken", 8

        def queries(self, texts: list[str]) -> np.ndarray:
            raise EncoderError("broken", "model_cache")

        passages = queries

    class Short(Broken):
        def queries(self, texts: list[str]) -> np.ndarray:
            return np.zeros((len(texts) - 1, 8), np.float32)

    for inner, code in ((Broken(), "model_cache"), (Short(), "encoder")):
        enc = BatchingEncoder(inner)  # type: ignore[arg-type]
        calls = Calls()
        for i in range(5):
            calls.start(enc.queries, [f"text {i}", "more"])
        calls.join()
        assert set(calls.errors) == set(range(5))
        assert {e.code for e in calls.errors.values()} == {code}  # type: ignore[attr-defined]
        enc.close()


def test_the_queue_is_bounded(hash_encoder) -> None:  # noqa: ANN001
    gate = Gate(hash_encoder, hold=1)
    enc = BatchingEncoder(gate, max_queue=2, max_wait=0.0)  # type: ignore[arg-type]
    calls = Calls()
    calls.start(enc.queries, ["held"])
    assert gate.entered.wait(30)
    for i in range(6):
        calls.start(enc.queries, [f"text {i}"])
    wait_for(lambda: enc.pending == 2 and sum(t.is_alive() for t in calls.threads) == 7, "the queue filled")
    assert enc.pending == 2  # four callers block outside the queue
    gate.release()
    calls.join()
    assert calls.errors == {} and len(calls.results) == 7
    for i in range(6):
        np.testing.assert_array_equal(calls.results[i + 1], hash_encoder.queries([f"text {i}"]))
    enc.close()


def test_after_close_calls_go_straight_to_the_encoder(hash_encoder) -> None:  # noqa: ANN001
    gate = Gate(hash_encoder)
    enc = BatchingEncoder(gate)  # type: ignore[arg-type]
    enc.queries(["batched"])
    enc.close()
    assert enc.closed
    np.testing.assert_array_equal(enc.queries(["direct"]), hash_encoder.queries(["direct"]))
    assert [(texts, thread) for _, texts, thread in gate.calls] == [
        (["batched"], "matcher-encoder-batch"), (["direct"], threading.current_thread().name)]


def test_bad_parameters_are_refused(hash_encoder) -> None:  # noqa: ANN001
    for kwargs in ({"max_tokens": 0}, {"max_wait": -1.0}, {"max_queue": 0}):
        with pytest.raises(EncoderError) as exc:
            BatchingEncoder(hash_encoder, **kwargs)
        assert exc.value.code == "encoder"


@pytest.mark.slow
def test_e5_vectors_batched_across_calls_equal_unbatched() -> None:
    """The real encoder: segments of several CVs encoded in one call (other lengths, other padding) give the
    vectors each CV gets alone."""
    from helpers import EN_CV, KK_CV, RU_CV

    from matcher.encoders import get_encoder
    from matcher.text import prepare_segments

    e5 = get_encoder(Settings())
    docs = [[s.text for s in prepare_segments(cv)] for cv in (RU_CV, EN_CV, KK_CV)] + [TEXTS]
    alone = [e5.queries(d) for d in docs]
    gate = Gate(e5, hold=1)
    enc = BatchingEncoder(gate, max_wait=0.0)  # type: ignore[arg-type]
    calls = Calls()
    calls.start(enc.queries, ["held"])
    assert gate.entered.wait(60)
    for d in docs:
        calls.start(enc.queries, d)
    wait_for(lambda: enc.pending == len(docs), "every call queued")
    gate.release()
    calls.join()
    assert calls.errors == {} and len(gate.calls) == 2  # the four documents shared one call
    for i, want in enumerate(alone, start=1):
        np.testing.assert_allclose(calls.results[i], want, rtol=0, atol=1e-6)
    enc.close()
