"""The contrast set: typical duty, skill and knowledge lines of other professions (a developer, an accountant, a
nurse, a cook ...), in kk, ru and en, written for this purpose (``matcher/data/contrast/``; never taken from the
evaluation data).

The engine indexes them beside the statements. A CV sentence nearer to another profession's line than to any
statement of the standard counts against the text being within the standard's scope.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from matcher.errors import DatasetError
from matcher.standard.schema import Lang


class ContrastLine(BaseModel):
    occupation: str
    lang: Lang
    text: str


def load_contrast(path: Path) -> list[ContrastLine]:
    """Every line of the contrast file; none when the file does not exist (the scope model then reads no contrast)."""
    if not path.is_file():
        return []
    lines = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            lines.append(ContrastLine.model_validate(json.loads(raw)))
        except (ValueError, ValidationError) as exc:
            raise DatasetError(f"{path}:{n}: not a contrast line ({exc})", "dataset_missing") from None
    return lines
