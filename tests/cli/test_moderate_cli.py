"""`hegui moderate`: text, file, stdin and JSONL batches; bad input gives one message, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hegui.cli.main import app
from hegui.core.settings import Settings
from hegui.core.types import Detector
from hegui.moderation.detectors import registry
from hegui.testing.detectors import TermDetector

HEGUI = Path(sys.executable).with_name("hegui")

PII_ONLY = """
version = "cli-test-1"
[detectors.pii]

[[rules]]
risk = "*"
min_score = 0.5
action = "label"
[[rules]]
risk = "A1"
min_score = 0.85
action = "refuse"
[[rules]]
detector = "pii"
risk = "*"
min_score = 0.5
action = "rewrite"

[templates.refuse]
zh = "抱歉，无法回答。"
en = "Sorry, I can't help with that."
[templates.block]
zh = "已停止。"
en = "Stopped."
"""
WITH_TERMS = PII_ONLY.replace("[detectors.pii]\n", """[detectors.pii]
[detectors.terms.options]
terms = {"炸弹" = ["A1.4", 0.95], "赌场" = ["A1.8", 0.6]}
""")


def _terms_factory(settings: Settings, *, terms: dict[str, list[Any]]) -> Detector:
    return TermDetector({t: (str(v[0]), float(v[1])) for t, v in terms.items()})


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    registry.register("terms", _terms_factory, replace=True)  # as a plug-in package would
    folder = tmp_path_factory.mktemp("policies")
    paths = {"pii": folder / "pii.toml", "terms": folder / "terms.toml", "bad": folder / "bad.toml"}
    paths["pii"].write_text(PII_ONLY, encoding="utf-8")
    paths["terms"].write_text(WITH_TERMS, encoding="utf-8")
    paths["bad"].write_text(PII_ONLY.replace('risk = "A1"', 'risk = "A1.99"'), encoding="utf-8")
    yield paths
    registry._factories.pop("terms", None)


def invoke(args: list[str], stdin: bytes | str | None = None) -> Any:
    return CliRunner().invoke(app, ["moderate", "--no-seed", *args], input=stdin)


def test_text_argument_json(policies: dict[str, Path]) -> None:
    result = invoke(["--policy", str(policies["terms"]), "--json", "教我做炸弹"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["flagged"] is True and data["action"] == "refuse"
    assert data["risks"] == [{"id": "A1.4", "score": 0.95}]
    [finding] = data["findings"]
    assert {k: finding[k] for k in ("detector", "risk", "span", "evidence")} == {
        "detector": "terms", "risk": "A1.4", "span": [3, 5], "evidence": "炸弹"}


def test_flagged_or_not_exit_zero_and_readable_summary(policies: dict[str, Path]) -> None:
    result = invoke(["--policy", str(policies["terms"]), "--direction", "output", "电话13812345678"])
    assert result.exit_code == 0
    assert "REWRITE" in result.stdout and "138****5678" in result.stdout and "A4.6" in result.stdout
    result = invoke(["--policy", str(policies["terms"]), "今天天气不错"])
    assert result.exit_code == 0 and "PASS" in result.stdout


def test_empty_text_is_a_pass(policies: dict[str, Path]) -> None:
    result = invoke(["--policy", str(policies["pii"]), "--json", ""])
    assert result.exit_code == 0 and json.loads(result.stdout)["action"] == "pass"


def test_file_and_stdin(policies: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_text("\ufeff赌场地址", encoding="utf-8")  # a BOM is not part of the text
    result = invoke(["--policy", str(policies["terms"]), "--json", "--file", str(path)])
    assert json.loads(result.stdout)["findings"][0]["span"] == [0, 2]
    result = invoke(["--policy", str(policies["terms"]), "--json", "--file", "-"], stdin="赌场".encode())
    assert result.exit_code == 0 and json.loads(result.stdout)["action"] == "label"


def test_invalid_utf8_is_a_clear_error(policies: dict[str, Path], tmp_path: Path) -> None:
    result = invoke(["--policy", str(policies["pii"]), "-f", "-"], stdin="赌场".encode("gb18030"))
    assert result.exit_code == 2 and "stdin is not valid UTF-8" in result.stderr
    path = tmp_path / "gbk.txt"
    path.write_bytes("你好".encode("gbk"))
    result = invoke(["--policy", str(policies["pii"]), "-f", str(path)])
    assert result.exit_code == 2 and f"{path} is not valid UTF-8" in result.stderr


def test_jsonl_batch_in_order(policies: dict[str, Path], tmp_path: Path) -> None:
    lines = [{"id": i, "body": t} for i, t in enumerate(["你好", "炸弹", "赌场", "", "邮箱 a@b.cn"])]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", encoding="utf-8")
    result = invoke(["--policy", str(policies["terms"]), "--json", "--jsonl", str(path), "--field", "body"])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5]
    assert [o["action"] for o in out] == ["pass", "refuse", "label", "pass", "rewrite"]
    assert [o["flagged"] for o in out] == [False, True, True, False, True]


def test_jsonl_bad_lines_stop_or_skip(policies: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": broken\n{"other": 1}\n[1]\n{"text": 5}\n'
                     + '{"text": "赌场"}\n'.encode() + b'{"text": "\xff"}\n')
    args = ["--policy", str(policies["terms"]), "--json", "--jsonl", str(path)]
    stop = invoke(args)
    assert stop.exit_code == 2
    assert "line 2: not valid JSON" in stop.stderr and "--on-error skip" in stop.stderr
    assert [json.loads(x)["line"] for x in stop.stdout.splitlines()] == [1]  # done before the bad line
    skip = invoke([*args, "--on-error", "skip"])
    assert skip.exit_code == 0
    out = [json.loads(x) for x in skip.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5, 6, 7]  # output stays aligned with input
    assert [("error" in o) for o in out] == [False, True, True, True, True, False, True]
    assert "no field 'text'" in out[2]["error"]["message"]
    assert "expected a JSON object" in out[3]["error"]["message"]
    assert "must be a string" in out[4]["error"]["message"]
    assert "not valid UTF-8" in out[6]["error"]["message"]
    assert out[5]["action"] == "label"
    assert skip.stderr.count("warning: skipped") == 5


def test_bad_invocations_are_one_message(policies: dict[str, Path], tmp_path: Path) -> None:
    none = invoke(["--policy", str(policies["pii"])])
    assert none.exit_code == 2 and "exactly one of TEXT, --file or --jsonl" in none.stderr
    missing = invoke(["--policy", str(policies["pii"]), "--file", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    bad_policy = invoke(["--policy", str(policies["bad"]), "hi"])
    assert bad_policy.exit_code == 2 and "unknown risk id 'A1.99'" in bad_policy.stderr
    assert "line 10" in bad_policy.stderr
    no_policy = invoke(["--policy", str(tmp_path / "none.toml"), "hi"])
    assert no_policy.exit_code == 2 and "cannot read policy file" in no_policy.stderr


def run_hegui(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(HEGUI), "moderate", "--no-seed", *args], input=stdin, capture_output=True,
                          timeout=120)


def test_real_process_no_traceback(policies: dict[str, Path], tmp_path: Path) -> None:
    pii = str(policies["pii"])
    ok = run_hegui(["--policy", pii, "--json", "--file", "-"], stdin="身份证 11010519491231002X".encode())
    assert ok.returncode == 0 and json.loads(ok.stdout)["action"] == "rewrite"
    for args, stdin, needle in [
        (["--policy", pii, "-f", "-"], b"\xc3\x28 bad", b"not valid UTF-8"),
        (["--policy", str(policies["bad"]), "hi"], b"", b"unknown risk id"),
        (["--policy", pii, "--jsonl", "-"], b'{"text": 1}\n', b"line 1: field 'text' must be a string"),
    ]:
        proc = run_hegui(args, stdin)
        assert proc.returncode == 2 and needle in proc.stderr
        assert b"Traceback" not in proc.stderr and proc.stderr.count(b"\n") <= 3


def test_ten_megabyte_text_works(policies: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(("这是一段很长的普通文字。" * 28_000 + "电话13812345678。\n") * 10, encoding="utf-8")
    assert path.stat().st_size > 10_000_000
    proc = run_hegui(["--policy", str(policies["pii"]), "--json", "--file", str(path)])
    assert proc.returncode == 0, proc.stderr[-500:]
    data = json.loads(proc.stdout)
    assert data["action"] == "rewrite" and len(data["findings"]) == 10
    assert "13812345678" not in data["rewritten"]


LIBRARY = "term\trisk\tweight\n月亮炸弹\tA1.4\t1.0\n弱词甲\tA1.8\t0.6\n"


def test_lexicon_option_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = tmp_path / "mine.tsv"
    library.write_text(LIBRARY, encoding="utf-8")
    result = invoke(["--lexicon", str(library), "--json", "教我 月.亮.炸.弹"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    keyword = [f for f in data["findings"] if f["detector"] == "keyword"]
    assert data["action"] == "refuse" and keyword[0]["evidence"] == "月.亮.炸.弹"
    assert data["detector_versions"]["keyword"] == "mine@0"
    monkeypatch.setenv("HEGUI_LEXICON_PATHS", str(library))
    result = invoke(["--json", "弱词甲"])
    found = json.loads(result.stdout)["findings"]
    assert any(f["detector"] == "keyword" and f["evidence"] == "弱词甲" for f in found)


def test_unreadable_or_broken_library_is_one_message(tmp_path: Path) -> None:
    missing = invoke(["--lexicon", str(tmp_path / "nope.tsv"), "hi"])
    assert missing.exit_code == 2 and "no keyword library at" in missing.stderr
    broken = tmp_path / "broken.tsv"
    broken.write_bytes(b"term\trisk\n\xff\xfe\tA1.4\n")
    proc = run_hegui(["--lexicon", str(broken), "hi"])
    assert proc.returncode == 2 and b"invalid UTF-8" in proc.stderr and b"Traceback" not in proc.stderr


def test_default_policy_with_seed_library_in_a_real_process() -> None:
    proc = subprocess.run([str(HEGUI), "moderate", "--json", "今天天气不错，我们去散步吧。"],
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    data = json.loads(proc.stdout)
    assert data["action"] == "pass" and data["policy_version"].startswith("hegui-default-")
    assert data["detector_versions"]["keyword"].startswith("hegui-seed@")
