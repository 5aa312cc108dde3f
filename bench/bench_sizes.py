"""Answer sizes of ``POST /v1/match`` and ``matcher match-batch``: all three languages, one language (``lang``) and
the summary (``detail=summary``), raw and gzipped, at top=3 and top=10, with the real matcher.

Two realistic CVs are measured one by one (the Russian PDF CV of a social worker, ``tests/fixtures/cv_ru.pdf``, and
the Kazakh home-care CV, ``examples/cv_kk_home_care.txt``), then every CV of ``eval/data/*_real.jsonl`` for the
spread (median and largest) of the summary at top=3, whose target is 30 KB. Prints numbers; asserts nothing.

Usage: OMP_NUM_THREADS=1 python bench/bench_sizes.py
"""

from __future__ import annotations

import gzip
import json
import statistics
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from matcher.config import Settings
from matcher.engine import Matcher
from matcher.engine.views import view
from matcher.text.documents import extract

ROOT = Path(__file__).resolve().parent.parent
KB = 1024
SHAPES = (("full, kk+ru+en", {}), ("full, lang", {"lang": "LANG"}), ("summary", {"detail": "summary"}))


def kb(n: int) -> str:
    return f"{n / KB:7.1f}"


def main() -> None:
    settings = Settings(client_rate=0, client_budget=0, client_concurrency=0)
    m = Matcher.create(settings)
    cvs = {
        "ru: tests/fixtures/cv_ru.pdf": extract((ROOT / "tests/fixtures/cv_ru.pdf").read_bytes()).text,
        "kk: examples/cv_kk_home_care.txt": (ROOT / "examples/cv_kk_home_care.txt").read_text(encoding="utf-8"),
    }
    print("POST /v1/match answer sizes, KB (1 KB = 1024 bytes): raw / gzip (what the API sends to a client that "
          "accepts gzip)")
    print(f"{'CV':34} {'top':>3}  {'shape':16} {'raw':>7} {'gzip':>7}")
    with TestClient(create_app(settings, matcher=m)) as client:
        for name, text in cvs.items():
            lang = name[:2]
            for top in (3, 10):
                for shape, extra in SHAPES:
                    body = {"text": text, "top": top} | {k: (lang if v == "LANG" else v) for k, v in extra.items()}
                    r = client.post("/v1/match", json=body, headers={"accept-encoding": "identity"})
                    r.raise_for_status()
                    raw = r.content
                    print(f"{name:34} {top:>3}  {shape:16} {kb(len(raw))} {kb(len(gzip.compress(raw)))}")

    print("\nthe full answer without the fields issue 16 added (learning_plan, career_moves, beyond_standard): the "
          "size before, KB raw / gzip")
    new_fields = {"learning_plan", "career_moves", "beyond_standard"}
    for name, text in cvs.items():
        for top in (3, 10):
            before = m.match(text, "cv", top).model_dump_json(exclude={"occupations": {"__all__": new_fields}}).encode()
            print(f"{name:34} {top:>3}  {'before':16} {kb(len(before))} {kb(len(gzip.compress(before)))}")

    print("\nmatcher match-batch, bytes per CV (one JSONL line, top=3 and the default top=all 10)")
    for name, text in cvs.items():
        lang = name[:2]
        for top in (3, None):
            res = m.match(text, "cv", top)
            sizes = []
            for _, extra in SHAPES:
                line = {"id": "x"} | view(res, lang if extra.get("lang") else None, extra.get("detail", "full"))
                sizes.append(len((json.dumps(line, ensure_ascii=False) + "\n").encode()))
            print(f"{name:34} top={top or 10:<3} full {kb(sizes[0])} KB · lang {kb(sizes[1])} KB · summary "
                  f"{kb(sizes[2])} KB")

    items = [json.loads(line) for path in sorted((ROOT / "eval/data").glob("*_real.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [it for it in items if it.get("kind", "cv") == "cv"]
    if items:
        results = m.match_many([it["text"] for it in items], ["cv"] * len(items), 3)
        sizes = {shape: [] for shape, _ in SHAPES}
        for res in results:
            if isinstance(res, str):
                continue
            for shape, extra in SHAPES:
                data = view(res, res.language if extra.get("lang") else None, extra.get("detail", "full"))
                sizes[shape].append(len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()))
        n = len(sizes["summary"])
        print(f"\n{n} real CVs of eval/data/*_real.jsonl at top=3, KB: median / largest")
        for shape, values in sizes.items():
            print(f"  {shape:16} {kb(int(statistics.median(values)))} / {kb(max(values))}")
        over = sum(v > 30 * KB for v in sizes["summary"])
        print(f"  summaries over 30 KB: {over} of {n}")


if __name__ == "__main__":
    main()
