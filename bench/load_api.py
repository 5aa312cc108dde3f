"""Load benchmark of the HTTP API: N concurrent clients for D seconds, each sending realistic CVs, then a burst.

Starts ``matcher serve`` (uvicorn) on 127.0.0.1 at a free port, or targets a running server (``--url``, with
``--pid`` for its memory). Each client posts CVs to ``POST /v1/match`` in a loop: the example CVs and the CVs of
eval/data/dev.jsonl as JSON, and every tenth request the Russian PDF fixture as a file upload. After the run the
requests still in flight are waited for, so every latency is counted.

Each client connects from its own loopback address (127.0.1.1, 127.0.1.2 ...), as different people would: the
server limits each address (``MATCHER_CLIENT_*``), so 50 clients from one address would mostly measure that limit
(``--same-address`` does just that).

Then ``--burst`` requests (300) are sent at once, each from its own address: the server admits at most
``MATCHER_MAX_PENDING`` (64) and must refuse the rest quickly with 429 ``busy``; their latency is reported apart.

Reports throughput, p50/p95/p99 latency, errors by status, the burst's answers, the server's peak RSS (VmHWM from
/proc/<pid>/status) and the CPU model. A benchmark, not a test: it prints numbers and asserts nothing.

    python bench/load_api.py [--clients 50] [--duration 60] [--burst 300] [--url http://127.0.0.1:8000 --pid PID]
                             [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PDF = ROOT / "tests" / "fixtures" / "cv_ru.pdf"


def cvs() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("cv_*.txt"))]
    for line in (ROOT / "eval" / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item.get("kind") == "cv":
            texts.append(item["text"])
    return texts


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} x {os.cpu_count()}"
    except OSError:
        pass
    return f"unknown x {os.cpu_count()}"


def address(n: int) -> str:
    """The n-th client's loopback address: 127.0.1.1, 127.0.1.2 ..., 127.0.2.1 ..."""
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def wait_ready(client: httpx.AsyncClient, timeout: float, server: subprocess.Popen | None) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server is not None and server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            if (await client.get("/readyz")).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit(f"the server was not ready after {timeout:.0f} s")


async def run(args: argparse.Namespace, base_url: str, pid: int | None, server: subprocess.Popen | None) -> dict:
    texts = cvs()
    pdf = PDF.read_bytes() if PDF.is_file() else None
    timeout = httpx.Timeout(args.request_timeout)
    loopback = httpx.URL(base_url).host in ("127.0.0.1", "localhost")

    def make_client(n: int, connections: int = 2) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        transport = (httpx.AsyncHTTPTransport(local_address=address(n), limits=limits)
                     if loopback and not args.same_address else None)
        return httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits, transport=transport)

    async with make_client(10_000) as probe:
        ready_s = await wait_ready(probe, args.ready_timeout, server)
    rss_before = memory_kb(pid, "VmRSS") if pid else None
    latencies: list[float] = []
    window_done = 0
    statuses: Counter[str] = Counter()
    sent = 0
    peak_rss = 0
    t0 = time.perf_counter()
    deadline = t0 + args.duration
    clients = [make_client(n) for n in range(args.clients)]

    async def one_client(n: int) -> None:
        nonlocal sent, window_done
        client = clients[n]
        i = n
        while time.perf_counter() < deadline:
            i += 1
            sent += 1
            started = time.perf_counter()
            try:
                if pdf is not None and i % 10 == 0:
                    r = await client.post("/v1/match", files={"file": ("cv.pdf", pdf, "application/pdf")})
                else:
                    r = await client.post("/v1/match", json={"text": texts[i % len(texts)], "top": 3})
                statuses[str(r.status_code)] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
                continue
            ended = time.perf_counter()
            if r.status_code == 200:
                latencies.append(ended - started)
                window_done += ended <= deadline

    async def sample_rss() -> None:
        nonlocal peak_rss
        while True:
            peak_rss = max(peak_rss, memory_kb(pid, "VmRSS") or 0) if pid else 0
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_rss())
    await asyncio.gather(*(one_client(n) for n in range(args.clients)))
    elapsed = time.perf_counter() - t0
    for c in clients:
        await c.aclose()
    burst = await run_burst(args, make_client, texts) if args.burst else None
    sampler.cancel()
    ok = statuses.get("200", 0)
    return {
        "cpu": cpu_model(),
        "clients": args.clients,
        "addresses": "one" if args.same_address or not loopback else "one per client",
        "duration_s": args.duration,
        "elapsed_with_drain_s": round(elapsed, 1),
        "server_ready_s": round(ready_s, 1),
        "requests": sum(statuses.values()),
        "ok": ok,
        "errors": sum(v for k, v in statuses.items() if k != "200"),
        "statuses": dict(statuses),
        "throughput_rps": round(ok / elapsed, 3),
        "throughput_in_window_rps": round(window_done / args.duration, 3),
        "latency_s": summary(latencies),
        "burst": burst,
        "server_rss_mb": {"before": round(rss_before / 1024, 1) if rss_before else None,
                          "peak_sampled": round(peak_rss / 1024, 1) if peak_rss else None,
                          "peak_vmhwm": round((memory_kb(pid, "VmHWM") or 0) / 1024, 1) if pid else None},
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def summary(latencies: list[float]) -> dict:
    return {"p50": round(percentile(latencies, 0.50), 3), "p95": round(percentile(latencies, 0.95), 3),
            "p99": round(percentile(latencies, 0.99), 3), "max": round(max(latencies, default=0), 3),
            "mean": round(statistics.fmean(latencies), 3) if latencies else None}


async def run_burst(args: argparse.Namespace, make_client, texts: list[str]) -> dict:  # noqa: ANN001
    """``args.burst`` requests at once, each from its own address (one connection each)."""
    clients = [make_client(1000 + n, connections=1) for n in range(args.burst)]
    by_status: dict[str, list[float]] = {}
    start = asyncio.Event()

    async def one(n: int) -> None:
        await start.wait()
        started = time.perf_counter()
        try:
            r = await clients[n].post("/v1/match", json={"text": texts[n % len(texts)], "top": 3})
            key = str(r.status_code)
        except httpx.HTTPError as exc:
            key = type(exc).__name__
        by_status.setdefault(key, []).append(time.perf_counter() - started)

    tasks = [asyncio.create_task(one(n)) for n in range(args.burst)]
    await asyncio.sleep(0.2)
    t0 = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    for c in clients:
        await c.aclose()
    return {"requests": args.burst, "elapsed_s": round(elapsed, 1),
            "statuses": {k: len(v) for k, v in sorted(by_status.items())},
            "latency_s_by_status": {k: summary(v) for k, v in sorted(by_status.items())}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds during which new requests are sent")
    ap.add_argument("--burst", type=int, default=300, help="requests sent at once after the run (0: none)")
    ap.add_argument("--same-address", action="store_true", help="every client from 127.0.0.1 (default: one "
                    "loopback address per client)")
    ap.add_argument("--url", help="a running server (default: start `matcher serve` on a free port)")
    ap.add_argument("--pid", type=int, help="the running server's pid, for its memory (with --url)")
    ap.add_argument("--request-timeout", type=float, default=600.0)
    ap.add_argument("--ready-timeout", type=float, default=600.0)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    load_before = [round(x, 2) for x in os.getloadavg()]
    server = None
    log = None
    if args.url:
        base_url, pid = args.url.rstrip("/"), args.pid
    else:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log = tempfile.NamedTemporaryFile("w+", prefix="load_api.", suffix=".log", delete=False)  # noqa: SIM115
        server = subprocess.Popen([sys.executable, "-m", "matcher.cli", "serve", "--host", "127.0.0.1",
                                   "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        pid = server.pid
    try:
        result = asyncio.run(run(args, base_url, pid, server))
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    result["loadavg_before"] = load_before
    if log is not None:
        result["server_log"] = log.name
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
