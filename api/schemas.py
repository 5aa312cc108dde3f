"""Request and response bodies of the API that are not the library's own models.

``/v1/match`` answers with ``matcher.match.MatchResult`` (the JSON of ``matcher match --json``),
``/v1/vacancies/analyse`` with ``matcher.vacancy.VacancyAnalysis`` and ``/v1/screen`` with ``ScreenResponse``
(``matcher.match.ScreenResult`` plus the CVs that could not be read).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.engine import Kind, ScreenResult
from matcher.standard.schema import Lang, Occupation, Standard

# --- requests ------------------------------------------------------------------------------------------------


class MatchOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: Kind = Field("cv", description="'cv' (a job seeker's CV) or 'vacancy'")
    lang: Lang | None = Field(None, description="selects the language of every text field; default all three")
    top: int = Field(3, ge=1, le=10, description="how many occupations to return")
    detail: Literal["full", "summary"] = Field("full", description="'summary': ids, scores and texts in one "
                                               "language (lang; default the text's language), at most a few "
                                               "tens of KB")


class MatchRequest(MatchOptions):
    """``POST /v1/match`` as JSON."""

    text: str = Field(description="the CV or vacancy text (Kazakh, Russian or English)")


class MatchUpload(MatchOptions):
    """``POST /v1/match`` as multipart/form-data: the file plus optional form fields."""

    file: bytes = Field(description="the CV or vacancy: .txt, .pdf or .docx (the type is read from the content)",
                        json_schema_extra={"format": "binary"})


class VacancyOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    lang: Lang | None = Field(None, description="the reader's language, a hint only: results carry kk, ru and en")


class VacancyRequest(VacancyOptions):
    """``POST /v1/vacancies/analyse`` as JSON."""

    text: str = Field(description="the vacancy text")


class VacancyUpload(VacancyOptions):
    """``POST /v1/vacancies/analyse`` as multipart/form-data."""

    file: bytes = Field(description="the vacancy: .txt, .pdf or .docx", json_schema_extra={"format": "binary"})


class ScreenCV(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(None, max_length=200, description="echoed back; default 'cv-<position>'")
    text: str


class ScreenRequest(BaseModel):
    """``POST /v1/screen`` as JSON: one vacancy and its CVs (at most ``MATCHER_MAX_SCREEN_CVS``)."""

    model_config = ConfigDict(extra="ignore")

    vacancy: str = Field(description="the vacancy text")
    cvs: list[ScreenCV] = Field(min_length=1, description="the CVs to rank")


class ScreenUpload(BaseModel):
    """``POST /v1/screen`` as multipart/form-data: a ``vacancy`` part and one ``cvs`` part per CV (files or text);
    a CV file's name is its id."""

    vacancy: bytes = Field(json_schema_extra={"format": "binary"})
    cvs: list[bytes] = Field(min_length=1, json_schema_extra={"items": {"type": "string", "format": "binary"}})


# --- responses -----------------------------------------------------------------------------------------------


class UnreadableCV(BaseModel):
    id: str
    code: str = Field(description="why it could not be read (a Problem code)")
    detail: str


class ScreenResponse(ScreenResult):
    unreadable: list[UnreadableCV] = Field(default_factory=list, description="CVs left out of the ranking")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    status: Literal["loading", "ready", "failed"]
    encoder: str | None = None
    index_entries: int | None = None


# --- occupation cards in one language ------------------------------------------------------------------------


class StatementCard(BaseModel):
    id: str
    number: int
    text: str


class SkillCard(BaseModel):
    number: int
    title: str
    abilities: list[StatementCard]
    knowledge: list[StatementCard]


class LabourFunctionCard(BaseModel):
    number: int
    title: str
    mandatory: bool
    skills: list[SkillCard]


class EducationCard(BaseModel):
    level: str
    specialty: str
    qualification: str


class RelatedCard(BaseModel):
    clause: int | None
    name: str
    sbsh_levels: list[int]


class OccupationSummary(BaseModel):
    clause: int
    code: str
    name: str
    sbsh_levels: list[int]
    category: str
    main_purpose: str


class OccupationCard(OccupationSummary):
    lang: Lang
    codes: list[str]
    group_code: str
    sbsh_sublevel: str
    education: list[EducationCard]
    experience: str
    informal_education: str
    other_names: list[str]
    mandatory_functions: list[str]
    additional_functions: list[str]
    labour_functions: list[LabourFunctionCard]
    personal_competencies: list[str]
    related: list[RelatedCard]


class OccupationList(BaseModel):
    lang: Lang
    standard: str
    name: str
    translation_note: str = Field(description="the ru and en texts are unofficial translations")
    occupations: list[OccupationSummary]


def summary(occ: Occupation, lang: Lang) -> OccupationSummary:
    return OccupationSummary(clause=occ.clause, code=occ.code, name=occ.name.get(lang), sbsh_levels=occ.sbsh_levels,
                             category=occ.category.get(lang), main_purpose=occ.main_purpose.get(lang))


def card(occ: Occupation, lang: Lang) -> OccupationCard:
    def statements(items: list) -> list[StatementCard]:  # noqa: ANN001 - schema statements
        return [StatementCard(id=s.id, number=s.number, text=s.text.get(lang)) for s in items]

    return OccupationCard(
        **summary(occ, lang).model_dump(), lang=lang, codes=occ.codes, group_code=occ.group_code,
        sbsh_sublevel=occ.sbsh_sublevel,
        education=[EducationCard(level=e.level.get(lang), specialty=e.specialty.get(lang),
                                 qualification=e.qualification.get(lang)) for e in occ.education],
        experience=occ.experience.get(lang), informal_education=occ.informal_education.get(lang),
        other_names=[o.name.get(lang) for o in occ.other_names],
        mandatory_functions=[t.get(lang) for t in occ.mandatory_functions],
        additional_functions=[t.get(lang) for t in occ.additional_functions],
        labour_functions=[
            LabourFunctionCard(number=lf.number, title=lf.title.get(lang), mandatory=lf.mandatory, skills=[
                SkillCard(number=sk.number, title=sk.title.get(lang), abilities=statements(sk.abilities),
                          knowledge=statements(sk.knowledge)) for sk in lf.skills])
            for lf in occ.labour_functions],
        personal_competencies=[t.get(lang) for t in occ.personal_competencies],
        related=[RelatedCard(clause=r.clause, name=r.name.get(lang), sbsh_levels=r.sbsh_levels) for r in occ.related],
    )


def occupation_list(std: Standard, lang: Lang) -> OccupationList:
    return OccupationList(lang=lang, standard=std.code, name=std.name.get(lang), translation_note=std.translation_note,
                          occupations=[summary(o, lang) for o in std.occupations])


# --- vacancies ranked for one CV (POST /v1/rank-vacancies) ---------------------------------------------------


class RankVacancy(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(None, max_length=200, description="echoed back; default 'vacancy-<position>'")
    text: str


class RankVacanciesRequest(BaseModel):
    """``POST /v1/rank-vacancies`` as JSON: one CV and the vacancies to rank for it (at most
    ``MATCHER_MAX_RANK_VACANCIES``)."""

    model_config = ConfigDict(extra="ignore")

    cv: str = Field(description="the CV text")
    vacancies: list[RankVacancy] = Field(min_length=1, description="the vacancies to rank")


class RankVacanciesUpload(BaseModel):
    """``POST /v1/rank-vacancies`` as multipart/form-data: a ``cv`` part and one ``vacancies`` part per vacancy
    (files or text); a vacancy file's name is its id."""

    cv: bytes = Field(json_schema_extra={"format": "binary"})
    vacancies: list[bytes] = Field(min_length=1, json_schema_extra={"items": {"type": "string", "format": "binary"}})


# --- the checklist (POST /v1/checklist) ----------------------------------------------------------------------


class ChecklistRequest(BaseModel):
    """``POST /v1/checklist``: the statements a person ticks (their ids, as ``/v1/occupations/{clause}`` lists
    them); the answer is the result of ``/v1/match``, computed from the ticks alone (``kind: "checklist"``)."""

    model_config = ConfigDict(extra="ignore")

    statements: list[str] = Field(max_length=2000, description="ticked statement ids, e.g. "
                                  "'Q88100061/13/LF1/S1/A1' (at most the number of statements in the standard)")
    clause: int | None = Field(None, description="the card the person ticks on: it comes first in the answer")
    top: int = Field(3, ge=1, le=10, description="how many occupations to return")
    lang: Lang | None = Field(None, description="texts in this language only (default: kk, ru and en)")
    detail: Literal["full", "summary"] = Field("full", description="'summary': ids, scores and texts in one "
                                               "language (lang, default kk)")


# --- the printable report (POST /v1/report) ------------------------------------------------------------------


class ReportRequest(BaseModel):
    """``POST /v1/report`` as JSON: a CV or vacancy ``text`` as for ``/v1/match``, or the ticked ``statements``
    (and optional ``clause``) as for ``/v1/checklist``. The answer is a PDF in ``lang``. As a form it takes the
    fields of ``/v1/match`` (``MatchUpload``)."""

    model_config = ConfigDict(extra="ignore")

    text: str | None = Field(None, description="the CV or vacancy text (Kazakh, Russian or English)")
    statements: list[str] | None = Field(None, max_length=2000, description="instead of a text: the ticked "
                                         "statement ids (as for /v1/checklist)")
    clause: int | None = Field(None, description="with statements: the card the person ticks on")
    kind: Kind = Field("cv", description="with text: 'cv' or 'vacancy'")
    lang: Lang | None = Field(None, description="the report's language (default: the text's language; Kazakh for "
                              "ticked statements)")
    top: int = Field(3, ge=1, le=10, description="how many occupations the match considers (the report names the "
                     "best and lists the others)")
