"""Where the service's files live, resolved in one place, for a source checkout and for an installed package.

* Read-only data ships inside the packages: the standard in ``matcher/data/`` and the labelled evaluation items in
  ``eval/data/``; both are found next to the code, so a wheel finds them in site-packages like a checkout does.
* Written files - the FAISS index and the converted model - go to the checkout's ``index/`` and ``models/cache/``
  when the code runs from a checkout (a ``pyproject.toml`` beside the package), and otherwise to the user's cache
  folder (``$XDG_CACHE_HOME/kz-skill-matcher``, by default ``~/.cache/kz-skill-matcher``), never into site-packages.

Every path can be overridden by a setting (``MATCHER_DATA_DIR``, ``MATCHER_INDEX_DIR``, ``MATCHER_MODEL_CACHE_DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
APP_NAME = "kz-skill-matcher"


def checkout_root() -> Path | None:
    """The source checkout this package runs from, or None for an installed package."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / "models").is_dir() else None


def cache_root() -> Path:
    """Where written files go when there is no checkout."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / APP_NAME


def data_dir() -> Path:
    """The standard's source text, curated dataset, overlay and translations (shipped with the package)."""
    return PACKAGE_DIR / "data"


def index_dir() -> Path:
    root = checkout_root()
    return root / "index" if root else cache_root() / "index"


def model_cache_dir() -> Path:
    root = checkout_root()
    return root / "models" / "cache" if root else cache_root() / "models"


def eval_data_dir() -> Path:
    """The labelled evaluation items, shipped inside the ``eval`` package (a sibling of this one, installed or not)."""
    return PACKAGE_DIR.parent / "eval" / "data"
