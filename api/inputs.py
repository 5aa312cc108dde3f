"""Reading request bodies: JSON through the pydantic models of ``api.schemas``, or multipart/form-data.

The body has already been size-checked and buffered by ``api.middleware.Admission``. Multipart is parsed here,
in memory, with python-multipart's low-level parser: Starlette's form parser spools uploads over 1 MB to a
temporary file, and CV files must never touch the disk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.errors import ApiError, matcher_problem, validation_detail
from api.schemas import ScreenRequest, ScreenResponse, UnreadableCV
from api.service import Service
from matcher.engine import Matcher, screen
from matcher.errors import DocumentError, InputError
from matcher.text.documents import ExtractedText

M = TypeVar("M", bound=BaseModel)


@dataclass
class Part:
    name: str
    filename: str | None
    data: bytes

    @property
    def is_file(self) -> bool:
        return self.filename is not None

    def value(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def body_kind(request: Request) -> str:
    """'json' or 'multipart', from the Content-Type header; anything else is a 415."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return "json"
    if media == "multipart/form-data":
        return "multipart"
    raise ApiError(415, "unsupported_media_type", "Send the request as JSON (Content-Type: application/json) or "
                   "as a form with a file (Content-Type: multipart/form-data).")


def parse_json(body: bytes, model: type[M]) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        if any(e.get("type") == "json_invalid" for e in errors):
            raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
        if any(e.get("type") == "model_type" and not e.get("loc") for e in errors):
            raise ApiError(422, "validation", "The request body must be a JSON object.") from None
        raise ApiError(422, "validation", validation_detail(errors)) from None


def validate(model: type[M], data: dict[str, object]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "validation", validation_detail(exc.errors(include_input=False))) from None


def _invalid_multipart(why: str = "") -> ApiError:
    return ApiError(400, "invalid_multipart", "The form data (multipart/form-data) is malformed" + why + ".")


def parse_multipart(body: bytes, content_type: str, max_parts: int) -> list[Part]:
    """All parts of a multipart/form-data body, in order, held in memory."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise _invalid_multipart(": the Content-Type header has no boundary")
    parts: list[Part] = []
    headers: list[tuple[bytes, bytes]] = []
    field, value, data = bytearray(), bytearray(), bytearray()

    def on_part_begin() -> None:
        headers.clear()
        data.clear()

    def on_header_field(chunk: bytes, start: int, end: int) -> None:
        field.extend(chunk[start:end])

    def on_header_value(chunk: bytes, start: int, end: int) -> None:
        value.extend(chunk[start:end])

    def on_header_end() -> None:
        headers.append((bytes(field).lower(), bytes(value)))
        field.clear()
        value.clear()

    def on_part_data(chunk: bytes, start: int, end: int) -> None:
        data.extend(chunk[start:end])

    def on_part_end() -> None:
        disposition = next((v for k, v in headers if k == b"content-disposition"), b"")
        _, options = parse_options_header(disposition)
        if b"name" not in options:
            raise _invalid_multipart(": a part has no name")
        if len(parts) >= max_parts:
            raise ApiError(413, "too_large", f"The form has too many parts; at most {max_parts} are accepted.")
        filename = options.get(b"filename")
        parts.append(Part(name=options[b"name"].decode("utf-8", errors="replace"),
                          filename=None if filename is None else filename.decode("utf-8", errors="replace"),
                          data=bytes(data)))

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
    })
    try:
        parser.write(body)
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        raise _invalid_multipart() from exc
    return parts


def options(parts: list[Part], names: tuple[str, ...]) -> dict[str, object]:
    """The plain form fields among ``names`` (empty values, as browsers send them, are left out)."""
    return {p.name: p.value() for p in parts if p.name in names and not p.is_file and p.data.strip()}


def clean_text(text: str, svc: Service) -> str:
    """Checks for typed text (JSON), mirroring what ``extract`` does for a file."""
    if "\x00" in text:
        raise DocumentError(
            code="binary", message="The text contains NUL characters: it looks like binary data, not text.")
    text = text.strip()
    if not text:
        raise DocumentError(code="empty", message="The text is empty.")
    if len(text) > svc.limits.max_chars:
        raise DocumentError(code="too_long", message=f"The text has {len(text):,} characters; at most "
                            f"{svc.limits.max_chars:,} are accepted.")
    return safe_unicode(text)


def safe_unicode(text: str) -> str:
    """Replace lone surrogates (JSON can carry them; a PDF's text can too): the encoder needs valid UTF-8."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


async def part_text(part: Part, svc: Service) -> ExtractedText:
    """A form part's text: a file (or plain field) read by content, with every document limit."""
    doc = await svc.read_document(part.data)
    return doc.model_copy(update={"text": safe_unicode(doc.text)})


# --- screening ------------------------------------------------------------------------------------------------

_VACANCY = "The vacancy: "


@dataclass
class Screening:
    """A screening request as read: the vacancy's text, the readable CVs, and the CVs that could not be read."""

    vacancy: str
    cvs: list[tuple[str, str]]
    unreadable: list[UnreadableCV]


def _too_many(n: int, limit: int) -> ApiError:
    return ApiError(422, "too_many_cvs", f"{n} CVs were sent; at most {limit} can be screened at once.")


async def read_screening(request: Request, svc: Service) -> Screening:
    """The vacancy and CVs of ``POST /v1/screen`` (JSON or a form); unreadable CVs are kept with their code."""
    limit = svc.settings.max_screen_cvs
    body = await request.body()
    job = Screening(vacancy="", cvs=[], unreadable=[])
    if body_kind(request) == "json":
        req = parse_json(body, ScreenRequest)
        if len(req.cvs) > limit:
            raise _too_many(len(req.cvs), limit)
        job.vacancy = _vacancy_text(lambda: clean_text(req.vacancy, svc))
        for n, cv in enumerate(req.cvs, start=1):
            _add_cv(job, cv.id or f"cv-{n}", lambda cv=cv: clean_text(cv.text, svc))
    else:
        job.vacancy, cv_parts = await read_screening_form(body, request.headers.get("content-type", ""), svc, limit,
                                                          _too_many)
        for n, part in enumerate(cv_parts, start=1):
            cv_id = (part.filename or "").strip()[:200] or f"cv-{n}"
            try:
                job.cvs.append((cv_id, (await part_text(part, svc)).text))
            except DocumentError as exc:
                job.unreadable.append(UnreadableCV(id=cv_id, code=exc.code, detail=exc.message))
    if not job.cvs:
        # by position and code only: an id can be a file name, and a file name can carry anything
        reasons = ", ".join(f"CV {n} ({u.code})" for n, u in enumerate(job.unreadable[:5], start=1))
        more = f" and {len(job.unreadable) - 5} more" if len(job.unreadable) > 5 else ""
        raise ApiError(422, "no_readable_cvs", f"None of the CVs could be read (by position, with the code of the "
                       f"problem): {reasons}{more}.")
    return job


async def read_screening_form(body: bytes, content_type: str, svc: Service, limit: int,
                              too_many: Callable[[int, int], ApiError]) -> tuple[str, list[Part]]:
    """A screening form (``/v1/screen``, ``/v1/screen/jobs``): the vacancy's text, read now (a bad vacancy is a 4xx
    at once), and its 'cvs' parts as sent (at most ``limit``, else ``too_many(count, limit)``)."""
    parts = parse_multipart(body, content_type, max_parts=limit + 8)
    vacancy_part = next((p for p in parts if p.name == "vacancy"), None)
    cv_parts = [p for p in parts if p.name == "cvs"]
    if vacancy_part is None or not cv_parts:
        raise ApiError(422, "validation", "The form needs a 'vacancy' part and at least one 'cvs' part.")
    if len(cv_parts) > limit:
        raise too_many(len(cv_parts), limit)
    try:
        return (await part_text(vacancy_part, svc)).text, cv_parts
    except DocumentError as exc:
        raise matcher_problem(exc, _VACANCY) from None


def _vacancy_text(read: Callable[[], str]) -> str:
    try:
        return read()
    except DocumentError as exc:
        raise matcher_problem(exc, _VACANCY) from None


def _add_cv(job: Screening, cv_id: str, read: Callable[[], str]) -> None:
    try:
        job.cvs.append((cv_id, read()))
    except DocumentError as exc:
        job.unreadable.append(UnreadableCV(id=cv_id, code=exc.code, detail=exc.message))


def screen_answer(m: Matcher, job: Screening) -> tuple[int, str]:
    """Run the screening (in the encoder pool) and serialise it: (the vacancy's card, the JSON answer)."""
    try:
        result = screen(m, job.vacancy, job.cvs)
    except InputError as exc:
        raise matcher_problem(exc, _VACANCY) from None
    answer = ScreenResponse(vacancy=result.vacancy, required=result.required, cvs=result.cvs,
                            unreadable=job.unreadable)
    return result.vacancy.clause, answer.model_dump_json()
