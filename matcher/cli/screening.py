"""``matcher screen`` and ``matcher rank-vacancies``: screening at scale, from the command line.

``matcher screen VACANCY CVS --out FILE`` scores every CV of a folder (TXT/PDF/DOCX), a JSONL file of
``{id, text}`` or a CSV file with ``id`` and ``text`` columns against one vacancy, through the engine's one core
(``matcher.engine.screening.screen_rows``), and writes the ranked rows as CSV, XLSX, Parquet or JSONL (by the
output's extension). The work runs

* in this process (``--workers 1``, the default), or
* in a local process pool (``--workers N``): each worker loads the encoder and the index once, or
* on Ray (``--ray [--ray-address ADDR]``): Ray Data ``map_batches`` with a callable class (:class:`ScreenWorker`),
  so the encoder and the index load once per actor; ``--ray-actors`` actors of ``--ray-cpus-per-actor`` CPUs.

Rows are appended to a journal beside the output (``FILE.partial.jsonl``) as batches finish; the finished file is
written from it, ranked, and the journal removed. After a crash or Ctrl-C, ``--resume`` reads the journal, skips
the ids already in it and never writes a row twice.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcher.cli.commands import UserError, _import_text_pipeline, _read_input, jsonl_item
from matcher.config import Settings
from matcher.errors import InputError, MatcherError
from matcher.files import write_atomic

if TYPE_CHECKING:
    from matcher.engine import Matcher, ScreenedCV
    from matcher.engine.screening import VacancyProfile

MatcherFactory = Callable[[Settings], "Matcher"]
JOURNAL_VERSION = 1
TEXT_SUFFIXES = {".txt", ".pdf", ".docx", ".text", ".md"}


# --- the pool of CVs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CVItem:
    """One CV of the pool: its id and either its text (JSONL, CSV) or its file (a folder)."""

    id: str
    text: str | None = None
    path: str | None = None


def _csv_items(path: Path) -> list[CVItem]:
    csv.field_size_limit(sys.maxsize)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "id" not in reader.fieldnames or "text" not in reader.fieldnames:
                raise UserError(f"{path}: the CSV needs 'id' and 'text' columns")
            return [CVItem(id=str(r["id"] or f"cv-{n}"), text=r["text"] or "")
                    for n, r in enumerate(reader, start=1)]
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise UserError(f"{path}: not a readable CSV file ({exc})") from None


def _jsonl_items(path: Path) -> list[CVItem]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason})") from None
    items = []
    for n, line in enumerate(lines, start=1):
        if line.strip():
            item = jsonl_item(path, n, line)
            items.append(CVItem(id=str(item.get("id", f"cv-{n}")), text=item["text"]))
    return items


def load_pool(src: Path) -> list[CVItem]:
    """The CVs of a folder (its files, by name; hidden files are left out), a JSONL or a CSV file. Ids must be
    unique (resuming relies on them)."""
    if src.is_dir():
        items = [CVItem(id=p.relative_to(src).as_posix(), path=str(p)) for p in sorted(src.rglob("*"))
                 if p.is_file() and not any(part.startswith(".") for part in p.relative_to(src).parts)]
    elif src.is_file() and src.suffix.lower() == ".csv":
        items = _csv_items(src)
    elif src.is_file():
        items = _jsonl_items(src)
    else:
        raise UserError(f"{src}: no such folder, JSONL or CSV file")
    if not items:
        raise UserError(f"{src}: no CVs found")
    seen: set[str] = set()
    for it in items:
        if it.id in seen:
            raise UserError(f"{src}: the id {it.id!r} appears twice; ids must be unique")
        seen.add(it.id)
    return items


# --- the worker: one Matcher, many batches ------------------------------------------------------------------------


def default_matcher(settings: Settings) -> Matcher:
    """The engine for screening: the configured encoder, behind the segment vector cache when one is set."""
    _import_text_pipeline()
    from matcher.encoders import get_encoder
    from matcher.engine import Matcher
    from matcher.engine.screening import CachingEncoder, SegmentVectorCache

    enc: Any = get_encoder(settings)
    if settings.vector_cache is not None:
        enc = CachingEncoder(enc, SegmentVectorCache(settings.vector_cache, enc.id, enc.dim))
    return Matcher.create(settings, encoder=enc)


def _limits(settings: Settings) -> Any:
    """The document limits of the API (``api.service``), so that a file reads the same way on both."""
    from matcher.text.documents import DocumentLimits

    s = settings
    return DocumentLimits(max_bytes=s.max_request_bytes, max_pages=s.max_pages, max_chars=s.max_text_chars,
                          max_docx_uncompressed=s.max_docx_uncompressed, max_parse_seconds=s.parse_timeout)


class ScreenWorker:
    """Scores batches of CVs against one vacancy. Built once per process (``--workers``) or per Ray actor
    (``map_batches`` with this callable class), so the encoder and the index load once there.

    A batch is a mapping of columns: ``id`` and one of ``text`` (typed text), ``data`` (a file's bytes) or
    ``path`` (a file on this machine) per CV; the answer has columns ``id`` and ``row`` (the row as JSON)."""

    def __init__(self, settings: Settings, vacancy: str, factory: MatcherFactory | None = None) -> None:
        from matcher.engine.screening import profile_vacancy

        self.settings = settings
        self.matcher = (factory or default_matcher)(settings)
        self.profile: VacancyProfile = profile_vacancy(self.matcher, vacancy)

    def rows(self, items: Sequence[CVItem | dict[str, Any]]) -> list[ScreenedCV]:
        from matcher.engine.screening import error_row, error_text, screen_rows
        from matcher.text.documents import extract

        readable: list[tuple[str, str]] = []
        failed: dict[str, ScreenedCV] = {}
        order: list[str] = []
        for it in items:
            rec = it if isinstance(it, dict) else it.__dict__
            cv_id, text = str(rec["id"]), rec.get("text")
            order.append(cv_id)
            try:
                if text is None:
                    data = rec.get("data")
                    if data is None:
                        data = Path(str(rec["path"])).read_bytes()
                    doc = extract(bytes(data), _limits(self.settings))
                    text = doc.text.encode("utf-8", errors="replace").decode("utf-8")
                readable.append((cv_id, str(text)))
            except MatcherError as exc:
                failed[cv_id] = error_row(cv_id, error_text(exc), len(self.profile.required))
            except OSError as exc:
                failed[cv_id] = error_row(cv_id, f"unreadable: {exc.strerror or exc}", len(self.profile.required))
        scored = {r.id: r for r in screen_rows(self.matcher, self.profile, readable)}
        return [failed[i] if i in failed else scored[i] for i in order]

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        """Ray Data's entry point: a batch of columns in, columns ``id`` and ``row`` out."""
        cols = {k: list(v) for k, v in batch.items()}
        n = len(cols["id"])
        items = [{k: (None if _missing(v[i]) else v[i]) for k, v in cols.items()} for i in range(n)]
        rows = self.rows(items)
        return {"id": [r.id for r in rows], "row": [r.model_dump_json() for r in rows]}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


# --- the process pool ----------------------------------------------------------------------------------------------

_WORKER: ScreenWorker | None = None


def _init_worker(settings: Settings, vacancy: str, factory: MatcherFactory | None) -> None:
    global _WORKER
    _WORKER = ScreenWorker(settings, vacancy, factory)


def _pool_rows(items: list[CVItem]) -> list[str]:
    assert _WORKER is not None
    return [r.model_dump_json() for r in _WORKER.rows(items)]


def _pool_profile() -> str:
    assert _WORKER is not None
    return _WORKER.profile.model_dump_json()


def _threads_per_worker(settings: Settings, workers: int) -> Settings:
    if settings.threads or workers <= 1:
        return settings
    return settings.model_copy(update={"threads": max(1, (os.cpu_count() or 1) // workers)})


# --- the journal: resume without writing a row twice ---------------------------------------------------------------


def journal_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial.jsonl")


def _fingerprint(vacancy: str, settings: Settings) -> dict[str, Any]:
    return {"journal": JOURNAL_VERSION, "vacancy_sha256": hashlib.sha256(vacancy.encode("utf-8")).hexdigest(),
            "encoder": settings.encoder}


def read_journal(path: Path, fingerprint: dict[str, Any]) -> dict[str, str]:
    """The rows already written (id -> row JSON). A last line cut by a crash is ignored; an id written twice
    (it cannot be, but) counts once."""
    from matcher.engine import ScreenedCV

    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        return {}
    try:
        head = json.loads(lines[0])
    except json.JSONDecodeError:
        head = None
    if head != fingerprint:
        raise UserError(f"{path}: this journal belongs to another vacancy or encoder; delete it to start afresh")
    done: dict[str, str] = {}
    for line in lines[1:]:
        try:
            row = ScreenedCV.model_validate_json(line)
        except ValueError:
            continue  # the line a crash cut short
        done.setdefault(row.id, line)
    return done


class Journal:
    def __init__(self, path: Path, fingerprint: dict[str, Any], resume: bool) -> None:
        self.path = path
        self.done: dict[str, str] = {}
        if path.exists() and resume:
            self.done = read_journal(path, fingerprint)
            # rewrite it clean (no cut line at the end), then append
            body = json.dumps(fingerprint) + "\n" + "".join(line + "\n" for line in self.done.values())
            write_atomic(path, body)
        elif path.exists():
            raise UserError(f"{path}: an earlier run of this screening did not finish; pass --resume to go on "
                            "from it, or delete it to start afresh")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps(fingerprint) + "\n")
        self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def add(self, rows: list[str]) -> int:
        """Append rows not yet written; returns how many were new."""
        from matcher.engine import ScreenedCV

        new = []
        for line in rows:
            row_id = ScreenedCV.model_validate_json(line).id
            if row_id not in self.done:
                self.done[row_id] = line
                new.append(line)
        if new:
            self._fh.write("".join(line + "\n" for line in new))
            self._fh.flush()
            os.fsync(self._fh.fileno())
        return len(new)

    def close(self) -> None:
        self._fh.close()


# --- running -----------------------------------------------------------------------------------------------------


def _chunks(items: list[CVItem], size: int) -> Iterator[list[CVItem]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def run_inline(settings: Settings, vacancy: str, items: list[CVItem], batch: int,
               factory: MatcherFactory | None, on_rows: Callable[[list[str]], None]) -> VacancyProfile:
    worker = ScreenWorker(settings, vacancy, factory)
    for chunk in _chunks(items, batch):
        on_rows([r.model_dump_json() for r in worker.rows(chunk)])
    return worker.profile


def run_pool(settings: Settings, vacancy: str, items: list[CVItem], batch: int, workers: int,
             factory: MatcherFactory | None, on_rows: Callable[[list[str]], None]) -> VacancyProfile:
    import multiprocessing

    from matcher.engine.screening import VacancyProfile

    s = _threads_per_worker(settings, workers)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(s, vacancy, factory)) as pool:
        profile = VacancyProfile.model_validate_json(pool.submit(_pool_profile).result())
        chunks = _chunks(items, batch)
        running: set[Future[list[str]]] = set()
        try:
            while True:
                while len(running) < 2 * workers:
                    chunk = next(chunks, None)
                    if chunk is None:
                        break
                    running.add(pool.submit(_pool_rows, chunk))
                if not running:
                    break
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    on_rows(fut.result())
        except BaseException:
            for fut in running:
                fut.cancel()
            raise
    return profile


def run_ray(settings: Settings, vacancy: str, items: list[CVItem], batch: int, actors: int, cpus_per_actor: float,
            address: str | None, local_cpus: int | None, factory: MatcherFactory | None,
            on_rows: Callable[[list[str]], None]) -> None:
    """Ray Data ``map_batches`` with :class:`ScreenWorker` (one encoder and index per actor). Files are sent as
    bytes, so the actors need no shared file system."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise UserError(f"--ray needs Ray: pip install -e '.[ray]' ({exc})") from None
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=local_cpus or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False)
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        s = settings if settings.threads else settings.model_copy(update={"threads": max(1, int(cpus_per_actor))})
        records = [{"id": it.id, "text": it.text,
                    "data": Path(it.path).read_bytes() if it.path is not None else None} for it in items]
        ds = ray.data.from_items(records, override_num_blocks=max(1, min(len(records), actors * 4)))
        kwargs: dict[str, Any] = {"fn_constructor_kwargs": {"settings": s, "vacancy": vacancy, "factory": factory},
                                  "batch_size": batch, "num_cpus": cpus_per_actor, "batch_format": "numpy"}
        try:
            mapped = ds.map_batches(ScreenWorker, compute=ray.data.ActorPoolStrategy(size=actors), **kwargs)
        except TypeError:  # an older Ray: concurrency=
            mapped = ds.map_batches(ScreenWorker, concurrency=actors, **kwargs)
        for out in mapped.iter_batches(batch_size=None, batch_format="numpy"):
            on_rows([str(x) for x in out["row"]])
    finally:
        if started_here:
            ray.shutdown()


def screen_to_file(settings: Settings, vacancy: str, items: list[CVItem], out: Path, *, workers: int = 1,
                   batch: int = 16, resume: bool = False, progress: bool | None = None,
                   use_ray: bool = False, ray_address: str | None = None, ray_actors: int = 2,
                   ray_cpus_per_actor: float = 1.0, ray_cpus: int | None = None,
                   factory: MatcherFactory | None = None) -> dict[str, Any]:
    """Screen ``items`` into ``out`` (ranked; format by extension), through the journal. Returns a summary."""
    from tqdm import tqdm

    from matcher.engine import ScreenedCV
    from matcher.engine.screening import export_bytes, format_of, rank

    try:
        fmt = format_of(out)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    journal = Journal(journal_path(out), _fingerprint(vacancy, settings), resume)
    todo = [it for it in items if it.id not in journal.done]
    skipped = len(items) - len(todo)
    started = time.perf_counter()
    bar = tqdm(total=len(items), initial=skipped, unit="CV", desc="screening", file=sys.stderr,
               disable=(not sys.stderr.isatty()) if progress is None else not progress, smoothing=0.1)
    wanted = {it.id for it in items}
    profile = None

    def on_rows(rows: list[str]) -> None:
        bar.update(journal.add(rows))

    try:
        if todo:
            if use_ray:
                run_ray(settings, vacancy, todo, batch, ray_actors, ray_cpus_per_actor, ray_address, ray_cpus,
                        factory, on_rows)
            elif workers > 1:
                profile = run_pool(settings, vacancy, todo, batch, workers, factory, on_rows)
            else:
                profile = run_inline(settings, vacancy, todo, batch, factory, on_rows)
    except InputError as exc:
        raise UserError(f"the vacancy: {exc}") from None
    finally:
        bar.close()
        journal.close()
    seconds = time.perf_counter() - started
    rows = rank(ScreenedCV.model_validate_json(line) for i, line in journal.done.items() if i in wanted)
    missing = wanted - {r.id for r in rows}
    if missing:
        raise UserError(f"{len(missing)} CVs have no row (the run was cut short?); run again with --resume")
    try:
        data = export_bytes(rows, fmt)
    except ImportError as exc:  # openpyxl / pyarrow: the [screen] extra
        raise UserError(f"writing .{fmt} needs {exc.name}: pip install -e '.[screen]'; the rows are kept in "
                        f"{journal.path} (run again with --resume)") from None
    write_atomic(out, data)
    journal.path.unlink(missing_ok=True)
    return {"rows": len(rows), "screened": len(todo), "resumed": skipped, "seconds": seconds,
            "cvs_per_second": len(todo) / seconds if seconds > 0 and todo else 0.0,
            "errors": sum(1 for r in rows if r.error), "profile": profile, "ranked": rows}


# --- the commands ------------------------------------------------------------------------------------------------


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sc = sub.add_parser("screen", help="rank CVs (a folder of TXT/PDF/DOCX files, a JSONL or a CSV file) against "
                        "a vacancy; with --out, write the ranked rows as CSV, XLSX, Parquet or JSONL")
    sc.add_argument("vacancy", help="the vacancy: a TXT, PDF or DOCX file ('-': stdin)")
    sc.add_argument("cvs", help="a folder of CV files, a JSONL file of {id, text} or a CSV file with id, text")
    sc.add_argument("--out", "-o", help="the ranked result: .csv, .xlsx, .parquet or .jsonl (without: print)")
    sc.add_argument("--json", action="store_true", help="without --out: print the ScreenResult JSON")
    sc.add_argument("--workers", type=int, default=1, help="local worker processes (each loads the model once)")
    sc.add_argument("--batch", type=int, default=16, help="CVs per encoder call")
    sc.add_argument("--resume", action="store_true", help="go on from the journal of an interrupted run "
                    "(FILE.partial.jsonl), skipping the ids already written")
    sc.add_argument("--vector-cache", help="SQLite file of segment vectors (hashes and vectors only; default "
                    "MATCHER_VECTOR_CACHE, unset: none)")
    sc.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                    help="progress bar with CVs/s (default: when stderr is a terminal)")
    sc.add_argument("--ray", action="store_true", help="run on Ray (pip install -e '.[ray]'): a local Ray, or "
                    "the cluster at --ray-address")
    sc.add_argument("--ray-address", help="address of an existing Ray cluster (default: start a local Ray)")
    sc.add_argument("--ray-actors", type=int, default=2, help="Ray actors (map_batches concurrency; default 2)")
    sc.add_argument("--ray-cpus-per-actor", type=float, default=1.0, help="CPUs reserved per actor (default 1)")
    sc.add_argument("--ray-cpus", type=int, help="CPUs of a local Ray (default: all)")
    sc.set_defaults(func=screen_command)

    rv = sub.add_parser("rank-vacancies", help="rank vacancies (a folder of files, a JSONL or a CSV file) for one "
                        "CV, with the screening's fit and reasons")
    rv.add_argument("cv", help="the CV: a TXT, PDF or DOCX file ('-': stdin)")
    rv.add_argument("vacancies", help="a folder of vacancy files, a JSONL file of {id, text} or a CSV file")
    rv.add_argument("--out", "-o", help="the ranked vacancies: .csv, .xlsx, .parquet or .jsonl (without: print)")
    rv.add_argument("--json", action="store_true", help="without --out: print the VacancyRanking JSON")
    rv.set_defaults(func=rank_vacancies_command)


def _settings(args: argparse.Namespace) -> Settings:
    s: Settings = args.settings
    if getattr(args, "vector_cache", None):
        s = s.model_copy(update={"vector_cache": Path(args.vector_cache)})
    return s


def screen_command(args: argparse.Namespace) -> int:
    s = _settings(args)
    vacancy = _read_input(args.vacancy, s)
    items = load_pool(Path(args.cvs))
    if args.workers < 1 or args.batch < 1 or args.ray_actors < 1:
        raise UserError("--workers, --batch and --ray-actors must be at least 1")
    if args.out is None:
        if args.ray or args.workers > 1 or args.resume:
            raise UserError("--workers, --resume and --ray need --out FILE")
        return _print_screening(s, vacancy, items, args.json, args.batch)
    try:
        summary = screen_to_file(s, vacancy, items, Path(args.out), workers=args.workers, batch=args.batch,
                                 resume=args.resume, progress=args.progress, use_ray=args.ray,
                                 ray_address=args.ray_address, ray_actors=args.ray_actors,
                                 ray_cpus_per_actor=args.ray_cpus_per_actor, ray_cpus=args.ray_cpus)
    except KeyboardInterrupt:
        print(f"matcher: interrupted; the rows so far are in {journal_path(Path(args.out))}: run the same command "
              "with --resume to go on", file=sys.stderr)
        raise
    prof = summary["profile"]
    head = (f"vacancy: card {prof.occupation.clause} SBSh {prof.occupation.sbsh_level}, "
            f"{len(prof.required)} required statements; ") if prof else ""
    print(f"matcher: {head}{summary['rows']} CVs ranked -> {args.out} ({summary['screened']} screened in "
          f"{summary['seconds']:.1f} s, {summary['cvs_per_second']:.2f} CVs/s; {summary['resumed']} from the "
          f"journal; {summary['errors']} unreadable)", file=sys.stderr)
    return 0


def _print_screening(s: Settings, vacancy: str, items: list[CVItem], as_json: bool, batch: int) -> int:
    from matcher.engine import ScreenResult
    from matcher.engine.screening import rank

    worker = _worker_or_usage(s, vacancy)
    rows = [r for chunk in _chunks(items, batch) for r in worker.rows(chunk)]
    res = ScreenResult(vacancy=worker.profile.occupation, required=worker.profile.required, cvs=rank(rows))
    if as_json:
        print(res.model_dump_json())
        return 0
    v = res.vacancy
    print(f"vacancy: card {v.clause} {v.name.en} · SBSh {v.sbsh_level} · {len(res.required)} required statements")
    for c in res.cvs:
        print(f"\n#{c.rank} {c.id}  fit {c.fit:.2f}" + (f"  error {c.error}" if c.error else ""))
        for r in c.reasons:
            print(f"   - {r}")
    return 0


def _worker_or_usage(s: Settings, vacancy: str) -> ScreenWorker:
    try:
        return ScreenWorker(s, vacancy)
    except InputError as exc:
        raise UserError(f"the vacancy: {exc}") from None


def _texts(items: list[CVItem], s: Settings) -> list[tuple[str, str]]:
    out = []
    for it in items:
        out.append((it.id, it.text if it.text is not None else _read_input(str(it.path), s)))
    return out


def rank_vacancies_command(args: argparse.Namespace) -> int:
    from matcher.engine.screening import export_bytes, format_of, rank_vacancies

    s = _settings(args)
    cv = _read_input(args.cv, s)
    vacancies = _texts(load_pool(Path(args.vacancies)), s)
    fmt = None
    if args.out:
        try:
            fmt = format_of(args.out)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    try:
        res = rank_vacancies(default_matcher(s), cv, vacancies)
    except InputError as exc:
        raise UserError(f"{args.cv}: {exc}") from None
    if fmt is not None:
        write_atomic(Path(args.out), export_bytes([v.row for v in res.vacancies], fmt))
        print(f"matcher: {len(res.vacancies)} vacancies ranked -> {args.out}", file=sys.stderr)
        return 0
    if args.json:
        print(res.model_dump_json())
        return 0
    if not res.cv_in_scope:
        print("note: this CV does not describe work of this standard's occupations")
    for v in res.vacancies:
        card = f"card {v.clause} SBSh {v.vacancy_level}" if v.clause else f"error {v.error}"
        print(f"\n#{v.rank} {v.id}  fit {v.fit:.2f}  ({card})")
        for r in v.row.reasons:
            print(f"   - {r}")
    return 0
