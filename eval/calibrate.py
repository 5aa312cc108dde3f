"""Fit the engine's calibration on the dev split only, and write it for the current encoder.

    python -m eval.calibrate [--run NAME] [--dataset F.jsonl ...]

Two logistic models (scikit-learn), over features of each text's result computed by the uncalibrated engine:

* scope: P(the text is in this standard's domain), from the dev items (in-domain vs ``out_of_domain``), classes
  balanced; the threshold is the highest that keeps at least 97 % of the in-domain dev texts in scope;
* correct: P(a card is the text's occupation | in scope) from its score and its margin over the best other card,
  fitted on the best card of every in-domain dev item (Platt scaling with two inputs); "confident" is the lowest
  probability at which the best card is right for at least 90 % of the dev texts above it.

The model file is ``Settings.calibration_path(encoder id)`` (``matcher/data/calibration/``), with the run's name,
the datasets' sha256 and the chosen thresholds. It takes about a minute: rerun it whenever the encoder changes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from eval.dataset import EvalItem, load_items
from eval.run import REFERENCE_DATE
from matcher import paths as locations
from matcher.config import Settings, get_settings
from matcher.engine import Matcher
from matcher.engine.calibration import SCOPE_FEATURES, Calibration, Logistic
from matcher.files import sha256_file, write_atomic

DEV = ("dev.jsonl", "dev_real.jsonl")


def fit(items: list[EvalItem], m: Matcher, run: str) -> Calibration:
    scored = m.score_many([it.text for it in items])
    xs, ys, top = [], [], []
    for it, sc in zip(items, scored, strict=True):
        if isinstance(sc, str):
            continue
        f, ranking = m.calibration_inputs(sc)
        xs.append([f[k] for k in SCOPE_FEATURES])
        ys.append(0 if it.out_of_domain else 1)
        if it.out_of_domain:
            continue
        (clause, first), (_, second) = ranking[0], ranking[1]
        top.append((first, first - second, int(clause in it.correct_clauses)))
    x, y = np.array(xs), np.array(ys)
    scope = LogisticRegression(class_weight="balanced", C=1.0, max_iter=2000).fit(x, y)
    p_in = scope.predict_proba(x)[:, 1]
    in_domain = np.sort(p_in[y == 1])
    threshold = float(in_domain[int(np.floor(0.03 * len(in_domain)))]) if len(in_domain) else 0.5
    # Platt scaling on each dev text's best card (the decision the person sees); other cards get the same mapping
    # of their own score and (negative) margin
    correct = LogisticRegression(C=10.0, max_iter=2000).fit(np.array([[a, b] for a, b, _ in top]),
                                                            np.array([c for *_, c in top]))
    p_top = correct.predict_proba(np.array([[a, b] for a, b, _ in top]))[:, 1]
    right = np.array([c for *_, c in top])
    confident = 1.0
    for t in sorted(set(np.round(p_top, 3))):
        sel = p_top >= t
        if sel.sum() >= 10 and right[sel].mean() >= 0.9:
            confident = float(t)
            break
    flagged = float((p_in[y == 0] < threshold).mean()) if (y == 0).any() else None
    return Calibration(
        run=run, encoder=m.encoder.id,
        scope=Logistic(coef=[float(c) for c in scope.coef_[0]], intercept=float(scope.intercept_[0])),
        scope_threshold=round(threshold, 6),
        correct=Logistic(coef=[float(c) for c in correct.coef_[0]], intercept=float(correct.intercept_[0])),
        confident=round(confident, 4),
        fitted_on={"items": len(xs), "in_domain": int(y.sum()), "out_of_domain": int((y == 0).sum()),
                   "dev_ood_flagged": flagged, "dev_in_domain_kept": float((in_domain >= threshold).mean()),
                   "dev_top1_above_confident": float(right[p_top >= confident].mean()) if (p_top >= confident).any()
                   else None},
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.split("\n\n")[0])
    p.add_argument("--run", default="dev-calib-7", help="the run's name, recorded in the model file")
    p.add_argument("--dataset", action="append", help="dev JSONL files (default: eval/data/dev*.jsonl)")
    args = p.parse_args(argv)
    settings: Settings = get_settings()
    settings = settings.model_copy(update={"reference_date": settings.reference_date or REFERENCE_DATE})
    files = [Path(d) for d in args.dataset] if args.dataset else [locations.eval_data_dir() / f for f in DEV]
    items = [it for f in files for it in load_items(f)]
    m = Matcher.create(settings)
    cal = fit(items, m, args.run)
    cal.fitted_on["datasets"] = [{"path": f.name, "sha256": sha256_file(f)} for f in files]
    out = settings.calibration_path(m.encoder.id)
    write_atomic(out, json.dumps(cal.model_dump(mode="json"), indent=1) + "\n")
    chosen = {"scope_threshold": cal.scope_threshold, "confident": cal.confident}
    print(f"{args.run}: {out}\n{json.dumps(cal.fitted_on | chosen, indent=1)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
