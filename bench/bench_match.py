"""Benchmark of the matching engine: cold start, index build (cold and warm), one-CV latency, batch throughput,
peak RSS. Prints numbers; asserts nothing. Usage: python bench/bench_match.py [--runs N]"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from matcher import index as index_mod
from matcher import standard
from matcher.config import Settings, get_settings
from matcher.encoders import create_encoder
from matcher.engine import Matcher

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    s = get_settings()
    out: dict[str, object] = {}

    t = time.perf_counter()
    enc = create_encoder(s)
    out["encoder_load_s"] = round(time.perf_counter() - t, 3)
    std = standard.load(s)
    with tempfile.TemporaryDirectory() as tmp:  # cold build: empty index dir, no embedding cache
        cold = Settings(index_dir=Path(tmp))
        t = time.perf_counter()
        index_mod.build(std, index_mod.dataset_hash(s.dataset_path), enc, s.languages(), cold)
        out["index_build_cold_s"] = round(time.perf_counter() - t, 3)
        shutil.rmtree(Path(tmp) / "cache", ignore_errors=True)
    t = time.perf_counter()
    index_mod.load_or_build(std, s.dataset_path, enc, s.languages(), s)
    out["index_load_or_build_warm_s"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    m = Matcher.create(s, encoder=enc)
    out["matcher_start_warm_index_s"] = round(time.perf_counter() - t, 3)
    cvs = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("cv_*.txt"))]
    m.match(cvs[0])  # first call builds the spaCy pipelines
    lat = []
    for i in range(args.runs):
        t = time.perf_counter()
        m.match(cvs[i % len(cvs)])
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    out["one_cv_ms_p50"] = round(statistics.median(lat), 1)
    out["one_cv_ms_p95"] = round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1)
    items = [json.loads(x) for x in (ROOT / "eval/data/dev.jsonl").read_text(encoding="utf-8").splitlines()][:40]
    t = time.perf_counter()
    m.match_many([it["text"] for it in items], [it["kind"] for it in items])
    dt = time.perf_counter() - t
    out["batch_docs_per_s"] = round(len(items) / dt, 2)
    out["peak_rss_mb"] = round(rss_mb(), 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
