"""Draw covered claims to hand-check: ``python -m eval.claims --split dev --per-item 3 --out FILE``.

A claim is one covered statement of a text's best card with the sentence quoted for it, as the engine makes it
without the evidence judge (the judge only decides which of these claims keep their quote, so labels of these
candidates score any judge). Claims already in ``data/claims_dev.jsonl`` / ``claims_test.jsonl`` are skipped.
Sampling is seeded: ``--per-item N`` draws N claims of every text, ``--items N`` takes every claim of N texts
drawn at random (the held-out sample's design). The rows carry the statement in Kazakh and in the sentence's
language for the person who labels them; ``label`` and ``note`` are left empty to fill in by reading.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from eval.dataset import load_items
from eval.run import CLAIMS, DEFAULT_DATASETS, REFERENCE_DATE, load_claim_labels
from matcher.config import Settings
from matcher.engine import Matcher


def candidates(split: str, settings: Settings) -> dict[str, list[dict]]:
    """item id -> its unlabelled candidate claims, for the in-domain, in-scope texts of ``split``."""
    items = [it for p in DEFAULT_DATASETS for it in load_items(p)
             if it.split.startswith(split) and not it.out_of_domain]
    m = Matcher.create(settings.model_copy(update={"reference_date": REFERENCE_DATE, "judge_cards": 0}))
    known = load_claim_labels(*CLAIMS)
    out: dict[str, list[dict]] = {}
    for i in range(0, len(items), 8):
        chunk = items[i : i + 8]
        for it, sc in zip(chunk, m.score_many([x.text for x in chunk]), strict=True):
            if isinstance(sc, str):
                continue
            res = m.result(sc, it.kind, top=1)
            if not res.in_scope:
                continue
            lang = res.language
            out[it.id] = [{"item": it.id, "lang": it.lang, "statement_id": c.id, "statement_kk": c.text.kk,
                           "statement": c.text.get(lang), "kind": c.kind, "evidence": c.evidence,
                           "label": None, "note": ""}
                          for c in res.occupations[0].covered
                          if c.evidence and (it.id, c.id, c.evidence) not in known]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev", "test"), required=True)
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--per-item", type=int, help="claims drawn from every text")
    group.add_argument("--items", type=int, help="texts drawn at random; every claim of each")
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    pool = candidates(args.split, Settings())
    rng = random.Random(args.seed)
    rows: list[dict] = []
    if args.per_item:
        for item in sorted(pool):
            claims = pool[item]
            rows += rng.sample(claims, min(args.per_item, len(claims)))
    else:
        labelled = {key[0] for key in load_claim_labels(*CLAIMS)}
        for item in rng.sample(sorted(set(pool) - labelled), min(args.items, len(set(pool) - labelled))):
            rows += pool[item]
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} claims of {len({r['item'] for r in rows})} texts -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
