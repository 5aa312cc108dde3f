"""The standard as data: parser, overlay, curated dataset, validation and the `matcher standard` commands."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys

import pytest

from matcher import standard
from matcher.config import Settings
from matcher.errors import CurationError, ParseError
from matcher.standard.curate import apply_overlay, load_overlay, statements
from matcher.standard.parse import parse_file, parse_text

CARDS = {  # clause: (job-title code, group code, SBSh levels), as printed in the source
    9: ("5320-2-003", "5320-2", [1, 2]),
    10: ("5320-9-006", "5320-9", [2, 3]),
    11: ("2643-9-009", "2643-9", [2, 3]),
    12: ("3412-0-011", "3412-0", [3, 4]),
    13: ("3412-0-008", "3412-0", [4]),
    14: ("3412-0-005", "3412-0", [5]),
    15: ("2635-3-001", "2635-3", [6]),
    16: ("1344-0-004", "1344-0", [7]),
    17: ("1210-0-040", "1210-0", [7]),
    18: ("2379-9-013", "2379-9", [8]),
}
LABELS = re.compile(r"<[^>]+>|\b(?:Машығы|Білімі|Білімдер|Дағдыны)\b|Дағды \d|Е[ңн]бек функциясы|ЗҚАИ")


@pytest.fixture(scope="module")
def source() -> str:
    return Settings().source_path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed():
    return parse_file(Settings().source_path)


@pytest.fixture(scope="module")
def curated():
    return standard.load(Settings())


def test_ten_cards_with_codes_and_levels(parsed, curated):
    for std in (parsed, curated):
        got = {o.clause: (o.code, o.group_code, o.sbsh_levels) for o in std.occupations}
        assert got == CARDS


def test_passport(parsed):
    assert parsed.code == "Q88100061"
    assert parsed.order == "№ 125" and parsed.order_date == "2024-04-30" and parsed.in_force == "2025-01-01"
    assert any("31.03.2026 № 109" in a for a in parsed.amendments)
    abbr = {a.short: a.full.kk for a in parsed.abbreviations}
    assert abbr["МБА"] == "мүгедектігі бар адамдар"
    assert abbr["АЖ"] == "ақпараттық жүйе"  # the amended wording of item 9)
    assert {"ӨҚЖ", "АӘК", "АӘҚКО", "ТжКБ"} <= abbr.keys()
    assert any(s.code == "88.10" for s in parsed.sections)


def test_26_labour_functions_52_skills(parsed, curated):
    for std in (parsed, curated):
        assert sum(len(o.labour_functions) for o in std.occupations) == 26
        assert sum(len(f.skills) for o in std.occupations for f in o.labour_functions) == 52
        for occ in std.occupations:
            for lf in occ.labour_functions:
                assert [s.number for s in lf.skills] == [1, 2], (occ.clause, lf.number)


def test_card_9_functions_and_statements(curated):
    occ = curated.occupation(9)
    assert [lf.mandatory for lf in occ.labour_functions] == [True, True, False]
    s1 = occ.labour_functions[0].skills[0]
    # items 1-3 print before the labour-function header, 4-7 after the skill header: one list
    assert len(s1.abilities) == 7
    assert s1.abilities[0].text.kk.startswith("Жүріп-тұруы қиын МБА қоғамдық жеке көлікте")
    assert s1.abilities[6].text.kk == "МБА-мен байланыстар орнату."
    assert occ.related[0].clause == 10


def test_duplicated_list_is_kept_once(curated):
    k = curated.occupation(15).labour_functions[0].skills[0].knowledge
    texts = [s.text.kk for s in k]
    assert len(texts) == len(set(texts)) == 9


def test_no_html_label_or_neighbour_in_any_statement(parsed, curated):
    for std in (parsed, curated):
        for _, st in statements(std):
            assert not LABELS.search(st.text.kk), st.text.kk
            # a neighbouring item would show as a second list number inside the text
            assert not re.search(r"(?:^|\s)\d{1,2}\.\s+[А-ЯӘҒҚҢӨҰҮҺІ]", st.text.kk), st.text.kk


def test_reparse_plus_overlay_equals_curated_file():
    path = Settings().dataset_path
    assert standard.dump(standard.build(Settings())) == path.read_text(encoding="utf-8")


def test_ids_canonical_and_translations(curated):
    ids = [st.id for _, st in statements(curated)]
    assert len(ids) == len(set(ids))
    assert "Q88100061/13/LF2/S1/A3" in ids
    for _, st in statements(curated):
        assert st.text.kk and st.text.ru and st.text.en
    # "Қазақстан Республикасының Конституциясы." is repeated in many cards and shares one canonical key
    const = [st for _, st in statements(curated) if st.text.kk.startswith("Қазақстан Республикасының Конституциясы")]
    assert len(const) >= 5 and len({st.canonical for st in const}) == 1
    assert "Конституция" in const[0].text.ru
    assert "unofficial" in curated.translation_note


def test_validate_accepts_curated_file():
    assert standard.validate_file(Settings().dataset_path) == []


def test_validate_catches_a_broken_copy():
    data = json.loads(Settings().dataset_path.read_text(encoding="utf-8"))
    broken = copy.deepcopy(data)
    occ = broken["occupations"][4]
    occ["sbsh_levels"] = [9]
    skill = occ["labour_functions"][0]["skills"][0]
    skill["abilities"][1]["id"] = skill["abilities"][0]["id"]
    skill["knowledge"][0]["text"]["en"] = ""
    broken["occupations"][0]["labour_functions"][0]["skills"][1]["knowledge"] = []
    problems = standard.validate_data(broken)
    joined = "\n".join(problems)
    assert "card 13: SBSh levels [9] must be a non-empty list within 1-8" in joined
    assert f"duplicate statement id {skill['abilities'][0]['id']!r}" in joined
    assert f"{skill['knowledge'][0]['id']}: missing 'en' text" in joined
    assert "card 9 LF1 S2: no knowledge ('Білімі') statements" in joined
    wrong_type = copy.deepcopy(data)
    wrong_type["occupations"][0]["sbsh_levels"] = "1-2"
    assert standard.validate_data(wrong_type)[0].startswith("schema: occupations/0/sbsh_levels")


def test_validate_cli_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.json"
    data = json.loads(Settings().dataset_path.read_text(encoding="utf-8"))
    data["occupations"][0]["name"]["ru"] = ""
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "matcher.cli", "standard", "validate", str(bad)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "card 9 name: missing 'ru' text" in run.stderr
    ok = subprocess.run([sys.executable, "-m", "matcher.cli", "standard", "validate"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.45, 0.6, 0.75, 0.9, 0.97])
def test_truncated_source_fails_clearly(source, fraction):
    lines = source.split("\n")
    cut = "\n".join(lines[: int(len(lines) * fraction)])
    try:
        std = parse_text(cut)
    except ParseError as exc:
        assert str(exc)  # a message, not a traceback
    else:  # a cut after a complete card still parses: then it must be a consistent standard of whole cards
        assert 0 < len(std.occupations) <= 10
        assert all(o.labour_functions and o.personal_competencies for o in std.occupations)


@pytest.mark.parametrize("line", [190, 290, 430, 540])
def test_source_cut_inside_a_card_names_the_card(source, line):
    with pytest.raises(ParseError, match=r"card \d+"):
        parse_text("\n".join(source.split("\n")[:line]))


@pytest.mark.parametrize("garbage", ["", "   \n\t", "hello world\n" * 50, "\x00\x01\x02binary", "<html></html>"])
def test_garbage_source_fails_clearly(garbage):
    with pytest.raises(ParseError):
        parse_text(garbage)


def test_cli_parse_garbage_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    run = subprocess.run([sys.executable, "-m", "matcher.cli", "standard", "parse", str(bad), "-o",
                          str(tmp_path / "o.json")], capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "matcher: error:" in run.stderr


def test_stale_overlay_is_refused(parsed):
    overlay = load_overlay(Settings().overlay_path)
    overlay.corrections[0].expect = {"kk": "something the parser does not print", "ru": "", "en": ""}
    with pytest.raises(CurationError, match="stale"):
        apply_overlay(parsed, overlay)


def test_export_contract():
    run = subprocess.run([sys.executable, "-m", "matcher.cli", "standard", "export", "--json"],
                         capture_output=True, text=True, check=True)
    data = json.loads(run.stdout)
    assert {"code", "name", "occupations"} <= data.keys() and set(data["name"]) == {"kk", "ru", "en"}
    occ = data["occupations"][0]
    assert {"clause", "code", "group_code", "name", "sbsh_levels", "related", "labour_functions"} <= occ.keys()
    skill = occ["labour_functions"][0]["skills"][0]
    assert {"number", "title", "abilities", "knowledge"} <= skill.keys()
    assert {"id", "text"} <= skill["abilities"][0].keys()


@pytest.mark.parametrize("lang,word", [("kk", "Машығы"), ("ru", "Умения"), ("en", "Abilities")])
def test_show_card_by_clause_and_code(lang, word):
    by_clause = subprocess.run([sys.executable, "-m", "matcher.cli", "standard", "show", "11", "--lang", lang],
                               capture_output=True, text=True, check=True).stdout
    by_code = subprocess.run([sys.executable, "-m", "matcher.cli", "standard", "show", "2643-9-009", "--lang",
                              lang], capture_output=True, text=True, check=True).stdout
    assert by_clause == by_code and word in by_clause and "Q88100061/11/LF1/S1/A1" in by_clause
    missing = subprocess.run([sys.executable, "-m", "matcher.cli", "standard", "show", "99"],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no occupation card '99'" in missing.stderr
