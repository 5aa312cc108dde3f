"""Grid search of engine settings on labelled items (use the dev set only; the test set stays held out).

    python -m eval.tune --grid card_lexical_weight=0,0.2,0.4 --grid cover_threshold=0.84,0.86,0.88

Texts are segmented and embedded once; each grid point only re-runs ``Matcher.result`` under other settings.
Prints one row per grid point, best first by ``--objective`` (mrr, hit@1, youden = missing recall minus the
covered-as-missing rate, level_within_range).
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from eval import metrics
from eval.dataset import StatementResolver, load_items
from eval.run import REFERENCE_DATE, engine_outcome
from matcher import paths
from matcher.config import Settings, get_settings
from matcher.engine import Matcher
from matcher.standard.curate import statements

OBJECTIVES = ("mrr", "hit@1", "youden", "level_within_range")


def grid_search(dataset: Path, grid: dict[str, list[float]], settings: Settings, objective: str = "mrr") -> list[dict]:
    items = load_items(dataset)
    s = settings.model_copy(update={"reference_date": settings.reference_date or REFERENCE_DATE})
    m = Matcher.create(s)
    resolver = StatementResolver(m.std)
    labels = {it.id: resolver.resolve(it) for it in items}
    canonical = {st.id: st.canonical for _, st in statements(m.std)}
    scored = m.score_many([it.text for it in items])
    rows = []
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values, strict=True))
        variant = m.with_settings(**point)
        outs = [engine_outcome(it, None if isinstance(sc, str) else variant.result(sc, it.kind), labels[it.id],
                               canonical, it.split) for it, sc in zip(items, scored, strict=True)]
        v = metrics.library_values(outs)
        by_lang = {lang: metrics.library_values([o for o in outs if o.lang == lang])["hit@1"]
                   for lang in ("ru", "kk", "en")}
        v["youden"] = (v["missing_recall"] or 0) - (v["covered_as_missing"] or 0)
        rows.append(point | {k: round(v[k], 4) for k in ("hit@1", "hit@3", "mrr", "level_within_range",
                                                         "missing_recall", "covered_as_missing", "missing_f1",
                                                         "youden")}
                    | {f"hit@1_{k}": round(x, 3) for k, x in by_lang.items()})
    return sorted(rows, key=lambda r: -r[objective])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default=str(paths.eval_data_dir() / "dev.jsonl"))
    p.add_argument("--grid", action="append", required=True, help="SETTING=v1,v2,... (repeatable)")
    p.add_argument("--objective", choices=OBJECTIVES, default="mrr")
    p.add_argument("--top", type=int, default=15)
    args = p.parse_args()
    grid = {}
    for g in args.grid:
        key, values = g.split("=", 1)
        grid[key] = [float(x) for x in values.split(",")]
    rows = grid_search(Path(args.dataset), grid, get_settings(), args.objective)
    cols = list(rows[0])
    print(" ".join(f"{c:>10}" for c in cols))
    for r in rows[: args.top]:
        print(" ".join(f"{r[c]:>10}" for c in cols))


if __name__ == "__main__":
    main()
