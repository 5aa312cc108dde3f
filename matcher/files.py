"""Generic file helpers: atomic writes, file digests and safe file names (dataset, index, calibration and
evaluation files)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import (os.umask sets it, so reading it later from threads would race)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file through a temporary file and a rename, so readers never see half a file. The file gets the
    mode a plain ``open`` would give it (0666 less the umask; the temporary file's own is 0600), or the mode of the
    file it replaces."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_UMASK
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    """sha256 of a file, read in blocks (model weights are tens of MB): dataset, index and model checksums."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def slug(name: str) -> str:
    """A file-name-safe form of an id (encoder ids hold ``:`` and ``/``): the index and calibration files."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[-80:]
