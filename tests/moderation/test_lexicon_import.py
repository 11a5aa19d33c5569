"""Importing plain word lists, the change log and version bumps, and coverage against the minima."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hegui.core.errors import LexiconError
from hegui.moderation.lexicon import Lexicon, Term, load_lexicon, save_lexicon
from hegui.moderation.lexicon.changelog import next_version, record_change
from hegui.moderation.lexicon.coverage import coverage
from hegui.moderation.lexicon.importer import ImportMap, import_word_lists, load_import_map

DAY = dt.date(2026, 11, 25)
REPO = Path(__file__).resolve().parents[2]


def words(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_creates_library_dedupes_and_logs_the_change(tmp_path: Path) -> None:
    src = words(tmp_path / "list.txt", "\ufeff出售枪支", "  出售枪支 ", "", "# comment", "出售槍支", "ＡＢＣ",
                "abc", "a\tb", "…", "代办假证")
    report = import_word_lists([src], tmp_path / "lib", risk="A1.8", weight=0.4, today=DAY)
    assert report.created and report.version == "2026.11.25.1"
    # 出售槍支 (traditional) and abc (full-width ＡＢＣ) are the same keywords after normalization.
    assert (report.added, report.duplicates) == (4, 3)
    assert report.files[0].empty_after_normalization == 1  # "…" is only punctuation
    lex = load_lexicon(tmp_path / "lib")
    assert [t.text for t in lex.terms] == ["出售枪支", "ＡＢＣ", "a b", "代办假证"]
    assert {t.weight for t in lex.terms} == {0.4} and {t.risk for t in lex.terms} == {"A1.8"}
    assert [(e.version, e.date, e.added) for e in lex.changelog] == [("2026.11.25.1", "2026-11-25", 4)]
    assert "list.txt → A1.8" in lex.changelog[0].summary


def test_second_import_reports_conflicts_keeps_existing_and_bumps_version(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    import_word_lists([words(tmp_path / "a.txt", "炸药配方", "出售炸药")], lib, risk="A1.4", today=DAY)
    report = import_word_lists([words(tmp_path / "b.txt", "x", "出售炸药", "新词")], lib, risk="A1.8",
                               today=DAY)
    assert report.version == "2026.11.25.2" and report.added == 2 and report.conflict_count == 1
    conflict = report.conflicts[0]
    assert (conflict.term, conflict.existing_risk, conflict.new_risk, conflict.file, conflict.line) == (
        "出售炸药", "A1.4", "A1.8", "b.txt", 2)
    lex = load_lexicon(lib)
    assert {t.text: t.risk for t in lex.terms} == {"炸药配方": "A1.4", "出售炸药": "A1.4", "x": "A1.8",
                                                   "新词": "A1.8"}
    assert [e.added for e in lex.changelog] == [2, 2]
    # Nothing new: the library (and its version) stay as they are.
    again = import_word_lists([tmp_path / "b.txt"], lib, risk="A1.8", today=DAY)
    assert again.added == 0 and load_lexicon(lib).version == "2026.11.25.2"


def test_import_into_existing_library_keeps_its_metadata(tmp_path: Path) -> None:
    old = Lexicon("mine", "2026.11.01.3", "d", terms=[Term("旧词", "A1.1")], allow=["好"])
    save_lexicon(old, tmp_path / "l")
    import_word_lists([words(tmp_path / "w.txt", "新词")], tmp_path / "l", risk="A1.2", today=DAY)
    lex = load_lexicon(tmp_path / "l")
    assert (lex.name, lex.version, lex.description, lex.allow) == ("mine", "2026.11.25.1", "d", ["好"])
    assert [t.text for t in lex.terms] == ["旧词", "新词"]


def test_invalid_utf8_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    src = tmp_path / "bad.txt"
    src.write_bytes("好词\n".encode() + b"\xc3\x28bad\n" + "另一词\n".encode())
    report = import_word_lists([src], tmp_path / "lib", risk="A1.8", today=DAY)
    assert report.added == 2
    assert any("bad.txt:2: invalid UTF-8, line skipped" in w for w in report.warnings)


def test_mapping_by_file_name_explicit_lists_first(tmp_path: Path) -> None:
    catch_all = words(tmp_path / "杂项.txt", "炸弹教程", "普通")
    terror = words(tmp_path / "暴恐词库.txt", "炸弹教程")
    ads = words(tmp_path / "广告.txt", "兼职")
    mapping = ImportMap({"暴恐词库.txt": "A1.4", "广告": "skip"}, default="A1.8")
    report = import_word_lists([catch_all, terror, ads], tmp_path / "lib", mapping=mapping, today=DAY)
    # The explicitly mapped list is imported first, so 炸弹教程 stays A1.4.
    assert [f.file for f in report.files] == ["暴恐词库.txt", "广告.txt", "杂项.txt"]
    risks = {t.text: t.risk for t in load_lexicon(tmp_path / "lib").terms}
    assert risks == {"炸弹教程": "A1.4", "普通": "A1.8"}
    assert report.files[1].risk is None and "广告.txt: not in the mapping" not in " ".join(report.warnings)


def test_mapping_files_toml_and_tsv(tmp_path: Path) -> None:
    toml = tmp_path / "m.toml"
    toml.write_text('default = "skip"\n[files]\n"a.txt" = "A1.4"\n"b" = "skip"\n', encoding="utf-8")
    mapping = load_import_map(toml)
    assert mapping == ImportMap({"a.txt": "A1.4", "b": "skip"}, None)
    assert mapping.risk_for(Path("x/a.txt")) == "A1.4" and mapping.risk_for(Path("b.txt")) is None
    assert mapping.risk_for(Path("other.txt")) is None
    tsv = tmp_path / "m.tsv"
    tsv.write_text("# comment\na.txt\tA1.6\n*\tA1.8\n", encoding="utf-8")
    assert load_import_map(tsv) == ImportMap({"a.txt": "A1.6"}, "A1.8")


def test_example_konsheng_mapping_is_valid() -> None:
    mapping = load_import_map(REPO / "docs" / "examples" / "konsheng-map.toml")
    assert mapping.risk_for(Path("暴恐词库.txt")) == "A1.4" and mapping.default == "A1.8"


@pytest.mark.parametrize(("body", "suffix", "message"), [
    ('[files]\n"a.txt" = "A9"\n', ".toml", r"\[files\] 'a.txt': unknown risk id 'A9'"),
    ('default = "A1.1"\nfile = {}\n', ".toml", "unknown key 'file'"),
    ("[files\n", ".toml", "bad TOML"),
    ("a.txt A1.1\n", ".tsv", r"m.tsv:1: expected 'file name<TAB>risk id'"),
])
def test_bad_mapping_files(tmp_path: Path, body: str, suffix: str, message: str) -> None:
    path = tmp_path / f"m{suffix}"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        load_import_map(path)


def test_bad_import_arguments(tmp_path: Path) -> None:
    src = words(tmp_path / "w.txt", "词")
    with pytest.raises(LexiconError, match="either a risk id"):
        import_word_lists([src], tmp_path / "lib")
    with pytest.raises(LexiconError, match=r"unknown risk id 'A7\.1'"):
        import_word_lists([src], tmp_path / "lib", risk="A7.1")
    with pytest.raises(LexiconError, match="no such word-list file"):
        import_word_lists([tmp_path / "missing.txt"], tmp_path / "lib", risk="A1.1")
    with pytest.raises(LexiconError, match="weight must be"):
        import_word_lists([src], tmp_path / "lib", risk="A1.1", weight=2)
    assert not (tmp_path / "lib").exists()


def test_versions_are_date_based() -> None:
    assert next_version("2026.11.25.1", DAY) == "2026.11.25.2"
    assert next_version("2026.11.24.7", DAY) == "2026.11.25.1"
    assert next_version("v3", DAY) == "2026.11.25.1"
    lex = Lexicon("x", "0")
    entry = record_change(lex, "s", 3, 1, today=DAY)
    assert lex.version == entry.version == "2026.11.25.1" and lex.changelog == [entry]


def _lib_with(counts: dict[str, int], prefix: str = "词") -> Lexicon:
    terms = [Term(f"{prefix}{risk}{i}", risk) for risk, n in counts.items() for i in range(n)]
    return Lexicon("t", "1", terms=terms)


def test_coverage_counts_unique_keywords_per_risk_and_lists_shortfalls() -> None:
    lex = _lib_with({"A1.1": 3, "A2.5": 1, "A4.5": 2})
    lex.terms += [Term("词A1.10", "A1.1"), Term("詞A1.11", "A1.1")]  # duplicates after normalization
    record_change(lex, "s", 7, today=DAY - dt.timedelta(days=9))
    report = coverage([lex], min_total=5, min_per_a1_risk=3, min_per_a2_risk=2, today=DAY)
    by_id = {r.risk: r for r in report.risks}
    assert len(report.risks) == 17 and by_id["A1.1"].count == 3 and by_id["A2.5"].count == 1
    assert report.total == 6 and report.other_risks == {"A4.5": 2}
    assert not report.passed
    assert "A2.5 性别歧视: 1 of 2 (1 short)" in report.shortfalls
    assert "A1.2 危害国家安全和利益、损害国家形象: 0 of 3 (3 short)" in report.shortfalls
    assert not any(s.startswith("total") for s in report.shortfalls)
    assert report.change_age_days == 9 and report.stale
    assert any("9 days old" in w for w in report.warnings)


def test_coverage_passes_when_every_minimum_is_met() -> None:
    from hegui.core.risks import KEYWORD_RISK_IDS

    a = _lib_with({rid: 2 for rid in KEYWORD_RISK_IDS[:8]})
    b = _lib_with({rid: 1 for rid in KEYWORD_RISK_IDS[8:]})
    record_change(b, "s", 9, today=DAY)
    report = coverage([a, b], min_total=25, min_per_a1_risk=2, min_per_a2_risk=1, today=DAY)
    assert report.passed and report.total == 25 and not report.stale
    assert report.warnings == ["library 't' has no change log"]
    assert report.to_dict()["passed"] is True
    failing = coverage([a, b], min_total=26, min_per_a1_risk=2, min_per_a2_risk=1, today=DAY)
    assert failing.shortfalls == ["total: 25 of 26 keywords (1 short)"]


def test_import_of_the_public_lists(shared_data: Path, tmp_path: Path) -> None:
    konsheng = sorted((shared_data / "lexicons" / "konsheng").glob("*.txt"))
    mapping = load_import_map(REPO / "docs" / "examples" / "konsheng-map.toml")
    report = import_word_lists(konsheng, tmp_path / "lib", mapping=mapping, today=DAY)
    assert report.added > 40_000 and report.conflict_count > 0
    by_file = {f.file: f for f in report.files}
    assert by_file["暴恐词库.txt"].risk == "A1.4" and by_file["广告类型.txt"].risk is None
    lex = load_lexicon(tmp_path / "lib")
    assert len(lex.terms) == report.added
    rep = coverage([lex], min_total=10_000, min_per_a1_risk=200, min_per_a2_risk=100, today=DAY)
    assert rep.total == report.added and not rep.passed  # no A2 lists among them
