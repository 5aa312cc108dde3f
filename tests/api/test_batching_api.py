"""Batching in the API: the service wraps the encoder it loads in a ``BatchingEncoder`` (``MATCHER_BATCHING``),
concurrent ``POST /v1/match`` requests share encoder calls and each gets the answer it would get alone, and each
matching job runs with ``MATCHER_MATCH_OMP_THREADS`` OpenMP threads in its own thread only.

The hashing encoder stands in for the model (deterministic, loads in milliseconds); a gate holds the first encoder
call of the queries side until the test has the other requests queued, so the batch is decided by the test.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import anyio
import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import EN_CV, KK_CV, RU_CV, RU_VACANCY, onnx_spins
from threadpoolctl import ThreadpoolController

import api.service
from api.app import create_app
from api.service import Service
from matcher.config import Settings
from matcher.encoders import BatchingEncoder
from matcher.engine import Matcher

UNLIMITED = {"client_concurrency": 0, "client_rate": 0, "client_budget": 0}


class QueryGate:
    """The hashing encoder, with the first ``queries`` call held until ``release`` (passages: the index build)."""

    def __init__(self, inner: object) -> None:
        self.inner, self.id, self.dim = inner, inner.id, inner.dim  # type: ignore[attr-defined]
        self.entered, self.released = threading.Event(), threading.Event()
        self.query_calls: list[int] = []

    def queries(self, texts: list[str]) -> np.ndarray:
        self.query_calls.append(len(texts))
        if len(self.query_calls) == 1:
            self.entered.set()
            assert self.released.wait(30), "the test never released the gate"
        return self.inner.queries(texts)  # type: ignore[attr-defined]

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.passages(texts)  # type: ignore[attr-defined]


def wait_for(condition, what: str) -> None:  # noqa: ANN001
    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


@pytest.mark.parametrize("batching", [True, False])
def test_the_service_batches_the_encoder_it_loads(batching: bool, monkeypatch: pytest.MonkeyPatch,
                                                  hash_encoder, tmp_path: Path) -> None:  # noqa: ANN001
    monkeypatch.setattr(api.service, "get_encoder", lambda settings: hash_encoder)
    svc = Service(Settings(index_dir=tmp_path, batching=batching, batch_max_tokens=500, batch_wait_ms=7,
                           batch_max_queue=9))
    svc.start_loading()
    assert svc.wait_loaded(60), svc.load_error
    enc = svc.matcher.encoder  # type: ignore[union-attr]
    if not batching:
        assert enc is hash_encoder and svc.batcher is None
        return
    assert isinstance(enc, BatchingEncoder) and enc is svc.batcher and enc.inner is hash_encoder
    assert (enc.id, enc.max_tokens, enc.max_wait, enc.max_queue) == (hash_encoder.id, 500, 0.007, 9)
    svc.matcher.match(RU_CV)  # type: ignore[union-attr]
    svc.close()
    assert enc.closed and enc.stats.batches >= 2  # the index build and the match went through it


def test_concurrent_requests_share_encoder_calls_and_get_their_own_answers(
        monkeypatch: pytest.MonkeyPatch, hash_encoder, hash_matcher: Matcher, tmp_path: Path) -> None:  # noqa: ANN001
    gate = QueryGate(hash_encoder)
    monkeypatch.setattr(api.service, "get_encoder", lambda settings: gate)
    app = create_app(Settings(index_dir=tmp_path, batching=True, encoder_concurrency=8, batch_wait_ms=0,
                              **UNLIMITED))
    texts = [RU_CV, EN_CV, KK_CV, RU_VACANCY, RU_CV + "\nВодительские права категории B.", EN_CV[:400]]
    answers: dict[int, tuple[int, dict]] = {}
    with TestClient(app) as client:
        svc: Service = app.state.service
        assert svc.wait_loaded(60), svc.load_error

        def post(i: int) -> None:
            r = client.post("/v1/match", json={"text": texts[i], "top": 3})
            answers[i] = (r.status_code, r.json())

        threads = [threading.Thread(target=post, args=(0,))]
        threads[0].start()
        assert gate.entered.wait(30)  # the first request is in the encoder, alone
        for i in range(1, len(texts)):
            threads.append(threading.Thread(target=post, args=(i,)))
            threads[-1].start()
        wait_for(lambda: svc.batcher is not None and svc.batcher.pending == len(texts) - 1, "all requests queued")
        gate.released.set()
        for t in threads:
            t.join(60)
        batcher = svc.batcher
    assert batcher is not None and batcher.closed  # the lifespan's end stopped the worker
    assert len(gate.query_calls) == 2  # one call for the first request, one for the five that queued behind it
    assert batcher.stats.largest_jobs == len(texts) - 1
    for i, text in enumerate(texts):
        status, body = answers[i]
        assert status == 200, body
        assert body == json.loads(hash_matcher.match(text, "cv", 3).model_dump_json())  # as matched alone


@pytest.mark.parametrize("threads", [1, 2])
def test_a_matching_job_runs_with_the_configured_openmp_threads(threads: int, hash_matcher: Matcher) -> None:
    import faiss  # noqa: F401 - loads FAISS's OpenMP runtime, as the matcher's index does

    svc = Service(Settings(match_omp_threads=threads), matcher=hash_matcher)

    def openmp_threads() -> list[int]:
        return [lib.get_num_threads() for lib in ThreadpoolController().select(user_api="openmp").lib_controllers]

    inside = anyio.run(svc.run_matching, openmp_threads)
    assert inside and set(inside) == {threads}
    unlimited = Service(Settings(match_omp_threads=0), matcher=hash_matcher)
    assert anyio.run(unlimited.run_matching, openmp_threads) == openmp_threads()  # the library default


@pytest.mark.slow  # loads the real e5 encoder (ONNX Runtime sessions)
@pytest.mark.parametrize(("concurrency", "explicit", "spins"), [(8, None, False), (1, None, True), (8, True, True)])
def test_the_service_lets_onnx_threads_sleep_when_jobs_share_the_encoder(concurrency: int, explicit: bool | None,
                                                                         spins: bool) -> None:
    from matcher.encoders.e5 import E5Encoder

    extra = {} if explicit is None else {"e5_spinning": explicit}
    svc = Service(Settings(encoder_concurrency=concurrency, batching=False, **extra))
    enc = svc._encoder()
    assert isinstance(enc, E5Encoder) and enc.runtime == "onnx"
    assert onnx_spins(enc) is spins
