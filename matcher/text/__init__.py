"""Text pipeline: documents (PDF/DOCX/text) -> PII removed (``pii``) -> segments with their language
(``segments``, ``language``, the Kazakh spaCy language in ``kazakh``) -> abbreviations expanded
(``abbreviations``)."""

from matcher.text.abbreviations import ABBREVIATIONS, expand_abbreviations
from matcher.text.language import Lang, detect_language, get_nlp
from matcher.text.pii import strip_pii
from matcher.text.segments import Segment, is_evidence, prepare_segments, quote, segment

__all__ = ["ABBREVIATIONS", "Lang", "Segment", "detect_language", "expand_abbreviations", "get_nlp", "is_evidence",
           "prepare_segments", "quote", "segment", "strip_pii"]
