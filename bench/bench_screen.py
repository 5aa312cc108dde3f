"""Screening at scale, side by side in one run: CVs/s and peak RSS of ``match-batch``, ``screen --workers 1``,
``screen --workers 2``, ``screen --ray`` with 2 actors, and re-screening with a warm segment vector cache.

The pool is ``--n`` realistic CVs (default 1,000) made by varying the team's eval CVs (``eval/data/*.jsonl``): a
name and phone line, sentences reordered, years of experience changed, sometimes a sentence of another CV of the
same card. Each configuration runs the real ``matcher`` command in a child process; RSS is sampled every 0.2 s over
the whole process tree (pool workers, Ray's raylet and actors included) and its peak reported. "CVs/s" is the pool
over the wall time of the command, start-up (model and index load, Ray's start) included; "steady" is measured
from the first to the last row written.

    python bench/bench_screen.py [--n 1000] [--only screen-w1,ray] [--json bench/out/screen.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "eval" / "data"
NAMES = ["Айгерім Сәрсенова", "Данияр Оспанов", "Ольга Ким", "Марат Жумабаев", "Anna Petrova", "Гүлнар Әлиева",
         "Ерлан Сейітов", "Svetlana Li"]
SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def eval_items() -> list[dict]:
    items = []
    for name in ("dev.jsonl", "test.jsonl", "dev_real.jsonl", "test_real.jsonl"):
        items += [json.loads(line) for line in (EVAL / name).read_text(encoding="utf-8").splitlines() if line]
    return items


def make_pool(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    items = eval_items()
    cvs = [it for it in items if it["kind"] == "cv"]
    by_card: dict[int, list[dict]] = {}
    for it in cvs:
        by_card.setdefault(it.get("gold_clause") or 0, []).append(it)
    pool = []
    for i in range(n):
        base = cvs[i % len(cvs)]
        sentences = [s for s in SPLIT.split(base["text"]) if s.strip()]
        head, rest = sentences[:1], sentences[1:]
        rng.shuffle(rest)
        other = rng.choice(by_card.get(base.get("gold_clause") or 0, cvs))
        extra = [s for s in SPLIT.split(other["text"]) if s.strip()]
        if extra and rng.random() < 0.5:
            rest.insert(rng.randrange(len(rest) + 1), rng.choice(extra))
        text = "\n".join(head + rest)
        text = re.sub(r"\b(\d{1,2})(\s*(?:лет|года|год|жыл|years?))",
                      lambda m: f"{rng.randint(1, 20)}{m.group(2)}", text)
        phone = f"+7 7{rng.randint(0, 9)}{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(10, 99)} " \
                f"{rng.randint(10, 99)}"
        pool.append({"id": f"cv-{i:05d}", "text": f"{NAMES[i % len(NAMES)]}\nТел.: {phone}\n{text}"})
    return pool


def vacancies() -> tuple[str, str]:
    items = [it for it in eval_items() if it["kind"] == "vacancy"]
    a = next(it["text"] for it in items if it.get("gold_clause") == 13)
    b = next(it["text"] for it in items if it.get("gold_clause") == 9)
    return a, b


def cpu_info() -> dict[str, object]:
    model, flags = platform.processor() or "", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not model.strip():
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line.split(":", 1)[1].strip()
    except OSError:
        pass
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "fma", "sse4_2")
    return {"model": model, "cores": os.cpu_count(), "simd": [f for f in wanted if f in flags.split()],
            "flags": flags, "load_average": os.getloadavg()}


def count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


def run(name: str, cmd: list[str], progress_file: Path, header_lines: int, n: int,
        env: dict[str, str]) -> dict[str, object]:
    """Run ``cmd``; sample the tree's RSS and the rows written every 0.2 s."""
    print(f"[{name}] {' '.join(cmd)}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peak = 0
    first_row: tuple[float, int] | None = None
    last_row: tuple[float, int] | None = None
    while proc.poll() is None:
        rss = 0
        with contextlib.suppress(psutil.Error):
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    rss += p.memory_info().rss
        peak = max(peak, rss)
        rows = max(0, count_lines(progress_file) - header_lines)
        now = time.perf_counter() - started
        if rows and first_row is None:
            first_row = (now, rows)
        if rows and (last_row is None or rows > last_row[1]):
            last_row = (now, rows)
        time.sleep(0.2)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    steady = None
    if first_row and last_row and last_row[0] > first_row[0]:
        steady = (last_row[1] - first_row[1]) / (last_row[0] - first_row[0])
    out = {"name": name, "rc": proc.returncode, "wall_s": round(wall, 1), "cvs_per_s": round(n / wall, 3),
           "steady_cvs_per_s": None if steady is None else round(steady, 3), "peak_rss_mb": round(peak / 2**20),
           "first_row_s": None if first_row is None else round(first_row[0], 1)}
    if proc.returncode:
        out["stderr"] = err[-2000:]
    print(f"[{name}] {out}", file=sys.stderr, flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="CVs in the pool (default 1000)")
    ap.add_argument("--only", help="comma-separated subset of: match-batch, screen-w1, screen-w2, ray, cache")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args()
    wanted = set(args.only.split(",")) if args.only else {"match-batch", "screen-w1", "screen-w2", "ray", "cache"}
    matcher = str(Path(sys.executable).with_name("matcher"))
    env = {k: v for k, v in os.environ.items() if k != "MATCHER_VECTOR_CACHE"} | {"PYTHONUNBUFFERED": "1"}
    info = cpu_info()
    print(f"CPU: {info['model']} · {info['cores']} cores · SIMD {' '.join(info['simd'])} · load "
          f"{' '.join(f'{x:.1f}' for x in info['load_average'])}", flush=True)  # type: ignore[union-attr]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-screen-") as tmp_name:
        tmp = Path(tmp_name)
        pool = make_pool(args.n)
        cvs = tmp / "cvs.jsonl"
        cvs.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in pool), encoding="utf-8")
        vac_a, vac_b = vacancies()
        (tmp / "vacancy_a.txt").write_text(vac_a, encoding="utf-8")
        (tmp / "vacancy_b.txt").write_text(vac_b, encoding="utf-8")
        print(f"pool: {args.n} CVs, {sum(len(it['text']) for it in pool) / args.n:.0f} characters on average",
              flush=True)

        def screen(name: str, out: str, *extra: str, vacancy: str = "vacancy_a.txt") -> dict[str, object]:
            target = tmp / out
            return run(name, [matcher, "screen", str(tmp / vacancy), str(cvs), "--out", str(target),
                              "--no-progress", *extra], target.with_name(target.name + ".partial.jsonl"), 1,
                       args.n, env)

        if "match-batch" in wanted:
            results.append(run("match-batch", [matcher, "match-batch", str(cvs), "-o", str(tmp / "mb.jsonl")],
                               tmp / "mb.jsonl", 0, args.n, env))
        if "screen-w1" in wanted:
            results.append(screen("screen --workers 1", "w1.csv"))
        if "screen-w2" in wanted:
            results.append(screen("screen --workers 2", "w2.csv", "--workers", "2"))
        if "ray" in wanted:
            results.append(screen("screen --ray (2 actors)", "ray.csv", "--ray", "--ray-actors", "2",
                                  "--ray-cpus", "2"))
        if "cache" in wanted:
            cache = str(tmp / "vectors.sqlite")
            results.append(screen("screen, vector cache cold", "cold.csv", "--vector-cache", cache))
            results.append(screen("re-screen, warm vector cache (other vacancy)", "warm.csv", "--vector-cache",
                                  cache, vacancy="vacancy_b.txt"))
        same = [n for n in ("w1.csv", "w2.csv", "ray.csv", "cold.csv") if (tmp / n).exists()]
        identical = len({(tmp / n).read_bytes() for n in same}) == 1 if same else None
    print(f"\n{'configuration':<46} {'CVs/s':>7} {'steady':>7} {'wall s':>7} {'peak RSS MB':>12}")
    for r in results:
        steady = "-" if r["steady_cvs_per_s"] is None else f"{r['steady_cvs_per_s']:.2f}"
        print(f"{r['name']:<46} {r['cvs_per_s']:>7.2f} {steady:>7} {r['wall_s']:>7.1f} {r['peak_rss_mb']:>12}"
              + ("" if r["rc"] == 0 else f"  (exit {r['rc']})"))
    print(f"same CSV from {', '.join(same)}: {identical}")
    print(f"CPU: {info['model']} · {info['cores']} cores · flags: {info['flags']}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"cpu": info, "n": args.n, "results": results,
                                               "identical_csv": identical}, indent=2), encoding="utf-8")
    return 0 if all(r["rc"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
