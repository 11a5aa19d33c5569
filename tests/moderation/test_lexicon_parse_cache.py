"""Parsed library files are cached on disk by content: a second load gives the same library, an
edited file is parsed again, a damaged cache entry is ignored, and errors still come from the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.core.errors import LexiconError
from hegui.moderation.lexicon import load_lexicon
from hegui.moderation.lexicon.parse_cache import cache_dir


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return cache_dir()


def make_library(root: Path) -> Path:
    (root / "terms").mkdir(parents=True)
    (root / "lexicon.toml").write_text('name = "c"\nversion = "1"\nallow = ["冰毒危害"]\n\n[[context]]\n'
                                       'term = "开车"\nexclude_any = ["驾校"]\n', encoding="utf-8")
    (root / "terms" / "a.tsv").write_text("term\trisk\tweight\tmode\ttransforms\tnote\n"
                                          "冰毒\tA1.8\t0.5\t\t-pinyin\t毒品\nSB\tA2.1\t\texact\n",
                                          encoding="utf-8")
    return root


def test_second_load_comes_from_the_cache_and_is_equal(tmp_path: Path, cache: Path) -> None:
    lib = make_library(tmp_path / "lib")
    first = load_lexicon(lib)
    assert len(list(cache.glob("*.pickle"))) == 2  # the manifest and the one terms file
    second = load_lexicon(lib)
    assert second == first
    assert second.terms[0].note == "毒品" and second.context[0].exclude_any == ("驾校",)
    second.terms.clear()  # each load is its own object
    assert len(load_lexicon(lib).terms) == 2


def test_an_edited_file_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    lib = make_library(tmp_path / "lib")
    load_lexicon(lib)
    with (lib / "terms" / "a.tsv").open("a", encoding="utf-8") as fh:
        fh.write("海洛因\tA1.8\n")
    assert [t.text for t in load_lexicon(lib).terms] == ["冰毒", "SB", "海洛因"]
    (lib / "terms" / "a.tsv").write_text("term\trisk\n冰毒\tB9\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="unknown risk id 'B9'"):
        load_lexicon(lib)


def test_a_damaged_cache_entry_is_ignored(tmp_path: Path, cache: Path) -> None:
    lib = make_library(tmp_path / "lib")
    expected = load_lexicon(lib)
    for entry in cache.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert load_lexicon(lib) == expected
