"""``matcher screen --ray``: Ray Data ``map_batches`` with the callable ``ScreenWorker`` on a local Ray of 2 CPUs
gives the same rows, in the same file, as the local path (60 CVs, two actors of one CPU each)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from screen_helpers import hash_matcher, make_cvs, vacancy_text

from matcher.cli.screening import CVItem, screen_to_file
from matcher.config import Settings
from matcher.engine.screening import read_export

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed (pip install -e '.[ray]')")

pytestmark = pytest.mark.slow  # a local Ray starts in ~10-20 s; its actors load a matcher each

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    # the actors import the test helpers (the hashing encoder) as the test process does
    path = os.pathsep.join([str(HERE), str(HERE.parent), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    try:
        yield
    finally:
        ray.shutdown()


def test_ray_gives_the_same_rows_as_the_local_path(local_ray: None, tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    hash_matcher(settings)  # the index, built once before the actors load it
    cvs = make_cvs(60, seed=31) + [("blank", " ")]
    items = [CVItem(id=i, text=t) for i, t in cvs]
    (tmp_path / "cv.txt").write_text(cvs[0][1], encoding="utf-8")
    items.append(CVItem(id="cv.txt", path=str(tmp_path / "cv.txt")))  # a file, sent to the actors as bytes
    local, on_ray = tmp_path / "local.parquet", tmp_path / "ray.parquet"
    screen_to_file(settings, vacancy_text(13), items, local, factory=hash_matcher, batch=7)
    summary = screen_to_file(settings, vacancy_text(13), items, on_ray, factory=hash_matcher, batch=7,
                             use_ray=True, ray_actors=2, ray_cpus_per_actor=1)
    assert summary["rows"] == len(items) == 62
    assert read_export(on_ray) == read_export(local)
    assert local.read_bytes() == on_ray.read_bytes()
