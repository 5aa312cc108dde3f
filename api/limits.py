"""Per-client limits of the open endpoints, and the memory budget of request bodies.

A *client* is the address the request came from (``scope["client"]``; behind a reverse proxy that is the address
the proxy names in ``X-Forwarded-For``, when the proxy is trusted: ``MATCHER_FORWARDED_ALLOW_IPS``). Each client
has, on the open endpoints (``POST /v1/match``, ``POST /v1/vacancies/analyse``):

* at most ``concurrency`` requests in progress (counted from its headers to its answer);
* a bucket of ``rate`` requests, refilled evenly over a minute;
* a budget of ``budget`` characters of text matched, refilled evenly over a minute.

Every refusal is a 429 ``rate_limited`` with ``Retry-After``. State is kept only for clients seen recently, and
only as counters: no request content.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from api.errors import ApiError

_MINUTE = 60.0
_PRUNE_EVERY = 1024  # requests between sweeps of clients whose buckets are full again


def _limited(detail: str, retry_after: float) -> ApiError:
    seconds = max(1, math.ceil(retry_after))
    return ApiError(429, "rate_limited", detail, {"Retry-After": str(seconds)})


@dataclass
class _Bucket:
    """A token bucket of ``capacity`` refilled at ``capacity`` per minute."""

    capacity: float
    level: float = field(init=False)
    stamp: float = 0.0

    def __post_init__(self) -> None:
        self.level = self.capacity

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.capacity / _MINUTE)
        self.stamp = now

    def full(self, now: float) -> bool:
        return self.level + (now - self.stamp) * self.capacity / _MINUTE >= self.capacity

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` is available."""
        return max(0.0, amount - self.level) * _MINUTE / self.capacity


@dataclass
class _Client:
    active: int
    requests: _Bucket
    chars: _Bucket


class ClientLimits:
    def __init__(self, concurrency: int, rate: int, budget: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.concurrency, self.rate, self.budget = concurrency, rate, budget
        self.clock = clock
        self._clients: dict[str, _Client] = {}
        self._since_prune = 0

    def __len__(self) -> int:
        return len(self._clients)

    def _get(self, client: str, now: float) -> _Client:
        state = self._clients.get(client)
        if state is None:
            state = _Client(0, _Bucket(max(self.rate, 1), stamp=now), _Bucket(max(self.budget, 1), stamp=now))
            self._clients[client] = state
        return state

    def _prune(self, now: float) -> None:
        self._since_prune += 1
        if self._since_prune < _PRUNE_EVERY:
            return
        self._since_prune = 0
        for key in [k for k, c in self._clients.items()
                    if c.active == 0 and c.requests.full(now) and c.chars.full(now)]:
            del self._clients[key]

    def enter(self, client: str) -> None:
        """A request of ``client`` starts (its headers have arrived); raises 429 ``rate_limited`` if it is over its
        concurrency or request rate. Every ``enter`` that returns must be paired with a ``leave``."""
        now = self.clock()
        self._prune(now)
        state = self._get(client, now)
        if self.concurrency and state.active >= self.concurrency:
            raise _limited(f"Too many requests from your address at once: at most {self.concurrency} can be in "
                           "progress. Please wait for an answer before sending the next one.", 5)
        if self.rate:
            state.requests.refill(now)
            if state.requests.level < 1:
                raise _limited(f"Too many requests from your address: at most {self.rate} a minute. Please try "
                               "again shortly.", state.requests.wait_for(1))
            state.requests.level -= 1
        state.active += 1

    def leave(self, client: str) -> None:
        state = self._clients.get(client)
        if state is not None and state.active > 0:
            state.active -= 1

    def charge(self, client: str, chars: int) -> None:
        """Take ``chars`` characters of matching from the client's budget; 429 ``rate_limited`` if it has not got
        them (a request larger than the whole budget passes when the budget is full, and empties it)."""
        if not self.budget:
            return
        now = self.clock()
        bucket = self._get(client, now).chars
        bucket.refill(now)
        needed = min(float(chars), bucket.capacity)
        if bucket.level < needed:
            raise _limited(f"Your address has sent more text than this service matches for one client: at most "
                           f"{self.budget:,} characters a minute. Please try again later.", bucket.wait_for(needed))
        bucket.level -= chars


class ByteBudget:
    """Bytes of request bodies held in memory, over all requests."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, n: int) -> bool:
        if self.used + n > self.limit:
            return False
        self.used += n
        return True

    def give(self, n: int) -> None:
        self.used = max(0, self.used - n)
