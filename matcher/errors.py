"""One tree of errors. Every error carries a stable machine ``code``; the message is for a person.

The CLI (``matcher.cli``) and the API (``api.errors``) each map codes to an exit status or HTTP status through one
table and never read the message. A code, once published, is part of the contract: ``tests/test_errors.py`` checks
every one of them.
"""

from __future__ import annotations


class MatcherError(Exception):
    """Base of every error of the service. ``code`` is machine-readable and stable; ``message`` is not."""

    code: str = "matcher_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __reduce__(self) -> tuple[type[MatcherError], tuple[str, str]]:  # survives pickling (process pools)
        return (type(self), (self.message, self.code))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InputError(MatcherError):
    """A text that cannot be matched. Codes: ``empty``, ``binary``, ``no_words``."""

    code = "empty"


class DocumentError(MatcherError):
    """An upload that cannot be turned into text. Codes: see ``matcher.text.documents.ErrorCode``."""

    code = "unsupported_type"


class ParseError(MatcherError):
    """The standard's source text is not a readable export. Code: ``parse``."""

    code = "parse"


class CurationError(MatcherError):
    """The overlay or the translations do not fit the parser output. Code: ``curation``."""

    code = "curation"


class DatasetError(MatcherError):
    """A data file cannot be read. Codes: ``dataset_missing`` (the curated standard), ``eval_dataset`` (labelled
    evaluation items)."""

    code = "dataset_missing"


class EncoderError(MatcherError):
    """The configured encoder cannot be loaded. Codes: ``encoder``, ``unknown_encoder``, ``model_cache``."""

    code = "encoder"


class RuntimeMissing(EncoderError):
    """The packages an encoder runs on are not installed (the caller may fall back). Code: ``runtime_missing``."""

    code = "runtime_missing"


# every code an error of this tree can carry (tests check each against the CLI and API tables)
CODES: dict[type[MatcherError], tuple[str, ...]] = {
    InputError: ("empty", "binary", "no_words", "unknown_statement", "unknown_occupation"),
    DocumentError: ("empty", "too_large", "binary", "encoding", "pdf_encrypted", "pdf_corrupt", "pdf_no_text",
                    "pdf_too_many_pages", "docx_corrupt", "docx_too_large", "too_long", "timeout",
                    "unsupported_type"),
    ParseError: ("parse",),
    CurationError: ("curation",),
    DatasetError: ("dataset_missing", "eval_dataset"),
    EncoderError: ("encoder", "unknown_encoder", "model_cache"),
    RuntimeMissing: ("runtime_missing",),
}
