"""One evaluation run: labelled items -> every system's predictions -> metrics.json, report.md and plots.

Only public functions of the matcher are used: ``Matcher.create``, ``score_many``, ``result`` and
``with_settings``. The expensive part (segmenting and embedding each text) runs once; the engine variants reuse it.
Runs are deterministic: fixed bootstrap seed, the level's "today" pinned to ``REFERENCE_DATE``, no timestamps in
the outputs.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tqdm import tqdm

from eval import metrics, report
from eval.baselines import DENSE_ONLY, NO_TITLES, MajorityBaseline, TfidfBaseline
from eval.dataset import EvalItem, Resolution, StatementResolver, load_items
from matcher import paths as locations
from matcher import standard
from matcher.config import Settings
from matcher.engine import Matcher, MatchResult, Scored
from matcher.files import sha256_file, write_atomic
from matcher.standard.curate import statements

# hand labels of covered claims: dev items, and a held-out sample (every claim of 21 test items, drawn at random)
CLAIMS = (locations.eval_data_dir() / "claims_dev.jsonl", locations.eval_data_dir() / "claims_test.jsonl")
DEFAULT_DATASETS = tuple(locations.eval_data_dir() / f for f in ("dev.jsonl", "test.jsonl", "dev_real.jsonl",
                                                                  "test_real.jsonl"))
REFERENCE_DATE = date(2026, 11, 26)  # "today" for CVs that say "until now": the date the set was written
SYSTEMS = ("hybrid", "no-titles", "dense", "tfidf", "majority")
CHUNK = 8  # texts per encoder call: big enough for batching, small enough for a moving progress bar


def engine_outcome(item: EvalItem, res: MatchResult | None, labels: Resolution, canonical: dict[str, str],
                    split: str) -> metrics.Outcome:
    base = {"id": item.id, "lang": item.lang, "kind": item.kind, "clause": item.gold_clause, "split": split,
            "source": item.source,
            "correct": sorted(item.correct_clauses), "level_gold": item.gold_level, "level_range": item.level_range}
    if res is None:  # the engine refused the text: nothing ranked, every labelled statement counted as an error
        return metrics.Outcome(**base, ranking=[], scores=[], level=0, tp=0, fn=len(labels.missing),
                               fp=len(labels.covered), tn=0)
    gold = next(o for o in res.occupations if o.clause == item.gold_clause)
    reported_missing = {canonical[m.id] for m in gold.missing}
    return metrics.Outcome(
        **base, ranking=[o.clause for o in res.occupations], scores=[o.score for o in res.occupations],
        level=res.occupations[0].sbsh_level,
        tp=len(labels.missing & reported_missing), fn=len(labels.missing - reported_missing),
        fp=len(labels.covered & reported_missing), tn=len(labels.covered - reported_missing))


def load_claim_labels(*paths: Path) -> dict[tuple[str, str, str], str]:
    """(item, statement id, quoted evidence) -> "shown" / "partly" / "not_shown", from the hand-checked claims files
    (a claim the engine no longer makes, or quotes with other evidence, is simply not matched)."""
    rows = [json.loads(x) for path in paths if path.is_file()
            for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return {(r["item"], r["statement_id"], r["evidence"]): r["label"] for r in rows}


def _why(item: EvalItem, res: MatchResult | None, error: str | None) -> dict:
    """What the engine predicted for an item and the evidence behind it (for the worst-items table)."""
    if res is None:
        return {"id": item.id, "error": error}
    top = res.occupations[0]
    gold = next(o for o in res.occupations if o.clause == item.gold_clause)
    rank = 1 + [o.clause for o in res.occupations].index(item.gold_clause)
    return {
        "id": item.id, "lang": item.lang, "kind": item.kind, "gold_clause": item.gold_clause,
        "alt_clauses": item.alt_clauses, "gold_rank": rank, "gold_level": item.gold_level,
        "level_range": list(item.level_range),
        "predicted": [{"clause": o.clause, "name": o.name.en, "score": o.score, "sbsh_level": o.sbsh_level,
                       "covered": len(o.covered)} for o in res.occupations[:3]],
        "gold_score": gold.score, "gold_covered": len(gold.covered),
        "evidence": [{"statement": c.text.en or c.text.kk, "segment": c.evidence[:160], "score": c.score}
                     for c in {c.text.kk: c for c in reversed(top.covered)}.values()][::-1][:3],
        "level_evidence": res.level_evidence.model_dump(mode="json", exclude={"education_text"}),
    }


def evaluate(datasets: list[Path] | None, out: Path | None, settings: Settings,
             resamples: int = 1000, progress: bool = True) -> dict:
    """Run every system on the items of ``datasets`` and write metrics.json, report.md and the plots to ``out``.

    Returns the metrics document (the content of metrics.json).
    """
    paths = [Path(p) for p in (datasets or DEFAULT_DATASETS)]
    s = settings
    if s.reference_date is None:
        s = s.model_copy(update={"reference_date": REFERENCE_DATE})
    items: list[EvalItem] = []
    for p in paths:
        items += load_items(p)
    ids = [it.id for it in items]
    if len(set(ids)) != len(ids):
        raise ValueError("item ids repeat across the datasets; ids must be unique over all files")

    std = standard.load(s)
    resolver = StatementResolver(std)
    labels = {it.id: resolver.resolve(it) for it in items}
    unresolved = [{"id": it.id, "label": lab} for it in items for lab in labels[it.id].unresolved]
    conflicts = [{"id": it.id, "keys": sorted(labels[it.id].conflicts)} for it in items if labels[it.id].conflicts]
    canonical = {st.id: st.canonical for _, st in statements(std)}

    hybrid = Matcher.create(s)
    dense = hybrid.with_settings(**DENSE_ONLY)
    untitled = hybrid.with_settings(**NO_TITLES)
    scored: list[Scored | str] = []
    bar = tqdm(total=len(items), desc="eval", unit="item", disable=not progress)
    for i in range(0, len(items), CHUNK):
        chunk = items[i : i + CHUNK]
        scored += hybrid.score_many([it.text for it in chunk])
        bar.update(len(chunk))
    bar.close()

    outcomes: dict[str, list[metrics.Outcome]] = {name: [] for name in SYSTEMS}
    whys = []
    tfidf = TfidfBaseline(std)
    majority = MajorityBaseline(std, [it for it in items if not it.out_of_domain])
    all_keys = {o.clause: {st.canonical for *_, st in o.walk()} for o in std.occupations}
    scope_rows: list[metrics.ScopeOutcome] = []
    claims: list[metrics.Claim] = []
    claim_labels = load_claim_labels(*CLAIMS)
    all_items, all_scored = items, scored
    for it, sc in zip(items, scored, strict=True):
        lab = labels[it.id]
        res = None if isinstance(sc, str) else hybrid.result(sc, it.kind)
        top = res.occupations[0] if res else None
        scope_rows.append(metrics.ScopeOutcome(
            id=it.id, lang=it.lang, source=it.source, split=it.split, out_of_domain=it.out_of_domain,
            in_scope=bool(res and res.in_scope), probability=top.probability if top else 0.0,
            correct=bool(top and top.clause in it.correct_clauses)))
        if it.out_of_domain:
            continue
        if res is not None and res.in_scope:
            claims += [metrics.Claim(item=it.id, lang=it.lang, source=it.source, split=it.split, statement_id=c.id,
                                     evidence=c.evidence, label=claim_labels.get((it.id, c.id, c.evidence)),
                                     quoted=c.source == "text", labelled_covered=canonical[c.id] in lab.covered)
                       for c in res.occupations[0].covered]
        res_dense = None if isinstance(sc, str) else dense.result(sc, it.kind)
        outcomes["hybrid"].append(engine_outcome(it, res, lab, canonical, it.split))
        outcomes["dense"].append(engine_outcome(it, res_dense, lab, canonical, it.split))
        res_untitled = None if isinstance(sc, str) else untitled.result(sc, it.kind)
        outcomes["no-titles"].append(engine_outcome(it, res_untitled, lab, canonical, it.split))
        whys.append(_why(it, res, sc if isinstance(sc, str) else None))
        ranking, scores, level = tfidf.predict(it.text)
        base = outcomes["hybrid"][-1].model_dump(exclude={"ranking", "scores", "level", "tp", "fn", "fp", "tn"})
        outcomes["tfidf"].append(metrics.Outcome(**base, ranking=ranking, scores=scores, level=level))
        every = all_keys[it.gold_clause]  # the majority answer: everything is missing
        outcomes["majority"].append(metrics.Outcome(
            **base, ranking=majority.ranking, scores=majority.scores, level=majority.level,
            tp=len(lab.missing & every), fn=len(lab.missing - every), fp=len(lab.covered & every),
            tn=len(lab.covered - every)))

    items = [it for it in items if not it.out_of_domain]
    scored = [sc for it, sc in zip(all_items, all_scored, strict=True) if not it.out_of_domain]
    rr = {o.id: (1.0 / o.rank if o.rank else 0.0) for o in outcomes["hybrid"]}
    margin = {o.id: (o.scores[0] - o.scores[o.ranking.index(o.clause)]) if o.ranking else 1.0
              for o in outcomes["hybrid"]}
    worst_ids = sorted(rr, key=lambda i: (rr[i], -margin[i], i))[:10]
    why_of = {w["id"]: w for w in whys}

    doc = {
        "run": {
            "encoder": hybrid.encoder.id, "judge": hybrid.judge.id if hybrid.judge else None,
            "index_languages": s.languages(), "reference_date": str(s.reference_date),
            "datasets": [{"path": p.name, "sha256": sha256_file(p)} for p in paths],
            "items": len(items), "resamples": resamples,
            "settings": {k: getattr(hybrid.settings, k)  # as applied: with the encoder's calibration settings
                         for k in ("cover_threshold", "soft_lo", "soft_hi", "name_lo", "name_hi", "name_weight",
                                   "lexical_weight", "lexical_min", "level_penalty", "additional_function_weight",
                                   "title_weight")},
            "systems": {"hybrid": "the engine as configured", "no-titles": f"the engine with {NO_TITLES}",
                        "dense": f"the engine with {DENSE_ONLY}",
                        "tfidf": "char 3-5-gram TF-IDF of the whole text against each card (kk+ru+en), engine "
                                 "level rules", "majority": "most frequent card and level of these items; every "
                                                            "statement reported missing"},
            "not_matched": [{"id": it.id, "error": sc} for it, sc in zip(items, scored, strict=True)
                            if isinstance(sc, str)],
        },
        "system": "hybrid",
        **metrics.breakdown(outcomes["hybrid"], resamples),
        "out_of_domain": metrics.scope_breakdown(scope_rows, resamples),
        "claims": metrics.claim_precision(claims, resamples),
        "calibration": hybrid.calibration.run if hybrid.calibration else None,
        "baselines": {name: metrics.breakdown(outcomes[name], resamples) for name in SYSTEMS if name != "hybrid"},
        "labels": {"unresolved": unresolved, "conflicts": conflicts,
                   "covered": sum(len(v.covered) for v in labels.values()),
                   "missing": sum(len(v.missing) for v in labels.values())},
        "worst": [why_of[i] for i in worst_ids],
    }
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / "metrics.json", json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        plots = report.plots(outcomes["hybrid"], [o.clause for o in std.occupations], out)
        write_atomic(out / "report.md", report.markdown(doc, plots))
        (out / "outcomes.jsonl").write_text("".join(o.model_dump_json() + "\n" for o in outcomes["hybrid"]),
                                            encoding="utf-8")
    return doc
