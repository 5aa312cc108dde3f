"""Screening jobs: one vacancy against up to ``max_job_cvs`` CVs, in the background (``/v1/screen/jobs``).

A job is accepted (202) only while fewer than ``max_jobs`` are queued or running (else 429 ``busy``); jobs run one
at a time, in chunks of ``job_chunk`` CVs. Each chunk's documents are read in the parser's child processes and its
CVs scored by the engine's one core (``matcher.engine.screening.screen_rows``) in the encoder pool, beside the
synchronous requests, so progress moves chunk by chunk. The rows are those ``matcher screen`` writes for the same
files, in the same order, and export to the same CSV / XLSX.

Everything is held in memory only: the uploads until their chunk has been read, the result until it is deleted
(``DELETE``) or ``job_ttl`` seconds after the job finished. Nothing is written to disk or logged.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from api.errors import ApiError
from api.service import Service
from matcher.config import Settings
from matcher.engine import OccupationMatch, ScreenedCV
from matcher.engine.screening import VacancyProfile, error_row, error_text, profile_vacancy, rank, screen_rows
from matcher.errors import DocumentError, InputError

Status = Literal["queued", "running", "done", "failed"]


class JobProgress(BaseModel):
    done: int = Field(description="CVs screened so far")
    total: int = Field(description="CVs in the job")
    fraction: float = Field(description="done / total")
    cvs_per_second: float | None = Field(None, description="while running: CVs screened per second")


class JobStatus(BaseModel):
    """``GET /v1/screen/jobs/{id}``: where a job is; the links to its result once it is done."""

    id: str
    status: Status
    progress: JobProgress
    queued_before: int = Field(0, description="jobs ahead of this one in the queue")
    vacancy_clause: int | None = Field(None, description="the vacancy's card, once it has been read")
    error: dict[str, str] | None = Field(None, description="a failed job's {code, detail}")
    result: dict[str, str] | None = Field(None, description="download links (json, csv, xlsx) once done")
    expires_in: float | None = Field(None, description="seconds until a finished job's result is deleted")


class JobResult(BaseModel):
    """``GET /v1/screen/jobs/{id}/result``: the ranked rows (unreadable CVs included, with their ``error``)."""

    id: str
    vacancy: OccupationMatch
    required: list[str]
    rows: list[ScreenedCV]


@dataclass
class CVInput:
    """A CV as uploaded: typed text, or a file's bytes (read by the parser when its chunk comes)."""

    id: str
    text: str | None = None
    data: bytes | None = None
    error: DocumentError | None = None


@dataclass
class Job:
    id: str
    vacancy: str
    cvs: list[CVInput]
    status: Status = "queued"
    done: int = 0
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    profile: VacancyProfile | None = None
    rows: list[ScreenedCV] = field(default_factory=list)
    error: dict[str, str] | None = None
    task: asyncio.Task[None] | None = None

    @property
    def total(self) -> int:
        return len(self.cvs)


def unique_ids(ids: list[str]) -> list[str]:
    """Ids made unique: a repeated one gets ' (2)', ' (3)' ... (two files of the same name)."""
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        n = seen.get(i, 0) + 1
        seen[i] = n
        out.append(i if n == 1 else f"{i} ({n})")
    return out


class JobStore:
    """The jobs of one app: bounded (``max_jobs`` queued or running), one running at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.jobs: dict[str, Job] = {}
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _run_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._loop, self._lock = loop, asyncio.Lock()
        return self._lock

    def active(self) -> list[Job]:
        return [j for j in self.jobs.values() if j.status in ("queued", "running")]

    def prune(self) -> None:
        now = time.monotonic()
        for job_id in [k for k, j in self.jobs.items()
                       if j.finished is not None and now - j.finished > self.settings.job_ttl]:
            del self.jobs[job_id]

    def submit(self, svc: Service, vacancy: str, cvs: list[CVInput]) -> Job:
        self.prune()
        if len(self.active()) >= self.settings.max_jobs:
            raise ApiError(429, "busy", f"{self.settings.max_jobs} screening jobs are already queued or running. "
                           "Please try again when one has finished.", {"Retry-After": "60"})
        job = Job(id=secrets.token_urlsafe(18), vacancy=vacancy, cvs=cvs)
        self.jobs[job.id] = job
        job.task = asyncio.get_running_loop().create_task(self._run(svc, job))
        return job

    def get(self, job_id: str) -> Job:
        self.prune()
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "job_not_found", "There is no screening job with this id (finished jobs are deleted "
                           f"{self.settings.job_ttl:g} s after they finish).")
        return job

    def delete(self, job_id: str) -> None:
        job = self.get(job_id)
        if job.task is not None and not job.task.done():
            job.task.cancel()
        del self.jobs[job_id]

    def close(self) -> None:
        for job in self.jobs.values():
            if job.task is not None and not job.task.done():
                job.task.cancel()
        self.jobs.clear()

    def status(self, job: Job) -> JobStatus:
        queued_before = sum(1 for j in self.active() if j.status == "queued" and j.created < job.created) \
            if job.status == "queued" else 0
        rate = None
        if job.status == "running" and job.started is not None and job.done:
            rate = round(job.done / max(1e-6, time.monotonic() - job.started), 3)
        links = None
        if job.status == "done":
            base = f"/v1/screen/jobs/{job.id}/result"
            links = {"json": base, "csv": f"{base}?format=csv", "xlsx": f"{base}?format=xlsx"}
        expires = None
        if job.finished is not None:
            expires = round(max(0.0, self.settings.job_ttl - (time.monotonic() - job.finished)), 1)
        return JobStatus(id=job.id, status=job.status, queued_before=queued_before,
                         progress=JobProgress(done=job.done, total=job.total,
                                              fraction=round(job.done / job.total, 4) if job.total else 1.0,
                                              cvs_per_second=rate),
                         vacancy_clause=job.profile.occupation.clause if job.profile else None,
                         error=job.error, result=links, expires_in=expires)

    def result(self, job: Job) -> JobResult:
        if job.status != "done" or job.profile is None:
            raise ApiError(409, "job_not_done", f"The job is {job.status}; its result can be read once it is done.")
        return JobResult(id=job.id, vacancy=job.profile.occupation, required=job.profile.required, rows=job.rows)

    # -- running ------------------------------------------------------------------------------------------------
    async def _matching(self, svc: Service, func, *args):  # noqa: ANN001, ANN202 - passes through run_matching
        """``svc.run_matching``, waiting again instead of failing when the encoder queue is full (a job is
        background work: it yields to the synchronous requests)."""
        while True:
            try:
                return await svc.run_matching(func, *args)
            except ApiError as exc:
                if exc.code != "busy":
                    raise
                await asyncio.sleep(1.0)

    async def _read(self, svc: Service, cv: CVInput) -> tuple[str, str] | ScreenedCV:
        from api.inputs import safe_unicode

        if cv.error is not None:
            return error_row(cv.id, error_text(cv.error), 0)
        if cv.text is not None:
            return cv.id, cv.text
        try:
            doc = await svc.read_document(cv.data or b"")
        except DocumentError as exc:
            return error_row(cv.id, error_text(exc), 0)
        finally:
            cv.data = None  # the upload is not kept once read
        return cv.id, safe_unicode(doc.text)

    async def _run(self, svc: Service, job: Job) -> None:
        try:
            async with self._run_lock():
                job.status, job.started = "running", time.monotonic()
                m = svc.require_matcher()
                try:
                    job.profile = await self._matching(svc, profile_vacancy, m, job.vacancy)
                except InputError as exc:
                    raise ApiError(422, exc.code, "The vacancy: " + exc.message) from None
                required = len(job.profile.required)
                rows: list[ScreenedCV] = []
                chunk = self.settings.job_chunk
                for i in range(0, job.total, chunk):
                    read = await asyncio.gather(*(self._read(svc, cv) for cv in job.cvs[i : i + chunk]))
                    texts = [r for r in read if isinstance(r, tuple)]
                    scored = iter(await self._matching(svc, screen_rows, m, job.profile, texts))
                    for r in read:
                        if isinstance(r, tuple):
                            rows.append(next(scored))
                        else:
                            rows.append(r.model_copy(update={"required_total": required}))
                    job.done = len(rows)
                job.rows = rank(rows)
                job.status = "done"
        except asyncio.CancelledError:
            raise
        except ApiError as exc:
            job.status, job.error = "failed", {"code": exc.code, "detail": exc.detail}
        except Exception as exc:  # a bug: the job fails, the service goes on (never the input in the message)
            job.status, job.error = "failed", {"code": "internal_error",
                                               "detail": f"The job failed on our side ({type(exc).__name__})."}
        finally:
            job.finished = time.monotonic()
            job.vacancy = ""
            for cv in job.cvs:
                cv.text = cv.data = None

