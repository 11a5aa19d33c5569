"""``hegui lexicon import`` and ``hegui lexicon check`` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hegui.cli.main import app
from hegui.core.risks import KEYWORD_RISK_IDS
from hegui.moderation.lexicon import load_lexicon

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("HEGUI_LEXICON_PATHS", "HEGUI_USE_SEED_LEXICON", "HEGUI_LEXICON_MIN_TOTAL",
                "HEGUI_LEXICON_MIN_PER_A1_RISK", "HEGUI_LEXICON_MIN_PER_A2_RISK"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HEGUI_CONFIG", str(tmp_path / "hegui.toml"))
    (tmp_path / "hegui.toml").write_text("", encoding="utf-8")


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_with_json_summary(tmp_path: Path) -> None:
    src = write(tmp_path / "terror.txt", "炸弹教程", "炸彈教程", "圣战招募")
    result = runner.invoke(app, ["lexicon", "import", str(src), "--risk", "A1.4", "--into",
                                 str(tmp_path / "lib"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["added"] == 2 and summary["duplicates"] == 1 and summary["created"] is True
    assert summary["files"][0]["risk"] == "A1.4"
    assert len(load_lexicon(tmp_path / "lib").terms) == 2


def test_import_with_map_reports_conflicts_in_text_mode(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "出售炸药")
    write(tmp_path / "b.txt", "出售炸药", "新词")
    mapping = write(tmp_path / "map.tsv", "a.txt\tA1.4", "*\tA1.8")
    lib = str(tmp_path / "lib")
    assert runner.invoke(app, ["lexicon", "import", str(tmp_path / "a.txt"), "--map", str(mapping),
                               "--into", lib]).exit_code == 0
    result = runner.invoke(app, ["lexicon", "import", str(tmp_path / "b.txt"), "--map", str(mapping),
                                 "--into", lib])
    assert result.exit_code == 0, result.output
    assert "1 terms added" in result.stdout and "1 conflicts" in result.stdout
    assert "'出售炸药' is A1.4, b.txt:1 says A1.8" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--into", "L"], "give exactly one of --risk ID or --map FILE"),
    (["--into", "L", "--risk", "A1.1", "--map", "m.toml"], "give exactly one of"),
    (["--into", "L", "--risk", "B2"], "unknown risk id 'B2'"),
])
def test_import_errors_are_one_clear_message(tmp_path: Path, args: list[str], message: str) -> None:
    src = write(tmp_path / "w.txt", "词")
    result = runner.invoke(app, ["lexicon", "import", str(src), *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_import_into_a_broken_library_names_file_and_line(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    (lib / "terms").mkdir(parents=True)
    (lib / "lexicon.toml").write_text('name = "x"\nversion = "1"\n', encoding="utf-8")
    (lib / "terms" / "a.tsv").write_text("term\trisk\n词\tA1.1\t2\n", encoding="utf-8")
    src = write(tmp_path / "w.txt", "词")
    result = runner.invoke(app, ["lexicon", "import", str(src), "--risk", "A1.1", "--into", str(lib)])
    assert result.exit_code == 2 and "a.tsv:2:" in result.output
    assert "Traceback" not in result.output


def full_library(tmp_path: Path, per_risk: int) -> Path:
    lib = tmp_path / "full"
    for rid in KEYWORD_RISK_IDS:
        src = write(tmp_path / f"{rid}.txt", *(f"词{rid}号{i}" for i in range(per_risk)))
        assert runner.invoke(app, ["lexicon", "import", str(src), "--risk", rid, "--into",
                                   str(lib)]).exit_code == 0
    return lib


def test_check_pass_fail_and_strict(tmp_path: Path) -> None:
    lib = full_library(tmp_path, 3)
    ok = runner.invoke(app, ["lexicon", "check", str(lib), "--min-total", "51", "--min-a1", "3",
                             "--min-a2", "3"])
    assert ok.exit_code == 0 and "PASS" in ok.stdout
    # Not met: still exit 0 (the check ran) unless --strict.
    short = runner.invoke(app, ["lexicon", "check", str(lib), "--min-a1", "4", "--min-a2", "1",
                                "--min-total", "10"])
    assert short.exit_code == 0 and "FAIL" in short.stdout and "A1.8" in short.stdout
    strict = runner.invoke(app, ["lexicon", "check", str(lib), "--min-a1", "4", "--strict", "--json"])
    assert strict.exit_code == 1
    report = json.loads(strict.stdout)
    assert report["passed"] is False and report["total"] == 51
    assert {r["id"]: r["shortfall"] for r in report["risks"]}["A1.1"] == 1
    assert report["newest_change"]["version"].endswith(".17") and report["stale"] is False


def test_check_defaults_come_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = full_library(tmp_path, 2)
    monkeypatch.setenv("HEGUI_LEXICON_MIN_TOTAL", "34")
    monkeypatch.setenv("HEGUI_LEXICON_MIN_PER_A1_RISK", "2")
    monkeypatch.setenv("HEGUI_LEXICON_MIN_PER_A2_RISK", "2")
    assert json.loads(runner.invoke(app, ["lexicon", "check", str(lib), "--json"]).stdout)["passed"]
    monkeypatch.setenv("HEGUI_LEXICON_MIN_TOTAL", "35")
    assert not json.loads(runner.invoke(app, ["lexicon", "check", str(lib), "--json"]).stdout)["passed"]
    # Without LIB: HEGUI_LEXICON_PATHS (and the seed, switched off here).
    monkeypatch.setenv("HEGUI_USE_SEED_LEXICON", "false")
    monkeypatch.setenv("HEGUI_LEXICON_PATHS", str(lib))
    monkeypatch.setenv("HEGUI_LEXICON_MIN_TOTAL", "34")
    report = json.loads(runner.invoke(app, ["lexicon", "check", "--json"]).stdout)
    assert report["passed"] and [lib_["name"] for lib_ in report["libraries"]] == ["full"]


def test_check_without_library_uses_the_seed() -> None:
    result = runner.invoke(app, ["lexicon", "check", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["libraries"][0]["name"] == "hegui-seed" and len(report["risks"]) == 17


def test_check_of_missing_library_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lexicon", "check", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "no keyword library at" in result.output


def test_prune_moves_benign_hits_and_reports_json(tmp_path: Path) -> None:
    lib = str(tmp_path / "lib")
    write(tmp_path / "list.txt", "出售炸药", "苹果", "天气")
    assert runner.invoke(app, ["lexicon", "import", str(tmp_path / "list.txt"), "--risk", "A1.8",
                               "--into", lib]).exit_code == 0
    benign = tmp_path / "benign.csv"
    benign.write_text("\ufeffsplit,label,TEXT\ntrain,0,我买了一个苹果\ntrain,0,今天天气很好\n",
                      encoding="utf-8")
    result = runner.invoke(app, ["lexicon", "prune", lib, "--benign", str(benign), "--max-texts", "1",
                                 "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["pruned"] == 1 and summary["kept"] == 2 and summary["texts"] == 1
    assert summary["moved"][0]["term"] == "苹果" and summary["moved"][0]["where"] == "benign.csv:2"
    assert sorted(t.text for t in load_lexicon(tmp_path / "lib").terms) == ["出售炸药", "天气"]
    result = runner.invoke(app, ["lexicon", "prune", lib, "--benign", str(benign)])
    assert result.exit_code == 0, result.output
    assert "1 terms fired on 2 benign texts" in result.stdout and "'天气'" in result.stdout
    assert len(list((tmp_path / "lib" / "pruned").glob("*.tsv"))) == 1


@pytest.mark.parametrize(("content", "extra", "message"), [
    ("id,label\n1,0\n", [], "no column named text"),
    ("body\n\"open\n", ["--field", "body"], "bad CSV"),
])
def test_prune_bad_input_is_one_message(tmp_path: Path, content: str, extra: list[str],
                                        message: str) -> None:
    write(tmp_path / "list.txt", "苹果")
    lib = str(tmp_path / "lib")
    runner.invoke(app, ["lexicon", "import", str(tmp_path / "list.txt"), "--risk", "A1.8", "--into", lib])
    (tmp_path / "benign.csv").write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["lexicon", "prune", lib, "--benign", str(tmp_path / "benign.csv"), *extra])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert [t.text for t in load_lexicon(tmp_path / "lib").terms] == ["苹果"]  # nothing lost


def test_prune_needs_a_library_directory(tmp_path: Path) -> None:
    write(tmp_path / "benign.txt", "苹果")
    result = runner.invoke(app, ["lexicon", "prune", str(tmp_path / "nolib"), "--benign",
                                 str(tmp_path / "benign.txt")])
    assert result.exit_code == 2 and "prune needs a library directory" in result.stderr
