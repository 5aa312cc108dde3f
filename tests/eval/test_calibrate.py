"""``python -m eval.calibrate``'s fit on real dev items: it writes the coverage classifier frozen (an ``.npz``), the
engine loads it by its checksum, and its probabilities are scikit-learn's for the same fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eval import calibrate
from eval.dataset import load_items
from matcher.engine import Matcher
from matcher.errors import DatasetError
from matcher.files import sha256_file

REPO = Path(__file__).resolve().parents[2]


def test_calibrate_writes_a_frozen_coverage_model_the_engine_loads(hash_matcher: Matcher, tmp_path: Path) -> None:
    items = [it for name in calibrate.DEV for it in load_items(REPO / "eval/data" / name)]
    items = [it for it in items if not it.out_of_domain][:40] + [it for it in items if it.out_of_domain][:10]
    cal = calibrate.fit(items, hash_matcher, "test-run", tmp_path)
    assert cal.coverage is not None and cal.coverage.file.endswith(".coverage.npz")
    path = tmp_path / cal.coverage.file
    assert sha256_file(path) == cal.coverage.sha256 and not list(tmp_path.glob("*.joblib"))
    cal.coverage.attach(tmp_path)
    x, y, groups = calibrate.coverage_rows(items, hash_matcher.score_many([it.text for it in items]), hash_matcher)
    assert len(x) > 100 and 0 < y.mean() < 1  # real statement labels of both kinds
    model, threshold, _ = calibrate.fit_coverage(x, y, groups)  # the same fit again: seeded, deterministic
    p = cal.coverage.predict(x)
    np.testing.assert_allclose(p, model.predict_proba(x)[:, 1], rtol=0, atol=1e-12)
    assert threshold == pytest.approx(cal.coverage.threshold, abs=1e-4) and 0 < (p >= threshold).mean() < 1
    path.write_bytes(path.read_bytes()[:-100])  # damaged: refused by its checksum
    with pytest.raises(DatasetError, match="sha256"):
        cal.coverage.attach(tmp_path)
