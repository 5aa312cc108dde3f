"""report.md and the PNG plots of an evaluation run (confusion matrix, reliability curve, level errors)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eval.metrics import HIGHER_IS_BETTER, METRICS, Outcome

HEADLINE = ("hit@1", "hit@3", "mrr", "level_within_range", "missing_recall")
_PNG_META = {"Software": None}  # no library version in the file: the same run gives the same bytes


def plots(outcomes: Sequence[Outcome], clauses: list[int], out: Path) -> list[str]:
    """Write the three plots of the main system; returns their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import ConfusionMatrixDisplay

    names = []
    ranked = [o for o in outcomes if o.ranking]
    fig, ax = plt.subplots(figsize=(7, 6))
    ConfusionMatrixDisplay.from_predictions([o.clause for o in ranked], [o.ranking[0] for o in ranked],
                                            labels=clauses, ax=ax, colorbar=False, cmap="Blues")
    ax.set_xlabel("predicted card (top 1)")
    ax.set_ylabel("gold card")
    ax.set_title(f"Cards: gold vs predicted ({len(ranked)} items)")
    fig.tight_layout()
    fig.savefig(out / "confusion_matrix.png", dpi=110, metadata=_PNG_META)
    plt.close(fig)
    names.append("confusion_matrix.png")

    correct = np.array([o.ranking[0] in o.correct for o in ranked], dtype=int)
    score = np.clip(np.array([o.scores[0] for o in ranked]), 0, 1)
    fig, ax = plt.subplots(figsize=(6, 5))
    if len(set(correct)) > 1:
        frac, mean = calibration_curve(correct, score, n_bins=min(6, max(2, len(ranked) // 10)), strategy="quantile")
        ax.plot(mean, frac, "o-", label="top-1 card")
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    ax.set_xlabel("occupation score of the top card")
    ax.set_ylabel("share of items where it is correct")
    ax.set_title("Reliability of the occupation score")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "reliability.png", dpi=110, metadata=_PNG_META)
    plt.close(fig)
    names.append("reliability.png")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    errs = range(-4, 5)
    langs = sorted({o.lang for o in outcomes}, key=lambda x: {"ru": 0, "kk": 1, "en": 2}.get(x, 9))
    width = 0.8 / max(1, len(langs))
    for i, lang in enumerate(langs):
        d = [max(-4, min(4, o.level - o.level_gold)) for o in outcomes if o.lang == lang]
        ax.bar([e + (i - (len(langs) - 1) / 2) * width for e in errs], [d.count(e) for e in errs], width, label=lang)
    ax.set_xticks(list(errs))
    ax.set_xlabel("predicted SBSh level minus gold level (clipped to +-4)")
    ax.set_ylabel("items")
    ax.set_title("Level errors")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "level_errors.png", dpi=110, metadata=_PNG_META)
    plt.close(fig)
    names.append("level_errors.png")
    return names


def _cell(v: dict | None, ci: bool = True) -> str:
    if not v or v.get("value") is None:
        return "-"
    text = f"{v['value']:.3f}"
    if ci and v.get("ci95"):
        text += f" ({v['ci95'][0]:.2f}-{v['ci95'][1]:.2f})"
    return text


def _table(rows: list[tuple[str, dict]], columns: Sequence[str], first: str, ci: bool = True) -> list[str]:
    lines = [f"| {first} | n | " + " | ".join(columns) + " |", "|---" * (len(columns) + 2) + "|"]
    for name, block in rows:
        n = block.get("hit@1", {}).get("n", 0) if block else 0
        lines.append(f"| {name} | {n} | " + " | ".join(_cell(block.get(c), ci) for c in columns) + " |")
    return lines


def headline(doc: dict) -> list[str]:
    """The per-language table of the main system (also pasted in the README)."""
    rows = [(lang, doc["by_lang"][lang]) for lang in doc["by_lang"]] + [("all", doc["overall"])]
    rows += [(k, v) for k, v in doc.get("by_split_source", {}).items()]
    rows += [(k, v) for k, v in doc.get("by_source_lang", {}).items()]
    lines = _table(rows, HEADLINE, "group")
    scope = doc.get("out_of_domain", {})
    if scope:
        lines.append("")
        lines.append(f"scope (calibration {doc.get('calibration')}): group | out-of-domain flagged | in-domain kept "
                     "in scope | calibration error (ECE)")
        for name, block in [("all", scope["overall"]), *scope["by_split_source"].items()]:
            lines.append(f"| {name} | " + " | ".join(_cell(block.get(k)) for k in ("ood_flagged", "in_domain_kept",
                                                                                   "ece")) + " |")
    claims = doc.get("claims", {})
    if claims.get("overall", {}).get("labelled"):
        lines.append("")
        lines.append("covered statements of the best card, and the quoted ones (claims) hand-checked "
                     "(eval/data/claims_dev.jsonl, claims_test.jsonl): group | covered | claims (quoted) | labelled | "
                     "precision (shown) | precision (partly counts half) | labelled-covered statements quoted")
        for name, block in [("all", claims["overall"]), *claims["groups"].items()]:
            lines.append(f"| {name} | {block.get('covered', block['claims'])} | {block['claims']} | "
                         f"{block['labelled']} | {_cell(block.get('precision_strict'))} | "
                         f"{_cell(block.get('precision_lenient'))} | "
                         f"{_cell(block.get('quoted_of_labelled_covered'))} |")
    return lines


def markdown(doc: dict, plot_files: list[str]) -> str:
    run = doc["run"]
    out = ["# Evaluation report", "",
           f"Encoder `{run['encoder']}`, index languages {', '.join(run['index_languages'])}; "
           f"{run['items']} items from " + ", ".join(f"`{d['path']}`" for d in run["datasets"]) +
           f"; bootstrap 95 % intervals over items ({run['resamples']} resamples); experience counted up to "
           f"{run['reference_date']}.", "",
           "Metrics: `hit@k` and `mrr` on the card ranking (alternative cards count as correct); level accuracy, "
           "within-range accuracy and MAE of the top card's SBSh level; over the labelled statements of the gold "
           "card, `missing_recall` (labelled missing and reported missing), `covered_as_missing` (labelled covered "
           "but reported missing: lower is better), precision and F1 of the missing list (items with both lists).",
           "", "## Headline (hybrid engine, all items)", "", *headline(doc), ""]
    out += ["## By split (tuning happened on `dev` only)", "",
            *_table(list(doc["by_split"].items()), HEADLINE, "split"), ""]
    systems = [("hybrid", doc)] + list(doc["baselines"].items())
    out += ["## Systems on the same items", "", "Best value per column in bold.", ""]
    best = {}
    for m in METRICS:
        vals = [b["overall"].get(m, {}).get("value") for _, b in systems]
        vals = [v for v in vals if v is not None]
        if vals:
            best[m] = max(vals) if HIGHER_IS_BETTER[m] else min(vals)
    out += [f"| system | {' | '.join(METRICS)} |", "|---" * (len(METRICS) + 1) + "|"]
    for name, block in systems:
        cells = []
        for m in METRICS:
            v = block["overall"].get(m, {}).get("value")
            cells.append("-" if v is None else (f"**{v:.3f}**" if v == best.get(m) else f"{v:.3f}"))
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "hit@1 by language and split:", "",
            "| system | " + " | ".join(list(doc["by_lang"]) + list(doc["by_split"])) + " |",
            "|---" * (1 + len(doc["by_lang"]) + len(doc["by_split"])) + "|"]
    for name, block in systems:
        cells = [_cell(block["by_lang"].get(g, {}).get("hit@1"), False) for g in doc["by_lang"]]
        cells += [_cell(block["by_split"].get(g, {}).get("hit@1"), False) for g in doc["by_split"]]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "Systems: " + "; ".join(f"`{k}`: {v}" for k, v in run["systems"].items()) + ".", ""]
    detail = ("hit@1", "mrr", "level_accuracy", "level_mae", "missing_recall", "covered_as_missing", "missing_f1")
    out += ["## By kind", "", *_table(list(doc["by_kind"].items()), detail, "kind"), ""]
    out += ["## By card", "", *_table([(f"card {k}", v) for k, v in doc["by_clause"].items()], detail, "card",
                                      ci=False), ""]
    out += ["## Plots", ""] + [f"![{p[:-4].replace('_', ' ')}]({p})" for p in plot_files] + [""]
    labels = doc["labels"]
    out += ["## Labels", "", f"{labels['covered']} covered and {labels['missing']} missing statement labels "
            f"resolved; {len(labels['unresolved'])} unresolved, {len(labels['conflicts'])} items with a statement "
            "labelled both ways (dropped).", ""]
    out += [f"- `{u['id']}`: {u['label'][:120]}" for u in labels["unresolved"]] + [""]
    if run["not_matched"]:
        out += ["Items the engine refused: " + ", ".join(f"`{x['id']}` ({x['error']})" for x in run["not_matched"]),
                ""]
    out += ["## Worst 10 items (hybrid)", "",
            "Ordered by the rank of the correct card, then by how far the wrong top card scored above it.", ""]
    for w in doc["worst"]:
        if "error" in w:
            out += [f"- `{w['id']}`: not matched: {w['error']}"]
            continue
        pred = ", ".join(f"{p['clause']} {p['name']} {p['score']:.2f} (L{p['sbsh_level']}, {p['covered']} covered)"
                         for p in w["predicted"])
        alt = f" (alt {w['alt_clauses']})" if w["alt_clauses"] else ""
        out += [f"- **`{w['id']}`** ({w['lang']}, {w['kind']}): gold card {w['gold_clause']}{alt} at rank "
                f"{w['gold_rank']} with {w['gold_score']:.2f} ({w['gold_covered']} covered); gold level "
                f"{w['gold_level']} {w['level_range']}. Predicted: {pred}."]
        for e in w["evidence"]:
            out += [f"  - why: \"{e['segment']}\" -> {e['statement'][:110]} ({e['score']:.2f})"]
        ev = w["level_evidence"]
        out += [f"  - level evidence: education {ev['education']}, {ev['years']:g} years, managerial "
                f"{ev['managerial']}"]
    return "\n".join(out) + "\n"
