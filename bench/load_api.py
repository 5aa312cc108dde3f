"""Load benchmark of the HTTP API: 1, 8 and 50 concurrent clients posting realistic CVs, batching off and on, side
by side in one run; then a burst.

For each configuration (``--configs``, default ``off,on``) it starts ``matcher serve`` on 127.0.0.1 at a free port
with that configuration's settings, waits until it is ready, warms it up, runs each client count (``--clients``,
default ``1,8,50``) for ``--duration`` seconds, sends the burst, and stops it; then the next configuration, on the
same machine with the same texts. The configurations:

* ``off``: the service as it was before batching: ``MATCHER_BATCHING=false``, ``MATCHER_ENCODER_CONCURRENCY=1``
  (one matching job at a time) and ``MATCHER_MATCH_OMP_THREADS=0`` (OpenMP's default threads for the coverage
  classifier);
* ``off-omp1``: the same with one OpenMP thread per job (what ``MATCHER_MATCH_OMP_THREADS=1`` alone gives);
* ``on``: batching on, ``MATCHER_ENCODER_CONCURRENCY=8``, one OpenMP thread per job;
* ``on-nospin``: the same with ONNX Runtime's threads sleeping between operators (``MATCHER_E5_SPINNING=false``).

Each client posts CVs to ``POST /v1/match`` in a loop: the example CVs and the CVs of eval/data/dev.jsonl as JSON,
and every tenth request the Russian PDF fixture as a file upload. Each client connects from its own loopback
address (127.0.1.1, 127.0.1.2 ...), as different people would (``--same-address``: all from 127.0.0.1). The
per-client limits (``MATCHER_CLIENT_RATE``/``_BUDGET``: 60 requests and 200,000 characters a minute) are switched
off for the table, since one client alone sends more than that; ``--client-limits`` keeps the defaults (the run of
issue 15: ``--configs on --clients 50 --duration 60 --client-limits``: 0 errors expected). After each run the
requests still in flight are waited for, so every latency is counted.

Then ``--burst`` requests (300) are sent at once, each from its own address: the server admits at most
``MATCHER_MAX_PENDING`` (64) and must refuse the rest quickly with 429 ``busy``.

Prints one table (throughput and p50/p95/p99 per configuration and client count, and the ratio of each
configuration to the first), the burst's answers, the encoder batches the server reported, the CPU model and flags
(/proc/cpuinfo) and the load average before and after (on a shared machine every figure is noisy: compare the
ratios of one run). A benchmark, not a test: it prints numbers and asserts nothing.

    python bench/load_api.py [--configs off,on] [--clients 1,8,50] [--duration 20] [--burst 300] [--json OUT]
    python bench/load_api.py --url http://127.0.0.1:8000 --pid PID   # a running server, as it is configured
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
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

CONFIGS: dict[str, dict[str, str]] = {
    "off": {"MATCHER_BATCHING": "false", "MATCHER_ENCODER_CONCURRENCY": "1", "MATCHER_MATCH_OMP_THREADS": "0"},
    "off-omp1": {"MATCHER_BATCHING": "false", "MATCHER_ENCODER_CONCURRENCY": "1", "MATCHER_MATCH_OMP_THREADS": "1"},
    "on": {"MATCHER_BATCHING": "true", "MATCHER_ENCODER_CONCURRENCY": "8", "MATCHER_MATCH_OMP_THREADS": "1"},
    "on-nospin": {"MATCHER_BATCHING": "true", "MATCHER_ENCODER_CONCURRENCY": "8", "MATCHER_MATCH_OMP_THREADS": "1",
                  "MATCHER_E5_SPINNING": "false"},
}
NO_CLIENT_LIMITS = {"MATCHER_CLIENT_RATE": "0", "MATCHER_CLIENT_BUDGET": "0"}
# the flags that decide the encoder's speed (the whole line is in the --json output)
SPEED_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni",
               "avx512_bf16", "amx_bf16", "amx_int8", "amx_tile")


def cvs() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("cv_*.txt"))]
    for line in (ROOT / "eval" / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item.get("kind") == "cv":
            texts.append(item["text"])
    return texts


def cpu_info() -> dict:
    """Model, logical CPUs and flags from /proc/cpuinfo (elsewhere: what platform knows, no flags)."""
    model, flags = "", []
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not model:
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = value.split()
    except OSError:
        pass
    return {"model": model or platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "speed_flags": [f for f in SPEED_FLAGS if f in flags], "flags": flags}


def address(n: int) -> str:
    """The n-th client's loopback address: 127.0.1.1, 127.0.1.2 ..., 127.0.2.1 ..."""
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory_kb(pid: int | None, field: str) -> int | None:
    if not pid:
        return None
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


def summary(latencies: list[float]) -> dict:
    return {"p50": round(percentile(latencies, 0.50), 3), "p95": round(percentile(latencies, 0.95), 3),
            "p99": round(percentile(latencies, 0.99), 3), "max": round(max(latencies, default=0), 3),
            "mean": round(statistics.fmean(latencies), 3) if latencies else None}


class Target:
    """One server under test: its URL, pid and how to make clients for it."""

    def __init__(self, args: argparse.Namespace, base_url: str, pid: int | None,
                 server: subprocess.Popen | None) -> None:
        self.args, self.base_url, self.pid, self.server = args, base_url, pid, server
        self.loopback = httpx.URL(base_url).host in ("127.0.0.1", "localhost")
        self.timeout = httpx.Timeout(args.request_timeout)

    def client(self, n: int, connections: int = 2) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        transport = (httpx.AsyncHTTPTransport(local_address=address(n), limits=limits)
                     if self.loopback and not self.args.same_address else None)
        return httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, limits=limits, transport=transport)

    async def wait_ready(self) -> float:
        started = time.perf_counter()
        async with self.client(10_000) as probe:
            while time.perf_counter() - started < self.args.ready_timeout:
                if self.server is not None and self.server.poll() is not None:
                    raise SystemExit(f"the server exited with code {self.server.returncode}")
                try:
                    if (await probe.get("/readyz")).status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.5)
        raise SystemExit(f"the server was not ready after {self.args.ready_timeout:.0f} s")


async def post_cv(client: httpx.AsyncClient, texts: list[str], pdf: bytes | None, i: int) -> httpx.Response:
    if pdf is not None and i % 10 == 0:
        return await client.post("/v1/match", files={"file": ("cv.pdf", pdf, "application/pdf")})
    return await client.post("/v1/match", json={"text": texts[i % len(texts)], "top": 3})


async def load_run(target: Target, n_clients: int, texts: list[str], pdf: bytes | None) -> dict:
    """``n_clients`` clients posting CVs in a loop for ``--duration`` seconds; every answer is waited for."""
    duration = target.args.duration
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    window_done = 0
    peak_rss = 0
    clients = [target.client(n) for n in range(n_clients)]
    t0 = time.perf_counter()
    deadline = t0 + duration

    async def one_client(n: int) -> None:
        nonlocal window_done
        i = n * 7  # clients start at different texts
        while time.perf_counter() < deadline:
            i += 1
            started = time.perf_counter()
            try:
                r = await post_cv(clients[n], texts, pdf, i)
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
            peak_rss = max(peak_rss, memory_kb(target.pid, "VmRSS") or 0)
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_rss())
    await asyncio.gather(*(one_client(n) for n in range(n_clients)))
    elapsed = time.perf_counter() - t0
    sampler.cancel()
    for c in clients:
        await c.aclose()
    ok = statuses.get("200", 0)
    return {"clients": n_clients, "duration_s": duration, "elapsed_with_drain_s": round(elapsed, 1),
            "requests": sum(statuses.values()), "ok": ok, "errors": sum(v for k, v in statuses.items() if k != "200"),
            "statuses": dict(statuses), "throughput_rps": round(ok / elapsed, 3),
            "throughput_in_window_rps": round(window_done / duration, 3), "latency_s": summary(latencies),
            "_latencies": latencies,
            "server_rss_peak_sampled_mb": round(peak_rss / 1024, 1) if peak_rss else None}


async def run_burst(target: Target, burst: int, texts: list[str]) -> dict:
    """``burst`` requests at once, each from its own address (one connection each)."""
    clients = [target.client(1000 + n, connections=1) for n in range(burst)]
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

    tasks = [asyncio.create_task(one(n)) for n in range(burst)]
    await asyncio.sleep(0.2)
    t0 = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    for c in clients:
        await c.aclose()
    return {"requests": burst, "elapsed_s": round(elapsed, 1),
            "statuses": {k: len(v) for k, v in sorted(by_status.items())},
            "latency_s_by_status": {k: summary(v) for k, v in sorted(by_status.items())}}


async def bench_server(target: Target, client_counts: list[int]) -> dict:
    args = target.args
    texts = cvs()
    pdf = PDF.read_bytes() if PDF.is_file() else None
    ready_s = await target.wait_ready()
    rss_before = memory_kb(target.pid, "VmRSS")
    async with target.client(10_001) as warm:  # the first calls of a runtime are slower: not measured
        for i in range(args.warmup):
            await post_cv(warm, texts, pdf, i + 1)
    runs = []
    for n in client_counts:
        load = [round(x, 2) for x in os.getloadavg()]
        run = await load_run(target, n, texts, pdf)
        run["loadavg_before"], run["loadavg_after"] = load, [round(x, 2) for x in os.getloadavg()]
        runs.append(run)
        print(f"  {n:>3} clients: {run['throughput_rps']:.2f} req/s, p50 {run['latency_s']['p50']:.2f} s, "
              f"{run['errors']} errors", file=sys.stderr)
    burst = await run_burst(target, args.burst, texts) if args.burst else None
    return {"server_ready_s": round(ready_s, 1), "runs": runs, "burst": burst,
            "server_rss_mb": {"before": round(rss_before / 1024, 1) if rss_before else None,
                              "peak_vmhwm": round((memory_kb(target.pid, "VmHWM") or 0) / 1024, 1) or None}}


def start_server(env_overrides: dict[str, str]) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="load_api.", suffix=".log", delete=False)  # noqa: SIM115
    env = {**os.environ, **env_overrides}
    server = subprocess.Popen([sys.executable, "-m", "matcher.cli", "serve", "--host", "127.0.0.1", "--port",
                               str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    return server, f"http://127.0.0.1:{port}", Path(log.name)


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def batches_reported(log: Path) -> str | None:
    """What the server logged of its encoder batches at shutdown (api.service.Service.close)."""
    match = re.search(r"encoder batching: (.*)", log.read_text(encoding="utf-8", errors="replace"))
    return match.group(1).strip() if match else None


def pooled(rounds: list[dict]) -> dict:
    """One configuration's rounds as one: answers over time summed, latencies pooled (``_latencies``)."""
    if len(rounds) == 1:
        return rounds[0]
    runs = []
    for i, first in enumerate(rounds[0]["runs"]):
        same = [r["runs"][i] for r in rounds]
        ok, elapsed = sum(r["ok"] for r in same), sum(r["elapsed_with_drain_s"] for r in same)
        lat = [x for r in same for x in r["_latencies"]]
        runs.append({**first, "ok": ok, "errors": sum(r["errors"] for r in same),
                     "requests": sum(r["requests"] for r in same), "elapsed_with_drain_s": round(elapsed, 1),
                     "throughput_rps": round(ok / elapsed, 3) if elapsed else 0.0, "latency_s": summary(lat),
                     "_latencies": lat, "per_round_rps": [r["throughput_rps"] for r in same]})
    return {**rounds[-1], "runs": runs, "rounds": rounds}


def public(x: object) -> object:
    """``x`` without the raw latencies (keys starting with ``_``)."""
    if isinstance(x, dict):
        return {k: public(v) for k, v in x.items() if not str(k).startswith("_")}
    if isinstance(x, list):
        return [public(v) for v in x]
    return x


def table(results: dict[str, dict], client_counts: list[int]) -> str:
    names = list(results)
    base = names[0]
    head = ["clients"] + [f"{n}: req/s, p50 / p95 / p99 s" for n in names] + [f"{n} / {base}: throughput, p50"
                                                                              for n in names[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, n in enumerate(client_counts):
        runs = {name: results[name]["runs"][i] for name in names}
        cells = [str(n)]
        for name in names:
            r, lat = runs[name], runs[name]["latency_s"]
            err = f", {r['errors']} errors" if r["errors"] else ""
            cells.append(f"{r['throughput_rps']:.2f}, {lat['p50']:.2f} / {lat['p95']:.2f} / {lat['p99']:.2f}{err}")
        for name in names[1:]:
            r, b = runs[name], runs[base]
            ratio = r["throughput_rps"] / b["throughput_rps"] if b["throughput_rps"] else float("nan")
            p50 = r["latency_s"]["p50"] / b["latency_s"]["p50"] if b["latency_s"]["p50"] else float("nan")
            cells.append(f"{ratio:.2f}x, {p50:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def burst_lines(results: dict[str, dict]) -> list[str]:
    out = []
    for name, res in results.items():
        b = res.get("burst")
        if not b:
            continue
        parts = [f"{count} x {status} (p50 {b['latency_s_by_status'][status]['p50']:.2f} s, p99 "
                 f"{b['latency_s_by_status'][status]['p99']:.2f} s)" for status, count in b["statuses"].items()]
        out.append(f"burst of {b['requests']}, {name}: " + "; ".join(parts))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", default="off,on", help=f"comma-separated, of {', '.join(CONFIGS)}; the first is "
                    "the baseline of the ratios (default: off,on)")
    ap.add_argument("--clients", default="1,8,50", help="client counts, comma-separated (default: 1,8,50)")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of each client count (default 20)")
    ap.add_argument("--burst", type=int, default=300, help="requests sent at once after the runs (0: none)")
    ap.add_argument("--warmup", type=int, default=5, help="requests sent one by one before measuring")
    ap.add_argument("--client-limits", action="store_true", help="keep the per-client rate and character budget "
                    "at their defaults (default: off for the runs)")
    ap.add_argument("--same-address", action="store_true", help="every client from 127.0.0.1 (default: one "
                    "loopback address per client)")
    ap.add_argument("--env", action="append", default=[], metavar="K=V", help="a setting for every configuration's "
                    "server, over the configuration's own (repeatable), e.g. MATCHER_ENCODER_CONCURRENCY=16")
    ap.add_argument("--rounds", type=int, default=1, help="run the configurations this many times, alternating "
                    "(off, on, off, on ...); the figures pool the rounds (less drift on a shared machine)")
    ap.add_argument("--url", help="a running server, measured as it is configured (instead of --configs)")
    ap.add_argument("--pid", type=int, help="the running server's pid, for its memory (with --url)")
    ap.add_argument("--request-timeout", type=float, default=600.0)
    ap.add_argument("--ready-timeout", type=float, default=600.0)
    ap.add_argument("--json", help="also write every figure to this file")
    args = ap.parse_args()
    client_counts = [int(x) for x in args.clients.split(",") if x.strip()]
    names = [x.strip() for x in args.configs.split(",") if x.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        ap.error(f"unknown configuration(s) {unknown}: use {', '.join(CONFIGS)}")
    extra = dict(kv.split("=", 1) for kv in args.env if "=" in kv)

    cpu = cpu_info()
    load_before = [round(x, 2) for x in os.getloadavg()]
    results: dict[str, dict] = {}
    if args.url:
        target = Target(args, args.url.rstrip("/"), args.pid, None)
        results["server"] = asyncio.run(bench_server(target, client_counts))
    else:
        rounds: dict[str, list[dict]] = {name: [] for name in names}
        for r in range(args.rounds):
            for name in names:
                env = {**CONFIGS[name], **({} if args.client_limits else NO_CLIENT_LIMITS), **extra}
                print(f"{name} (round {r + 1}): {' '.join(f'{k}={v}' for k, v in env.items())}", file=sys.stderr)
                server, base_url, log = start_server(env)
                try:
                    res = asyncio.run(bench_server(Target(args, base_url, server.pid, server), client_counts))
                finally:
                    stop_server(server)
                res.update(settings=env, server_log=str(log), batches=batches_reported(log))
                rounds[name].append(res)
        results = {name: pooled(rs) for name, rs in rounds.items()}
    load_after = [round(x, 2) for x in os.getloadavg()]

    print(f"\nCPU: {cpu['model']} x {cpu['cpus']}; flags: {' '.join(cpu['speed_flags']) or 'none listed'}")
    print(f"load average before {load_before}, after {load_after}; {args.duration:.0f} s per client count, "
          f"per-client limits {'on' if args.client_limits else 'off'}\n")
    print(table(results, client_counts))
    for line in burst_lines(results):
        print(line)
    for name, res in results.items():
        if res.get("batches"):
            print(f"encoder batches, {name}: {res['batches']}")
    if args.json:
        out = {"cpu": cpu, "loadavg_before": load_before, "loadavg_after": load_after, "duration_s": args.duration,
               "client_limits": args.client_limits, "results": results}
        Path(args.json).write_text(json.dumps(public(out), indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
