"""``api.middleware.Admission`` in front of a minimal ASGI app, driven message by message: the key is checked before
the body, a request counts as pending only once its body has arrived, bodies have a deadline, and each client has
its own concurrency, rate and budget (``api.limits``). The same attacks against a real server are in
test_attacks.py."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from api.errors import ApiError
from api.limits import ClientLimits
from api.middleware import Admission
from matcher.config import Settings

KEY = "the-key-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Held:
    """An app that answers 200 with the body it read, or holds its requests until ``go`` is set."""

    def __init__(self, hold: bool = False) -> None:
        self.hold = hold
        self.inside = anyio.Event()
        self.go = anyio.Event()
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.bodies.append((await receive())["body"])
        self.inside.set()
        if self.hold:
            await self.go.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class Request:
    """One request: its messages as the server would deliver them, and what the middleware sent back."""

    def __init__(self, chunks: list[bytes], *, client: str = "10.0.0.1", path: str = "/v1/match",
                 headers: dict[str, str] | None = None, stall: bool = False) -> None:
        self.chunks, self.stall = list(chunks), stall
        self.reads = 0
        self.sent: list[dict[str, Any]] = []
        raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        self.scope = {"type": "http", "method": "POST", "path": path, "headers": raw, "client": (client, 5000)}

    async def receive(self) -> dict[str, Any]:
        self.reads += 1
        if self.chunks:
            body = self.chunks.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(self.chunks) or self.stall}
        if self.stall:
            await anyio.sleep_forever()  # headers and part of the body came; the rest never does
        await anyio.sleep_forever()  # after the body: a disconnect would come here; none does
        raise AssertionError

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return self.sent[0]["status"] if self.sent else 0

    def header(self, name: str) -> str | None:
        return next((v.decode() for k, v in self.sent[0]["headers"] if k.decode().lower() == name), None)

    @property
    def code(self) -> str:
        import json

        return json.loads(self.sent[1]["body"])["code"]


def admission(app: Any, **overrides: Any) -> Admission:
    settings = Settings(**{"api_key": KEY, "max_pending": 64, "body_timeout": 0.2, "min_body_rate": 1_000_000,
                           "client_concurrency": 0, "client_rate": 0, "client_budget": 0, **overrides})
    clients = ClientLimits(settings.client_concurrency, settings.client_rate, settings.client_budget)
    return Admission(app, settings=settings, clients=clients, limit_for=lambda path: 10_000,
                     is_keyed=lambda scope: scope["path"] == "/v1/screen")


async def run(mw: Admission, request: Request) -> Request:
    await mw(request.scope, request.receive, request.send)
    return request


def test_a_keyed_request_without_the_key_is_refused_before_its_body() -> None:
    app = Held()
    mw = admission(app)
    for headers in ({}, {"X-API-Key": KEY + "x"}, {"X-API-Key": ""}):
        r = anyio.run(run, mw, Request([b"x" * 5000], path="/v1/screen", headers=headers))
        assert (r.status, r.code, r.reads) == (401, "unauthorized", 0)
        assert r.header("connection") == "close" and r.header("www-authenticate")
    r = anyio.run(run, admission(app, api_key=None), Request([b"{}"], path="/v1/screen", headers={"X-API-Key": "a"}))
    assert (r.status, r.code, r.reads) == (403, "screen_disabled", 0)
    r = anyio.run(run, mw, Request([b"{}"], path="/v1/screen", headers={"X-API-Key": KEY}))
    assert r.status == 200 and app.bodies == [b"{}"]
    # an open endpoint needs no key
    assert anyio.run(run, mw, Request([b"{}"])).status == 200


def test_a_declared_length_over_the_limit_is_refused_before_the_body() -> None:
    r = anyio.run(run, admission(Held()), Request([b"x"], headers={"Content-Length": "10001"}))
    assert (r.status, r.code, r.reads, r.header("connection")) == (413, "too_large", 0, "close")
    r = anyio.run(run, admission(Held()), Request([b"x"], headers={"Content-Length": "ten"}))
    assert (r.status, r.code, r.reads) == (400, "bad_request", 0)


def test_half_sent_bodies_are_not_pending_and_time_out() -> None:
    """The issue's lock-out: with room for one pending request, a request whose body never finishes does not take
    it; a normal request beside it is answered, and the stalled one gets 408."""
    app = Held()
    mw = admission(app, max_pending=1)
    stalled = [Request([b"x"], client=f"10.0.1.{i}", stall=True) for i in range(5)]
    normal = Request([b'{"text": "a"}'], client="10.0.0.9")

    async def scenario() -> None:
        async with anyio.create_task_group() as tg:
            for r in stalled:
                tg.start_soon(run, mw, r)
            await anyio.sleep(0)
            await run(mw, normal)
            assert normal.status == 200  # while the stalled ones are still reading

    anyio.run(scenario)
    assert [(r.status, r.code) for r in stalled] == [(408, "request_timeout")] * 5
    assert all(r.header("connection") == "close" for r in stalled)
    assert app.bodies == [b'{"text": "a"}'] and mw.pending == 0


def test_a_slow_body_must_keep_up_the_minimum_rate() -> None:
    async def trickle(r: Request) -> Request:  # 100 bytes a chunk, one chunk every 0.05 s: 2000 B/s
        mw = admission(Held(), body_timeout=0.1, min_body_rate=1000)

        async def receive() -> dict[str, Any]:
            r.reads += 1
            await anyio.sleep(0.05)
            return {"type": "http.request", "body": b"x" * 100, "more_body": r.reads < 20}

        await mw(r.scope, receive, r.send)
        return r

    assert anyio.run(trickle, Request([])).status == 200
    # 10 bytes a chunk: 200 B/s, below the minimum once the grace has passed
    async def crawl(r: Request) -> Request:
        mw = admission(Held(), body_timeout=0.1, min_body_rate=1000)

        async def receive() -> dict[str, Any]:
            r.reads += 1
            await anyio.sleep(0.05)
            return {"type": "http.request", "body": b"x" * 10, "more_body": True}

        await mw(r.scope, receive, r.send)
        return r

    r = anyio.run(crawl, Request([]))
    assert (r.status, r.code) == (408, "request_timeout")


def test_busy_is_answered_once_the_body_has_arrived() -> None:
    app = Held(hold=True)
    mw = admission(app, max_pending=1)
    first, second = Request([b"one"], client="10.0.0.1"), Request([b"two"], client="10.0.0.2")

    async def scenario() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, mw, first)
            await app.inside.wait()  # the first request is pending
            await run(mw, second)
            app.go.set()

    anyio.run(scenario)
    assert (second.status, second.code, second.header("retry-after")) == (429, "busy", "30")
    assert second.reads == 1  # its body was read: it counted as pending only then
    assert first.status == 200 and app.bodies == [b"one"]


def test_each_client_has_its_own_concurrency() -> None:
    app = Held(hold=True)
    mw = admission(app, client_concurrency=1)
    held, again, other = Request([b"a"], client="10.0.0.1"), Request([b"b"], client="10.0.0.1"), Request(
        [b"c"], client="10.0.0.2")

    async def scenario() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, mw, held)
            await app.inside.wait()
            await run(mw, again)  # refused at once, before its body
            tg.start_soon(run, mw, other)
            await anyio.sleep(0.01)
            app.go.set()

    anyio.run(scenario)
    assert (again.status, again.code, again.reads) == (429, "rate_limited", 0)
    assert int(again.header("retry-after") or 0) >= 1
    assert held.status == other.status == 200
    # the screening endpoint is keyed: not counted against the client
    assert anyio.run(run, mw, Request([b"{}"], path="/v1/screen", headers={"X-API-Key": KEY})).status == 200


def test_the_memory_for_bodies_is_bounded() -> None:
    mw = admission(Held(), max_body_buffer=100)
    r = anyio.run(run, mw, Request([b"x" * 60, b"y" * 60]))
    assert (r.status, r.code) == (429, "busy")
    assert mw.buffer.used == 0
    assert anyio.run(run, mw, Request([b"x" * 60])).status == 200 and mw.buffer.used == 0


def test_client_limits_refill_over_a_minute() -> None:
    clock = Clock()
    limits = ClientLimits(concurrency=2, rate=3, budget=1000, clock=clock)
    for _ in range(2):
        limits.enter("a")
    with pytest.raises(ApiError) as exc:
        limits.enter("a")
    assert exc.value.code == "rate_limited" and "at once" in exc.value.detail
    limits.leave("a")
    limits.leave("a")
    limits.enter("a")  # the third request of the minute
    limits.leave("a")
    with pytest.raises(ApiError) as exc:
        limits.enter("a")
    assert "a minute" in exc.value.detail and exc.value.headers == {"Retry-After": "20"}  # 3 a minute: one per 20 s
    limits.enter("b")  # another client is not affected
    clock.now += 20
    limits.enter("a")
    # the budget of characters
    limits.charge("c", 600)
    with pytest.raises(ApiError) as exc:
        limits.charge("c", 600)
    assert exc.value.code == "rate_limited" and exc.value.headers == {"Retry-After": "12"}  # 200 more: 12 s
    clock.now += 12
    limits.charge("c", 600)
    clock.now += 60
    limits.charge("c", 5000)  # larger than the whole budget: passes on a full budget, then empties it
    with pytest.raises(ApiError):
        limits.charge("c", 1)


def test_idle_clients_are_forgotten() -> None:
    clock = Clock()
    limits = ClientLimits(concurrency=4, rate=60, budget=0, clock=clock)
    for i in range(3000):
        limits.enter(f"10.{i // 250}.{i % 250}.1")
        limits.leave(f"10.{i // 250}.{i % 250}.1")
        clock.now += 0.1
    assert len(limits) < 3000  # the ones whose buckets are full again were dropped
