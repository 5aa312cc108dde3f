"""Fit the engine's calibration on the dev split only, and write it for the current encoder.

    python -m eval.calibrate [--run NAME] [--dataset F.jsonl ...]

Two logistic models (scikit-learn), over features of each text's result computed by the uncalibrated engine:

* scope: P(the text is in this standard's domain), from the dev items (in-domain vs ``out_of_domain``), classes
  balanced, inputs standardised (``SCOPE_FEATURES``: the result's scores and coverage, and how much nearer the
  text is to the standard than to the contrast set of other professions); the threshold is the highest that keeps
  at least 97 % of the in-domain dev texts in scope, on out-of-fold predictions (5 folds);
* correct: P(a card is the text's occupation | in scope) from its score and its margin over the best other card,
  fitted on the best card of every in-domain dev item (Platt scaling with two inputs); "confident" is the lowest
  probability at which the best card is right for at least 90 % of the dev texts above it;
* coverage: P(a text shows a statement), a gradient-boosted classifier (``HistGradientBoostingClassifier``) over
  ``matcher.engine.coverage.COVERAGE_FEATURES``, calibrated by isotonic regression (``CalibratedClassifierCV``:
  the isotonic map learnt on 5 folds' out-of-fold scores, one classifier fitted on all, ``ensemble=False``, so a
  match runs 200 trees, not 5 x 200: 13x faster to predict, dev out-of-fold ROC AUC 0.866 against 0.868 for the
  5-fold ensemble), fitted on the labelled statements (covered / missing) of every in-domain dev item's gold card; its
  threshold maximises Youden's J (missing recall minus covered-reported-missing) on out-of-fold predictions,
  folds grouped by item. Written beside the JSON, frozen into an .npz (``matcher.engine.frozen``) whose sha256 the
  JSON records.

``--engine soft_lo=0.32 ...`` records engine settings on the encoder's own cosine scale (``ENCODER_SETTINGS``,
chosen on dev with ``python -m eval.tune``); the engine applies them with the calibration, unless set explicitly.

The model file is ``Settings.calibration_path(encoder id)`` (``matcher/data/calibration/``), with the run's name,
the datasets' sha256 and the chosen thresholds. It takes about a minute: rerun it whenever the encoder changes.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from eval.dataset import EvalItem, StatementResolver, load_items
from eval.run import REFERENCE_DATE
from matcher import paths as locations
from matcher.config import Settings, get_settings
from matcher.engine import Matcher, Scored
from matcher.engine.calibration import ENCODER_SETTINGS, SCOPE_FEATURES, Calibration, CoverageModel, Logistic
from matcher.engine.coverage import COVERAGE_FEATURES
from matcher.engine.frozen import FrozenCoverage
from matcher.files import sha256_file, slug, write_atomic

DEV = ("dev.jsonl", "dev_real.jsonl")


SEED = 0


def coverage_rows(items: list[EvalItem], scored: list[Scored | str],
                  m: Matcher) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, label, item number) for every labelled statement of every in-domain item's gold card."""
    resolver = StatementResolver(m.std)
    xs, ys, groups = [], [], []
    for n, (it, sc) in enumerate(zip(items, scored, strict=True)):
        if isinstance(sc, str) or it.out_of_domain:
            continue
        lab = resolver.resolve(it)
        feats = m.coverage_features(sc)
        seen: set[str] = set()
        for *_, st in m.occupation(it.gold_clause).walk():
            if st.canonical in seen or (st.canonical not in lab.covered and st.canonical not in lab.missing):
                continue
            seen.add(st.canonical)
            xs.append(feats[m.row_of[st.id]])
            ys.append(int(st.canonical in lab.covered))
            groups.append(n)
    return np.array(xs), np.array(ys), np.array(groups)


def _coverage_classifier() -> CalibratedClassifierCV:
    return CalibratedClassifierCV(HistGradientBoostingClassifier(max_depth=3, max_iter=200, learning_rate=0.05,
                                                                 random_state=SEED), cv=5, method="isotonic",
                                  ensemble=False)


def youden_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(threshold, J): the P(covered) that maximises missing recall minus covered-reported-missing."""
    best = (0.5, -1.0)
    for t in np.unique(np.round(p, 3)):
        shown = p >= t
        j = float((~shown & (y == 0)).sum() / max(1, (y == 0).sum()) - (~shown & (y == 1)).sum() / max(1, y.sum()))
        if j > best[1]:
            best = (float(t), j)
    return best


def fit_coverage(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[CalibratedClassifierCV, float, dict]:
    """The coverage classifier on all of ``x``, and its threshold from out-of-fold predictions."""
    oof = cross_val_predict(_coverage_classifier(), x, y, groups=groups, cv=GroupKFold(n_splits=5),
                            method="predict_proba")[:, 1]
    threshold, j = youden_threshold(oof, y)
    shown = oof >= threshold
    stats = {"statements": len(y), "covered_share": round(float(y.mean()), 4), "oof_youden_j": round(j, 4),
             "oof_missing_recall": round(float((~shown & (y == 0)).sum() / max(1, (y == 0).sum())), 4),
             "oof_covered_as_missing": round(float((~shown & (y == 1)).sum() / max(1, y.sum())), 4),
             "oof_covered_precision": round(float((shown & (y == 1)).sum() / max(1, shown.sum())), 4)}
    return _coverage_classifier().fit(x, y), threshold, stats


def fit(items: list[EvalItem], m: Matcher, run: str, folder: Path | None = None) -> Calibration:
    """Fit every model on ``items`` (dev only); with ``folder``, write the coverage model file there."""
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
    scaler = StandardScaler().fit(x)
    scope = LogisticRegression(class_weight="balanced", C=1.0, max_iter=2000).fit(scaler.transform(x), y)
    # the threshold and the reported rates come from out-of-fold predictions: in-sample ones flatter the model
    p_in = cross_val_predict(make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", C=1.0,
                                                                                max_iter=2000)),
                             x, y, cv=StratifiedKFold(5, shuffle=True, random_state=SEED), method="predict_proba")[:, 1]
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
    coverage = None
    cx, cy, groups = coverage_rows(items, scored, m)
    if folder is not None and len(set(cy)) == 2 and len(set(groups)) >= 5:
        model, cov_threshold, cov_stats = fit_coverage(cx, cy, groups)
        name = f"{m.settings.standard_code}.{slug(m.encoder.id)}.coverage.npz"
        buf = io.BytesIO()
        FrozenCoverage.of(model, cx).save(buf)  # checked against scikit-learn's own predictions on cx
        write_atomic(folder / name, buf.getvalue())
        # the file of the format before frozen models, if this folder has one
        (folder / f"{m.settings.standard_code}.{slug(m.encoder.id)}.coverage.joblib").unlink(missing_ok=True)
        coverage = CoverageModel(file=name, sha256=sha256_file(folder / name), sklearn=sklearn.__version__,
                                 features=list(COVERAGE_FEATURES), threshold=round(cov_threshold, 4))
    return Calibration(
        run=run, encoder=m.encoder.id,
        scope=Logistic(coef=[float(c) for c in scope.coef_[0]], intercept=float(scope.intercept_[0]),
                       mean=[float(v) for v in scaler.mean_], scale=[float(v) for v in scaler.scale_]),
        scope_threshold=round(threshold, 6),
        correct=Logistic(coef=[float(c) for c in correct.coef_[0]], intercept=float(correct.intercept_[0])),
        confident=round(confident, 4), coverage=coverage,
        fitted_on={"items": len(xs), "in_domain": int(y.sum()), "out_of_domain": int((y == 0).sum()),
                   "dev_ood_flagged": flagged, "dev_in_domain_kept": float((in_domain >= threshold).mean()),
                   "dev_top1_above_confident": float(right[p_top >= confident].mean()) if (p_top >= confident).any()
                   else None, "coverage": cov_stats if coverage else None},
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.split("\n\n")[0])
    p.add_argument("--run", default="dev-calib-8", help="the run's name, recorded in the model file")
    p.add_argument("--dataset", action="append", help="dev JSONL files (default: eval/data/dev*.jsonl)")
    p.add_argument("--engine", action="append", default=[], metavar="SETTING=VALUE",
                   help=f"an engine setting on this encoder's cosine scale ({', '.join(ENCODER_SETTINGS)}), chosen "
                        "on dev (python -m eval.tune); kept in the calibration file and applied with it (default: "
                        "those of the encoder's current calibration)")
    args = p.parse_args(argv)
    settings: Settings = get_settings()
    engine: dict[str, float] = {}
    for pair in args.engine:
        key, _, value = pair.partition("=")
        if key.strip() not in ENCODER_SETTINGS:
            p.error(f"--engine {pair!r}: not one of {', '.join(ENCODER_SETTINGS)}")
        engine[key.strip()] = float(value)
    settings = settings.model_copy(update={"reference_date": settings.reference_date or REFERENCE_DATE, **engine})
    files = [Path(d) for d in args.dataset] if args.dataset else [locations.eval_data_dir() / f for f in DEV]
    items = [it for f in files for it in load_items(f)]
    m = Matcher.create(settings)
    out = settings.calibration_path(m.encoder.id)
    out.parent.mkdir(parents=True, exist_ok=True)
    cal = fit(items, m, args.run, out.parent)
    # the encoder settings the features were computed under (given now, kept from its calibration, or set in the
    # environment), when they are not the defaults
    cal.settings = {k: getattr(m.settings, k) for k in ENCODER_SETTINGS
                    if getattr(m.settings, k) != Settings.model_fields[k].default}
    cal.fitted_on["datasets"] = [{"path": f.name, "sha256": sha256_file(f)} for f in files]
    write_atomic(out, json.dumps(cal.model_dump(mode="json"), indent=1) + "\n")
    chosen = {"scope_threshold": cal.scope_threshold, "confident": cal.confident,
              "coverage_threshold": cal.coverage.threshold if cal.coverage else None, "engine": cal.settings}
    print(f"{args.run}: {out}\n{json.dumps(cal.fitted_on | chosen, indent=1)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
