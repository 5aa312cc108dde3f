"""The printable report of a match (``POST /v1/report``, ``matcher report``): a PDF in one language, made by fpdf2.

It holds the match (the best card's name in that language, code, SBSh level and its reasons), the statements the
text shows with the sentence that shows each, the learning plan (``learning_plan``; the ``missing`` list when a
result has no plan), the career moves with the gap to each, and the other candidate cards. A text outside the
standard (``in_scope`` false) gets one plain paragraph saying so, and no card, level or plan.

The result is read through ``matcher.engine.views.localise``: every text is already a string in the report's
language, whatever fields the result carries. Kazakh letters (ә ғ қ ң ө ұ ү һ і) need a Unicode TrueType font:
DejaVu Sans, from Debian's ``fonts-dejavu-core`` (``.ci/run`` installs it) or the copy matplotlib ships; without
either, ``render`` raises ``ReportUnavailable`` (the API answers 503 ``report_unavailable``). Nothing is written to
disk: the PDF is built in memory.
"""

from __future__ import annotations

import importlib.util
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from matcher.engine.results import MatchResult
from matcher.engine.views import localise
from matcher.standard.schema import Lang

FONT_FAMILY = "DejaVuSans"
# (regular, bold) pairs, in order of preference: the system's fonts, then matplotlib's own copy
_SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"),
                     Path("/usr/share/fonts/dejavu"), Path("/usr/local/share/fonts"))
_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")

PLAN_ITEMS = 10  # learning plan items printed (the rest: a count)
GAP_ITEMS = 3  # missing statements printed per career move


class ReportUnavailable(Exception):
    """The report cannot be made on this machine (no Unicode font). ``code``: ``report_unavailable``."""

    code = "report_unavailable"


def _font_dirs() -> list[Path]:
    dirs = list(_SYSTEM_FONT_DIRS)
    spec = importlib.util.find_spec("matplotlib")  # its location only: matplotlib itself is not imported
    for location in (spec.submodule_search_locations or []) if spec else []:
        dirs.append(Path(location) / "mpl-data" / "fonts" / "ttf")
    return dirs


@lru_cache(maxsize=1)
def find_font() -> tuple[Path, Path] | None:
    """(regular, bold) DejaVu Sans files, or None when neither the system nor matplotlib has them."""
    for folder in _font_dirs():
        regular, bold = (folder / name for name in _FILES)
        if regular.is_file():
            return regular, bold if bold.is_file() else regular
    return None


def require_font() -> tuple[Path, Path]:
    font = find_font()
    if font is None:
        raise ReportUnavailable("The PDF report needs the DejaVu Sans font, which is not installed on this server "
                                "(Debian: apt-get install fonts-dejavu-core). The match itself works: use /v1/match.")
    return font


# --- the report's own words, in kk / ru / en ------------------------------------------------------------------

LABELS: dict[str, dict[Lang, str]] = {
    "title": {"kk": "Кәсіптік стандарт бойынша дағдылар есебі",
              "ru": "Отчёт о навыках по профессиональному стандарту",
              "en": "Skills report against the professional standard"},
    "standard": {"kk": "Q88100061 «Әлеуметтік жұмыс және әлеуметтік саланың басқа да кәсіптері»",
                 "ru": "Q88100061 «Социальная работа и другие профессии социальной сферы»",
                 "en": "Q88100061 “Social work and other professions of the social sphere”"},
    "made": {"kk": "Жасалған күні", "ru": "Дата", "en": "Made on"},
    "from_text": {"kk": "Мәтін бойынша ({kind}, тілі: {language})", "ru": "По тексту ({kind}, язык: {language})",
                  "en": "From the text ({kind}, language: {language})"},
    "from_checklist": {"kk": "Белгіленген тұжырымдар бойынша (түйіндемесіз)",
                       "ru": "По отмеченным утверждениям (без резюме)",
                       "en": "From the ticked statements (no CV)"},
    "kind_cv": {"kk": "түйіндеме", "ru": "резюме", "en": "CV"},
    "kind_vacancy": {"kk": "бос орын", "ru": "вакансия", "en": "vacancy"},
    "out_of_scope": {
        "kk": "Бұл мәтін осы стандарттың (әлеуметтік жұмыс және әлеуметтік саланың басқа да кәсіптері, Q88100061) "
              "ешбір кәсібіне сәйкес келмейді. Сондықтан оған деңгей де, оқу жоспары да берілмейді.",
        "ru": "Этот текст не соответствует ни одной профессии этого стандарта (социальная работа и другие "
              "профессии социальной сферы, Q88100061). Поэтому уровень и план обучения для него не даются.",
        "en": "This text does not match any occupation of this standard (social work and the other professions "
              "of the social sphere, Q88100061), so no level or learning plan is given for it."},
    "match": {"kk": "Ең жақын кәсіп", "ru": "Наиболее подходящая профессия", "en": "The closest occupation"},
    "card": {"kk": "Карточка {clause}, коды {code}", "ru": "Карточка {clause}, код {code}",
             "en": "Card {clause}, code {code}"},
    "fit": {"kk": "Сәйкестік: {band} (ықтималдығы {probability}); карточканы қамту: {coverage}",
            "ru": "Соответствие: {band} (вероятность {probability}); охват карточки: {coverage}",
            "en": "Fit: {band} (probability {probability}); coverage of the card: {coverage}"},
    "title_names": {"kk": "Бұл лауазымды тақырып атайды: {title}", "ru": "Эту должность называет заголовок: {title}",
                    "en": "The title names this job: {title}"},
    "band_confident": {"kk": "сенімді", "ru": "уверенное", "en": "confident"},
    "band_review": {"kk": "тексеру қажет", "ru": "требует проверки", "en": "to be reviewed"},
    "band_unlikely": {"kk": "екіталай", "ru": "маловероятное", "en": "unlikely"},
    "level": {"kk": "СБШ деңгейі: {level} (карточканың деңгейлері: {levels})",
              "ru": "Уровень ОРК: {level} (уровни карточки: {levels})",
              "en": "SBSh level: {level} (the card's levels: {levels})"},
    "reasons": {"kk": "Деңгейдің негіздері", "ru": "Основания уровня", "en": "Why this level"},
    "education": {"kk": "Білімі: {value}", "ru": "Образование: {value}", "en": "Education: {value}"},
    "education_none": {"kk": "мәтінде көрсетілмеген", "ru": "в тексте не указано", "en": "not stated in the text"},
    "years": {"kk": "Жұмыс тәжірибесі: {years} жыл", "ru": "Опыт работы: {years} лет",
              "en": "Work experience: {years} years"},
    "managerial": {"kk": "Басшылық жауапкершілік: {value}", "ru": "Руководящие обязанности: {value}",
                   "en": "Managerial scope: {value}"},
    "strategic": {"kk": "Стратегиялық деңгейдегі жұмыс: {value}", "ru": "Работа стратегического уровня: {value}",
                  "en": "Strategic work: {value}"},
    "yes": {"kk": "иә", "ru": "да", "en": "yes"},
    "no": {"kk": "жоқ", "ru": "нет", "en": "no"},
    "rule_single": {"kk": "Карточканың бір ғана деңгейі бар.", "ru": "У карточки один уровень.",
                    "en": "The card has a single level."},
    "rule_range": {
        "kk": "Жоғарғы деңгейге ({hi}) сол деңгейге жететін білім, кемінде 3 жыл тәжірибе немесе басшылық "
              "жауапкершілік қажет; әйтпесе төменгі деңгей ({lo}).",
        "ru": "Верхний уровень ({hi}) требует образования этого уровня, не менее 3 лет опыта или руководящих "
              "обязанностей; иначе — нижний уровень ({lo}).",
        "en": "The upper level ({hi}) needs education that reaches it, at least 3 years of experience or managerial "
              "scope; otherwise the lower level ({lo})."},
    "rule_checklist": {
        "kk": "Мәтін жоқ: білім мен тәжірибе туралы дерек жоқ, сондықтан карточканың ең төменгі деңгейі.",
        "ru": "Текста нет: сведений об образовании и опыте нет, поэтому — нижний уровень карточки.",
        "en": "No text: nothing shows education or experience, so the lowest level of the card."},
    "covered": {"kk": "Мәтінде көрсетілген тұжырымдар ({n})", "ru": "Подтверждённые утверждения ({n})",
                "en": "Statements the text shows ({n})"},
    "ticked": {"kk": "Белгіленген тұжырымдар ({n})", "ru": "Отмеченные утверждения ({n})",
               "en": "Ticked statements ({n})"},
    "none_covered": {"kk": "Мәтін бұл карточканың тұжырымдарын көрсетпейді.",
                     "ru": "Текст не подтверждает утверждений этой карточки.",
                     "en": "The text shows none of this card's statements."},
    "ability": {"kk": "машығы", "ru": "умение", "en": "skill"},
    "knowledge": {"kk": "білімі", "ru": "знание", "en": "knowledge"},
    "ticked_by_person": {"kk": "адам өзі белгіледі", "ru": "отмечено самим человеком", "en": "ticked by the person"},
    "inferred": {"kk": "мәтінде анық айтылмаған, жалпы мазмұнынан шығады",
                 "ru": "прямо в тексте не сказано, следует из текста в целом",
                 "en": "not stated plainly: suggested by the text as a whole"},
    "plan": {"kk": "Оқу жоспары", "ru": "План обучения", "en": "Learning plan"},
    "plan_intro": {"kk": "Карточканың әлі көрсетілмеген тұжырымдары, ең пайдалысынан бастап.",
                   "ru": "Недостающие утверждения карточки, начиная с самых полезных.",
                   "en": "The card's statements not shown yet, the most useful first."},
    "missing_intro": {"kk": "Карточканың әлі көрсетілмеген тұжырымдары.",
                      "ru": "Недостающие утверждения карточки.",
                      "en": "The card's statements not shown yet."},
    "nothing_missing": {"kk": "Карточканың барлық тұжырымдары көрсетілген.",
                        "ru": "Все утверждения карточки подтверждены.",
                        "en": "Every statement of the card is shown."},
    "required": {"kk": "деңгей үшін міндетті", "ru": "обязательно для уровня", "en": "required for the level"},
    "more": {"kk": "... тағы {n}", "ru": "... и ещё {n}", "en": "... and {n} more"},
    "moves": {"kk": "Мансаптық қадамдар", "ru": "Карьерные шаги", "en": "Career moves"},
    "move_up": {"kk": "Жоғары", "ru": "Вверх", "en": "Up"},
    "move_lateral": {"kk": "Қатар", "ru": "В сторону", "en": "Lateral"},
    "move_feeder": {"kk": "Осы кәсіпке апаратын", "ru": "Откуда приходят", "en": "Where people come from"},
    "gap": {"kk": "{covered}/{total} тұжырым көрсетілген ({coverage}), {missing} жетіспейді",
            "ru": "подтверждено {covered} из {total} ({coverage}), не хватает {missing}",
            "en": "{covered} of {total} statements shown ({coverage}), {missing} missing"},
    "no_moves": {"kk": "Стандарт бұл карточкадан басқа карточкаларға сілтеме бермейді.",
                 "ru": "Стандарт не связывает эту карточку с другими карточками.",
                 "en": "The standard links this card to no other card."},
    "beyond": {"kk": "Стандарт бұл карточканы осы стандартта жоқ кәсіптерге де байланыстырады: {names}.",
               "ru": "Стандарт связывает эту карточку и с профессиями вне этого стандарта: {names}.",
               "en": "The standard also links this card onward to occupations outside this standard: {names}."},
    "others": {"kk": "Басқа жақын кәсіптер", "ru": "Другие близкие профессии", "en": "Other close occupations"},
    "note": {"kk": "Орыс және ағылшын тіліндегі мәтіндер — ресми емес аудармалар. Бұл есеп автоматты түрде жасалды.",
             "ru": "Тексты на русском и английском — неофициальные переводы. Отчёт составлен автоматически.",
             "en": "The Russian and English texts are unofficial translations. This report was made automatically."},
    "page": {"kk": "{n}-бет", "ru": "Стр. {n}", "en": "Page {n}"},
    "card_levels": {"kk": "{clause}-карточка, СБШ {levels}", "ru": "карточка {clause}, ОРК {levels}",
                    "en": "card {clause}, SBSh {levels}"},
    "sbsh": {"kk": "СБШ", "ru": "ОРК", "en": "SBSh"},
}

LANGUAGE_NAMES: dict[Lang, dict[Lang, str]] = {
    "kk": {"kk": "қазақ тілі", "ru": "орыс тілі", "en": "ағылшын тілі"},
    "ru": {"kk": "казахский", "ru": "русский", "en": "английский"},
    "en": {"kk": "Kazakh", "ru": "Russian", "en": "English"},
}

EDUCATION: dict[str, dict[Lang, str]] = {
    "secondary": {"kk": "орта білім", "ru": "среднее образование", "en": "secondary education"},
    "tvet": {"kk": "техникалық және кәсіптік білім", "ru": "техническое и профессиональное образование",
             "en": "technical and vocational education"},
    "applied_bachelor": {"kk": "қолданбалы бакалавр", "ru": "прикладной бакалавриат", "en": "applied bachelor"},
    "bachelor": {"kk": "жоғары білім (бакалавр)", "ru": "высшее образование (бакалавр)",
                 "en": "higher education (bachelor)"},
    "master": {"kk": "магистратура", "ru": "магистратура", "en": "master's degree"},
    "phd": {"kk": "докторантура (PhD)", "ru": "докторантура (PhD)", "en": "doctorate (PhD)"},
}


def label(key: str, lang: Lang, **values: object) -> str:
    return LABELS[key][lang].format(**values)


def _percent(x: float) -> str:
    return f"{round(100 * x)}%"


def _levels(levels: list[int]) -> str:
    lo, hi = min(levels), max(levels)
    return str(lo) if lo == hi else f"{lo}-{hi}"


# --- layout -----------------------------------------------------------------------------------------------------


class _Writer:
    """A thin layer over fpdf2: headings, paragraphs and list items that wrap, in one font family."""

    def __init__(self, lang: Lang, fonts: tuple[Path, Path], title: str) -> None:
        from fpdf import FPDF

        pdf = FPDF(format="A4", unit="mm")
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(True, margin=16)
        pdf.add_font(FONT_FAMILY, "", str(fonts[0]))
        pdf.add_font(FONT_FAMILY, "B", str(fonts[1]))
        pdf.set_title(title)
        pdf.set_lang(lang)
        pdf.set_creator("kz-skill-matcher")
        page_label = LABELS["page"][lang]

        def footer() -> None:
            pdf.set_y(-12)
            pdf.set_font(FONT_FAMILY, "", 8)
            pdf.set_text_color(110)
            pdf.cell(0, 5, page_label.format(n=pdf.page_no()), align="C")
            pdf.set_text_color(0)

        pdf.footer = footer  # type: ignore[method-assign]
        pdf.add_page()
        self.pdf = pdf
        self._widths: dict[tuple[str, float, str], float] = {}

    def _width(self, word: str) -> float:
        key = (self.pdf.font_style, self.pdf.font_size_pt, word)
        if key not in self._widths:
            self._widths[key] = self.pdf.get_string_width(word)
        return self._widths[key]

    def _lines(self, text: str, width: float) -> list[str]:
        """Greedy word wrap with measured (and remembered) word widths: fpdf2's ``multi_cell`` re-measures a line
        for every character it adds, which made a long report take over a second."""
        lines: list[str] = []
        space = self._width(" ")
        for paragraph in text.splitlines() or [""]:
            line, used = "", 0.0
            for word in paragraph.split():
                w = self._width(word)
                while w > width:  # a word longer than the line (a long address or number): split it
                    cut = max(1, next((n for n in range(len(word), 0, -1) if self._width(word[:n]) <= width), 1))
                    if line:
                        lines.append(line)
                        line, used = "", 0.0
                    lines.append(word[:cut])
                    word = word[cut:]
                    w = self._width(word)
                if not word:
                    continue
                if line and used + space + w > width:
                    lines.append(line)
                    line, used = "", 0.0
                line, used = (f"{line} {word}", used + space + w) if line else (word, w)
            lines.append(line)
        return lines

    def text(self, text: str, size: float = 10, bold: bool = False, grey: bool = False, indent: float = 0,
             gap: float = 1) -> None:
        pdf = self.pdf
        pdf.set_font(FONT_FAMILY, "B" if bold else "", size)
        pdf.set_text_color(90 if grey else 0)
        width = pdf.epw - indent
        for line in self._lines(text, width - 0.5):
            pdf.set_x(pdf.l_margin + indent)
            pdf.cell(width, size * 0.5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
        if gap:
            pdf.ln(gap)

    def heading(self, text: str, size: float = 13) -> None:
        if self.pdf.will_page_break(20):
            self.pdf.add_page()
        self.pdf.ln(3)
        self.text(text, size=size, bold=True, gap=2)

    def item(self, text: str, note: str = "", quote: str = "") -> None:
        self.text("• " + text, indent=2, gap=0.3 if (note or quote) else 1.2)
        if quote:
            self.text(f"«{quote}»" if not quote.startswith("«") else quote, size=9, grey=True, indent=6,
                      gap=0.3 if note else 1.2)
        if note:
            self.text(note, size=8.5, grey=True, indent=6, gap=1.2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


# --- the report -------------------------------------------------------------------------------------------------


def _level_reasons(w: _Writer, data: dict[str, Any], occ: dict[str, Any], lang: Lang) -> None:
    w.text(label("reasons", lang), bold=True)
    levels = occ["sbsh_levels"]
    if data["kind"] == "checklist":
        w.item(label("rule_checklist", lang))
        return
    ev = data.get("level_evidence", {})
    education = ev.get("education", "none")
    value = EDUCATION[education][lang] if education in EDUCATION else label("education_none", lang)
    if ev.get("education_text"):
        value += f" («{ev['education_text']}»)"
    w.item(label("education", lang, value=value))
    w.item(label("years", lang, years=f"{ev.get('years', 0):g}"))
    w.item(label("managerial", lang, value=label("yes" if ev.get("managerial") else "no", lang)))
    if ev.get("strategic"):
        w.item(label("strategic", lang, value=label("yes", lang)))
    lo, hi = min(levels), max(levels)
    w.item(label("rule_single", lang) if lo == hi else label("rule_range", lang, lo=lo, hi=hi))


def _covered(w: _Writer, data: dict[str, Any], occ: dict[str, Any], lang: Lang) -> None:
    covered = occ.get("covered", [])
    checklist = data["kind"] == "checklist"
    w.heading(label("ticked" if checklist else "covered", lang, n=len(covered)))
    if not covered:
        w.text(label("none_covered", lang))
    for c in covered:
        kind = label(c.get("kind", "ability"), lang) if c.get("kind") in ("ability", "knowledge") else ""
        if c.get("source") == "inferred":
            w.item(c["text"], note=", ".join(x for x in (kind, label("inferred", lang)) if x))
        elif c.get("source") == "checklist" or not c.get("evidence"):
            w.item(c["text"], note=", ".join(x for x in (kind, label("ticked_by_person", lang)) if x)
                   if checklist else kind)
        else:
            w.item(c["text"], quote=c["evidence"], note=kind)


def _plan(w: _Writer, occ: dict[str, Any], lang: Lang) -> None:
    w.heading(label("plan", lang))
    plan = occ.get("learning_plan") or []
    items = plan or occ.get("missing", [])
    if not items:
        w.text(label("nothing_missing", lang))
        return
    w.text(label("plan_intro" if plan else "missing_intro", lang), grey=True)
    for n, item in enumerate(items[:PLAN_ITEMS], start=1):
        note = item.get("why") or ""
        if not note and isinstance(item.get("labour_function"), dict):
            lf, sk = item["labour_function"], item.get("skill") or {}
            note = f"{lf.get('number')}. {lf.get('title', '')} / {sk.get('number')}. {sk.get('title', '')}"
        if item.get("required"):
            note = f"{note} ({label('required', lang)})" if note else label("required", lang)
        w.text(f"{n}. {item['text']}", indent=2, gap=0.3 if note else 1.2)
        if note:
            w.text(note, size=8.5, grey=True, indent=6, gap=1.2)
    if len(items) > PLAN_ITEMS:
        w.text(label("more", lang, n=len(items) - PLAN_ITEMS), grey=True)


def _moves(w: _Writer, occ: dict[str, Any], lang: Lang) -> None:
    w.heading(label("moves", lang))
    moves = occ.get("career_moves") or []
    beyond = occ.get("beyond_standard") or []
    if not moves and not beyond:
        w.text(label("no_moves", lang))
    for mv in moves:
        kind = mv.get("kind", "")
        head = LABELS[f"move_{kind}"][lang] if f"move_{kind}" in LABELS else kind
        gap = mv.get("gap") or {}
        note = label("gap", lang, covered=gap.get("covered", 0), total=gap.get("total", 0),
                     coverage=_percent(gap.get("coverage", 0.0)), missing=gap.get("missing", 0)) if gap else ""
        where = label("card_levels", lang, clause=mv["clause"], levels=_levels(mv.get("sbsh_levels") or [0]))
        w.text(f"{head}: {mv['name']} ({where})", bold=True, indent=2, gap=0.3)
        if note:
            w.text(note, size=9, grey=True, indent=6, gap=0.3)
        for item in gap.get("top", [])[:GAP_ITEMS]:
            w.text("– " + item["text"], size=9, indent=6, gap=0.3)
        w.pdf.ln(1.2)
    if beyond:
        sbsh = label("sbsh", lang)
        names = "; ".join(f"{r['name']} ({sbsh} {_levels(r['sbsh_levels'])})" if r.get("sbsh_levels")
                          else r["name"] for r in beyond)
        w.text(label("beyond", lang, names=names))


def render(result: MatchResult, lang: Lang | None = None, today: date | None = None) -> bytes:
    """The report of ``result`` as PDF bytes, in ``lang`` (default: the language of the submitted text)."""
    fonts = require_font()
    lang = lang or result.language
    data = localise(result, lang)
    w = _Writer(lang, fonts, label("title", lang))
    w.text(label("title", lang), size=16, bold=True, gap=1)
    w.text(label("standard", lang), size=10, grey=True, gap=0.5)
    if data["kind"] == "checklist":
        source = label("from_checklist", lang)
    else:
        kind = LABELS[f"kind_{data['kind']}"][lang] if f"kind_{data['kind']}" in LABELS else data["kind"]
        source = label("from_text", lang, kind=kind, language=LANGUAGE_NAMES[lang].get(data["language"],
                                                                                       data["language"]))
    w.text(f"{source} · {label('made', lang)}: {(today or date.today()).isoformat()}", size=9, grey=True, gap=3)

    if not data["in_scope"] or not data["occupations"]:
        w.text(label("out_of_scope", lang), size=11)
        w.text(label("note", lang), size=8, grey=True)
        return w.output()

    best = data["occupations"][0]
    w.heading(label("match", lang))
    w.text(best["name"], size=14, bold=True, gap=0.5)
    w.text(label("card", lang, clause=best["clause"], code=best["code"]), size=9, grey=True, gap=1)
    if best.get("title"):
        w.text(label("title_names", lang, title=best["title"]), size=9, gap=1)
    band = LABELS[f"band_{best['band']}"][lang] if f"band_{best['band']}" in LABELS else best["band"]
    w.text(label("fit", lang, band=band, probability=_percent(best["probability"]),
                 coverage=_percent(best["coverage"])))
    w.text(label("level", lang, level=best["sbsh_level"], levels=_levels(best["sbsh_levels"])), bold=True)
    _level_reasons(w, data, best, lang)
    _covered(w, data, best, lang)
    _plan(w, best, lang)
    _moves(w, best, lang)

    others = [o for o in data["occupations"][1:] if o.get("in_scope", True)]
    if others:
        w.heading(label("others", lang))
        for o in others:
            w.item(f"{o['name']} ({label('card_levels', lang, clause=o['clause'], levels=_levels(o['sbsh_levels']))})",
                   note=label("fit", lang, band=LABELS[f"band_{o['band']}"][lang] if f"band_{o['band']}" in LABELS
                              else o["band"], probability=_percent(o["probability"]),
                              coverage=_percent(o["coverage"])))
    w.pdf.ln(4)
    w.text(label("note", lang), size=8, grey=True)
    return w.output()
