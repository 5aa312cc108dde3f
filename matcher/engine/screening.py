"""Screening: many CVs ranked against one vacancy (and, the other way round, many vacancies for one CV).

The one core every path calls (``matcher screen`` locally, in a process pool or on Ray, ``POST /v1/screen``, the
API's screening jobs and the screening page), so that their rows and their order are identical:

* :func:`profile_vacancy` reads the vacancy once: its occupation card, SBSh level and required statements;
* :func:`screen_rows` scores a batch of CVs against that profile: one row (:class:`ScreenedCV`) per CV, unranked,
  an unreadable CV giving a row with its ``error`` instead of an exception;
* :func:`rank` orders rows (in scope first, then by fit, then by id) and numbers them from 1.

Rows do not depend on how CVs are batched (the encoder's vectors are batch-independent, and each row reads only its
own CV), so any split of the pool between workers, machines or requests gives the same file.

The same scoring, reversed, ranks vacancies for a job seeker (:func:`rank_vacancies`).

Exports (:func:`write_rows`: CSV, XLSX, Parquet, JSONL) have the columns of :data:`COLUMNS`, in that order.

:class:`SegmentVectorCache` and :class:`CachingEncoder` are the opt-in vector cache of CV segments: a segment's
vector is kept under a hash of its cleaned text (PII already removed), so screening the same pool against another
vacancy encodes almost nothing. The cache holds hashes and vectors only, never text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from matcher.engine.matcher import Matcher
from matcher.engine.results import MatchResult, OccupationMatch, ScreenedCV, ScreenResult
from matcher.errors import InputError, MatcherError

# The export's columns, in this order (outside checks rely on the names and the order).
COLUMNS: tuple[str, ...] = ("rank", "id", "fit", "occupation_score", "in_scope", "sbsh_level", "required_covered",
                            "required_total", "reasons", "error")
REASON_SEPARATOR = " | "
FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet", "jsonl")


class VacancyProfile(BaseModel):
    """What screening needs of a vacancy: its best card (with level) and the statements it requires."""

    occupation: OccupationMatch
    required: list[str] = Field(description="ids of the statements the vacancy requires (Matcher.required)")


def profile_vacancy(m: Matcher, text: str) -> VacancyProfile:
    """The vacancy read once. Raises ``InputError`` for a text that cannot be matched."""
    vac = m.match(text, "vacancy", top=1).occupations[0]
    return VacancyProfile(occupation=vac, required=m.required(vac))


def error_row(cv_id: str, error: str, required_total: int) -> ScreenedCV:
    """The row of a CV that could not be read or matched: fit 0, out of scope, the error as ``code: message``."""
    message = error.split(": ", 1)[1] if ": " in error else error
    return ScreenedCV(id=cv_id, rank=0, fit=0.0, occupation_score=0.0, required_covered=0,
                      required_total=required_total, sbsh_level=0, in_scope=False,
                      reasons=[f"not matched: {message}"], error=error)


def error_text(exc: MatcherError) -> str:
    """How an error is written in a row's ``error``: its stable code, then the message."""
    return f"{exc.code}: {exc.message}"


def assess(profile: VacancyProfile, cv_id: str, res: MatchResult) -> ScreenedCV:
    """One CV's row against a vacancy profile (pure: no encoder)."""
    vac, required = profile.occupation, profile.required
    mine = next(o for o in res.occupations if o.clause == vac.clause)
    got = {c.id: c for c in mine.covered}
    hits = [got[r] for r in required if r in got]
    share = len(hits) / len(required) if required else 0.0
    level_gap = max(0, vac.sbsh_level - mine.sbsh_level)
    fit = max(0.0, 0.5 * mine.score + 0.5 * share - 0.1 * level_gap)
    top_card = res.occupations[0]
    reasons = [f"covers {len(hits)} of {len(required)} statements the vacancy requires"]
    if mine.title:
        reasons.append(f"its title names this job: '{mine.title[:90]}'")
    quoted = [h for h in hits if h.source == "text"]  # an inferred statement has no sentence to show
    reasons += [f"'{h.evidence[:90]}' -> {h.text.kk[:80]}" for h in sorted(quoted, key=lambda h: (-h.score, h.id))[:3]]
    reasons.append(f"fit to card {vac.clause}: {mine.score:.2f}; estimated level {mine.sbsh_level} "
                   f"(vacancy asks {vac.sbsh_level})")
    if top_card.clause != vac.clause:
        reasons.append(f"this CV fits card {top_card.clause} ({top_card.name.en}) better")
    if not res.in_scope:
        reasons.append("this CV does not describe work of this standard's occupations")
    return ScreenedCV(id=cv_id, rank=0, fit=round(fit, 4), occupation_score=mine.score,
                      required_covered=len(hits), required_total=len(required), sbsh_level=mine.sbsh_level,
                      in_scope=res.in_scope, reasons=reasons)


def _input_error(m: Matcher, text: str, message: str) -> str:
    """``code: message`` of a text the matcher refused (``match_many`` gives the message only)."""
    try:
        m.segments(text)
    except InputError as exc:
        return error_text(exc)
    return f"not_matched: {message}"


def screen_rows(m: Matcher, profile: VacancyProfile, cvs: Sequence[tuple[str, str]]) -> list[ScreenedCV]:
    """The core: one unranked row per CV ``(id, text)`` against the vacancy profile, one encoder call for the
    batch. A CV the matcher cannot read gives an error row, never an exception."""
    if not cvs:
        return []
    # the evidence judge is not run on the CVs of a screening: its reasons quote each CV's nearest sentences, and
    # at a region's scale a judge pass per CV would cost as much again as matching it
    results = m.with_settings(judge_cards=0).match_many([t for _, t in cvs], ["cv"] * len(cvs))
    rows = []
    for (cv_id, text), res in zip(cvs, results, strict=True):
        if isinstance(res, str):
            rows.append(error_row(cv_id, _input_error(m, text, res), len(profile.required)))
        else:
            rows.append(assess(profile, cv_id, res))
    return rows


def rank_key(row: ScreenedCV) -> tuple[bool, bool, float, str]:
    """Readable rows first, then CVs in the standard's scope, then by fit (best first), then by id."""
    return (row.error is not None, not row.in_scope, -row.fit, row.id)


def rank(rows: Iterable[ScreenedCV]) -> list[ScreenedCV]:
    """Rows in rank order, numbered from 1 (copies: the rows given are left as they are)."""
    ordered = sorted(rows, key=rank_key)
    return [row.model_copy(update={"rank": n}) for n, row in enumerate(ordered, start=1)]


def screen(m: Matcher, vacancy: str, cvs: list[tuple[str, str]]) -> ScreenResult:
    """Rank CVs by fit to the vacancy's occupation and the statements it requires, with reasons."""
    profile = profile_vacancy(m, vacancy)
    return ScreenResult(vacancy=profile.occupation, required=profile.required,
                        cvs=rank(screen_rows(m, profile, cvs)))


# --- the other way round: vacancies for one CV -------------------------------------------------------------------


class RankedVacancy(BaseModel):
    """One vacancy as a job seeker sees it: the screening row of their CV against it, plus the vacancy's card."""

    id: str
    rank: int
    fit: float
    clause: int | None = Field(description="the vacancy's card (None: the vacancy could not be read)")
    vacancy_level: int | None = None
    row: ScreenedCV = Field(description="the CV's screening row against this vacancy (same fit and reasons)")
    error: str | None = None


class VacancyRanking(BaseModel):
    cv_in_scope: bool
    vacancies: list[RankedVacancy]


def rank_vacancies(m: Matcher, cv: str, vacancies: Sequence[tuple[str, str]]) -> VacancyRanking:
    """Rank vacancies ``(id, text)`` for one CV with the screening's own fit and reasons: the row of the CV
    against each vacancy, ordered as screening orders rows. Raises ``InputError`` when the CV cannot be read."""
    res = m.match(cv, "cv")
    rows: list[tuple[ScreenedCV, VacancyProfile | None]] = []
    for vac_id, text in vacancies:
        try:
            profile = profile_vacancy(m, text)
        except InputError as exc:
            rows.append((error_row(vac_id, error_text(exc), 0), None))
            continue
        rows.append((assess(profile, vac_id, res), profile))
    ranked = rank(r for r, _ in rows)
    profiles = {r.id: p for r, p in rows}
    out = [RankedVacancy(id=r.id, rank=r.rank, fit=r.fit, row=r, error=r.error,
                         clause=p.occupation.clause if (p := profiles[r.id]) else None,
                         vacancy_level=p.occupation.sbsh_level if p else None) for r in ranked]
    return VacancyRanking(cv_in_scope=res.in_scope, vacancies=out)


# --- exports -----------------------------------------------------------------------------------------------------


def row_record(row: ScreenedCV) -> dict[str, Any]:
    """A row as the export writes it: the columns of ``COLUMNS``, reasons joined by ``REASON_SEPARATOR``."""
    return {"rank": row.rank, "id": row.id, "fit": row.fit, "occupation_score": row.occupation_score,
            "in_scope": row.in_scope, "sbsh_level": row.sbsh_level, "required_covered": row.required_covered,
            "required_total": row.required_total, "reasons": REASON_SEPARATOR.join(row.reasons),
            "error": row.error or ""}


def format_of(path: Path | str) -> str:
    """The export format named by a file's extension (``.csv``, ``.xlsx``, ``.parquet``, ``.jsonl``)."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"{path}: the output's extension must be one of " + ", ".join("." + f for f in FORMATS))
    return ext


def _csv_cell(value: Any) -> Any:
    return ("true" if value else "false") if isinstance(value, bool) else value


def to_csv(rows: Sequence[ScreenedCV]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        rec = row_record(row)
        writer.writerow([_csv_cell(rec[c]) for c in COLUMNS])
    return buf.getvalue().encode("utf-8")


def to_jsonl(rows: Sequence[ScreenedCV]) -> bytes:
    return "".join(json.dumps(row_record(r), ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def to_xlsx(rows: Sequence[ScreenedCV]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("screening")
    ws.append(list(COLUMNS))
    for row in rows:
        rec = row_record(row)
        ws.append([_xlsx_cell(rec[c]) for c in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_cell(value: Any) -> Any:
    # a cell that begins with = + - @ would be read as a formula by a spreadsheet: keep ids and reasons text
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_parquet(rows: Sequence[ScreenedCV]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("rank", pa.int64()), ("id", pa.string()), ("fit", pa.float64()),
                        ("occupation_score", pa.float64()), ("in_scope", pa.bool_()), ("sbsh_level", pa.int64()),
                        ("required_covered", pa.int64()), ("required_total", pa.int64()), ("reasons", pa.string()),
                        ("error", pa.string())])
    records = [row_record(r) for r in rows]
    table = pa.Table.from_pydict({c: [rec[c] for rec in records] for c in COLUMNS}, schema=schema)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def export_bytes(rows: Sequence[ScreenedCV], fmt: str) -> bytes:
    """Ranked rows in one of ``FORMATS``."""
    writers = {"csv": to_csv, "xlsx": to_xlsx, "parquet": to_parquet, "jsonl": to_jsonl}
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r}")
    return writers[fmt](rows)


def read_export(path: Path) -> list[dict[str, Any]]:
    """An export read back as records with the export's columns (tests, and to compare outputs)."""
    fmt = format_of(path)
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True).active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


# --- the vector cache of CV segments ------------------------------------------------------------------------------


class SegmentVectorCache:
    """Vectors of encoded segments in one SQLite file, keyed by a hash of (encoder id, cleaned segment text).

    Only the 16-byte hash and the float32 vector are stored, never the text (segments are PII-stripped before they
    are hashed). Safe to share between the processes of one machine (WAL mode)."""

    def __init__(self, path: Path, encoder_id: str, dim: int) -> None:
        self.path, self.encoder_id, self.dim = Path(path), encoder_id, dim
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = self._db()
        db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID")
        db.commit()
        self.hits = self.misses = 0

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def key(self, text: str) -> bytes:
        return hashlib.blake2b(f"{self.encoder_id}\x1fquery\x1f{text}".encode("utf-8", "surrogatepass"),
                               digest_size=16).digest()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        db = self._db()
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape == (self.dim,):
                    found[bytes(key)] = vec
        return found

    def put_many(self, items: Iterable[tuple[bytes, np.ndarray]]) -> None:
        db = self._db()
        db.executemany("INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)",
                       [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items])
        db.commit()

    def __len__(self) -> int:
        return int(self._db().execute("SELECT COUNT(*) FROM vectors").fetchone()[0])


class CachingEncoder:
    """An encoder whose query vectors (CV segments) go through a :class:`SegmentVectorCache`; passages (the
    statement index) and everything else are the wrapped encoder's. Same ``id``: the same vectors."""

    def __init__(self, inner: Any, cache: SegmentVectorCache) -> None:
        self._inner, self.cache = inner, cache
        self.id: str = inner.id
        self.dim: int = inner.dim

    def __getattr__(self, name: str) -> Any:  # runtime, runtime_reason, describe_runtime ...
        return getattr(self._inner, name)

    def queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self.cache.key(t) for t in texts]
        found = self.cache.get_many(keys)
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        self.cache.hits += len(texts) - sum(1 for k in keys if k not in found)
        self.cache.misses += len(todo)
        if todo:
            fresh = np.asarray(self._inner.queries(todo), dtype=np.float32)
            new = [(self.cache.key(t), fresh[i]) for i, t in enumerate(todo)]
            self.cache.put_many(new)
            found.update(new)
        return np.ascontiguousarray(np.stack([found[k] for k in keys]), dtype=np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._inner.passages(texts)

