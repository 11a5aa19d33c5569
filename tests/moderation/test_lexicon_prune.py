"""``prune_lexicon``: terms that fire on benign text move to pruned/<date>.tsv (the real detector)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hegui.core.errors import InputError, LexiconError
from hegui.moderation.keyword import KeywordDetector
from hegui.moderation.lexicon import load_lexicon
from hegui.moderation.lexicon.files import read_terms
from hegui.moderation.lexicon.model import DEFAULT_TRANSFORMS
from hegui.moderation.lexicon.prune import BenignText, prune_lexicon, read_benign, read_benign_files

DAY = dt.date(2026, 11, 25)
MANIFEST = """name = "noisy"
version = "2026.11.20.1"
allow = ["法轮常转"]

[[context]]
term = "开车"
require_any = ["视频"]
window = 10
"""


def make_library(root: Path) -> Path:
    (root / "terms").mkdir(parents=True)
    (root / "lexicon.toml").write_text(MANIFEST, encoding="utf-8")
    (root / "terms" / "politics.tsv").write_text(
        "# hand-written comment stays\n"
        "term\trisk\tweight\tmode\ttransforms\tnote\n"
        "法轮\tA1.1\t0.5\t\t\tfrom a public list\n"
        "出售炸药\tA1.4\n"
        "苹果\tA1.8\n"
        "开车\tA1.8\n", encoding="utf-8")
    (root / "terms" / "other.tsv").write_text("term\trisk\n天气\tA1.8\n", encoding="utf-8")
    return root


def texts(*lines: str) -> list[BenignText]:
    return [BenignText(f"benign.txt:{i}", t) for i, t in enumerate(lines, start=1)]


def test_firing_terms_move_to_the_pruned_file_and_others_stay(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "lib")
    report = prune_lexicon(lib, texts("我买了一个苹果", "明天天 气很好", "佛经里说法轮常转"), today=DAY)
    # 苹果 fires; 天气 fires through a separator; 法轮 only inside the allow phrase; 开车 not at all.
    assert sorted(m["term"] for m in report.moved) == ["天气", "苹果"]
    assert report.pruned == 2 and report.kept == 3 and report.texts == 3
    after = load_lexicon(lib)
    assert sorted(t.text for t in after.terms) == ["出售炸药", "开车", "法轮"]
    pruned = read_terms(lib / "pruned" / "2026-11-25.tsv", DEFAULT_TRANSFORMS)
    by_text = {t.text: t for t in pruned}
    assert set(by_text) == {"天气", "苹果"}
    assert by_text["苹果"].risk == "A1.8"
    assert "benign.txt:1" in by_text["苹果"].note and "我买了一个苹果" in by_text["苹果"].note
    # The hand-written file keeps its comment and the untouched lines verbatim.
    politics = (lib / "terms" / "politics.tsv").read_text(encoding="utf-8")
    assert politics.startswith("# hand-written comment stays\n")
    assert "法轮\tA1.1\t0.5\t\t\tfrom a public list\n" in politics and "苹果" not in politics
    entry = after.changelog[-1]
    assert after.version == "2026.11.25.1" and entry.removed == 2 and entry.added == 0
    assert "pruned 2 terms" in entry.summary and entry.date == "2026-11-25"
    # The pruned library no longer fires on the benign texts.
    detector = KeywordDetector([after])
    assert not detector.detect("我买了一个苹果") and not detector.detect("明天天 气很好")


def test_context_rules_keep_working_and_a_second_prune_appends(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "lib")
    first = prune_lexicon(lib, texts("他开车去上班"), today=DAY)
    assert first.pruned == 0 and first.pruned_file is None
    assert load_lexicon(lib).version == "2026.11.20.1"  # nothing moved: no new version
    prune_lexicon(lib, texts("开车视频在这里"), today=DAY)
    prune_lexicon(lib, texts("出售炸药"), today=DAY)
    pruned = read_terms(lib / "pruned" / "2026-11-25.tsv", DEFAULT_TRANSFORMS)
    assert [t.text for t in pruned] == ["开车", "出售炸药"]
    lexicon = load_lexicon(lib)
    assert lexicon.version == "2026.11.25.2" and len(lexicon.changelog) == 2


def test_original_note_is_kept_in_the_pruned_line(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "lib")
    prune_lexicon(lib, texts("法轮大法好"), today=DAY)
    (term,) = read_terms(lib / "pruned" / "2026-11-25.tsv", DEFAULT_TRANSFORMS)
    assert term.text == "法轮" and term.weight == 0.5
    assert term.note.startswith("from a public list; pruned: fired as '法轮'")


def test_a_single_tsv_file_is_refused(tmp_path: Path) -> None:
    tsv = tmp_path / "list.tsv"
    tsv.write_text("term\trisk\n苹果\tA1.8\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="prune needs a library directory"):
        prune_lexicon(tsv, texts("苹果"))


def test_benign_readers(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("第一行\n\n第二行\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("\ufeffid,TEXT,label\n1,\"有,逗号\",0\n2,第二条,0\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"q": "问题一"}\n\n{"q": "问题二"}\n', encoding="utf-8")
    assert [t.text for t in read_benign(tmp_path / "a.txt")] == ["第一行", "第二行"]
    assert [t.where for t in read_benign(tmp_path / "a.txt")] == ["a.txt:1", "a.txt:3"]
    assert [t.text for t in read_benign(tmp_path / "b.csv")] == ["有,逗号", "第二条"]
    assert [t.text for t in read_benign(tmp_path / "c.jsonl", "q")] == ["问题一", "问题二"]
    both = read_benign_files([tmp_path / "a.txt", tmp_path / "c.jsonl"], "q", max_texts=3)
    assert [t.text for t in both] == ["第一行", "第二行", "问题一"]


@pytest.mark.parametrize(("name", "content", "field", "message"), [
    ("x.csv", "id,label\n1,0\n", None, "no column named text"),
    ("x.csv", "text\n\"unterminated\n", None, "bad CSV"),
    ("x.jsonl", '{"text": "ok"}\n{bad\n', None, "x.jsonl:2: malformed JSON"),
    ("x.jsonl", '{"other": "ok"}\n', "text", "no key 'text'"),
    ("x.jsonl", '{"text": 3}\n', None, "is not a string"),
    ("x.pdf", "whatever", None, "must be a .txt, .csv or .jsonl"),
])
def test_bad_benign_files(tmp_path: Path, name: str, content: str, field: str | None, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        list(read_benign(path, field))


def test_unreadable_and_invalid_utf8(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        list(read_benign(tmp_path / "missing.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_bytes("好\n".encode() + b"\xff\xfe\n")
    with pytest.raises(InputError, match=r"bad.txt:2: invalid UTF-8"):
        list(read_benign(bad))
