"""The on-disk keyword-library format: round trips, defaults, and one clear error per mistake."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hegui.core.errors import LexiconError
from hegui.moderation.lexicon import (
    DEFAULT_TRANSFORMS,
    ChangeLogEntry,
    ContextRule,
    Lexicon,
    MatchMode,
    Term,
    Transform,
    load_lexicon,
    load_lexicons,
    save_lexicon,
    seed_lexicon_path,
)

HEADER = "term\trisk\tweight\tmode\ttransforms\tnote\n"
MANIFEST = 'name = "demo"\nversion = "2026.11.25.1"\n'


def make_lib(root: Path, manifest: str = MANIFEST, **tsv: str) -> Path:
    (root / "terms").mkdir(parents=True)
    (root / "lexicon.toml").write_text(manifest, encoding="utf-8")
    for name, body in tsv.items():
        (root / "terms" / f"{name}.tsv").write_text(body, encoding="utf-8")
    return root


def test_reads_every_column_with_defaults_and_edits(tmp_path: Path) -> None:
    body = ("# a comment line\n" + HEADER + "\n"
            "出售枪支\tA1.8\n"
            "ISIS\tA1.4\t0.5\tword\t-homophones,+initials\tnamed organisation\n"
            "字面\tA2.1\t\texact\t\t\n")
    lex = load_lexicon(make_lib(tmp_path / "lib", a=body))
    assert (lex.name, lex.version, lex.description) == ("demo", "2026.11.25.1", "")
    first, second, third = lex.terms
    assert first == Term("出售枪支", "A1.8", 1.0, MatchMode.SUBSTRING, DEFAULT_TRANSFORMS, "", "demo:a.tsv")
    assert second.weight == 0.5 and second.mode is MatchMode.WORD and second.note == "named organisation"
    assert second.transforms == (DEFAULT_TRANSFORMS - {Transform.HOMOPHONES}) | {Transform.INITIALS}
    assert third.mode is MatchMode.EXACT and third.transforms == DEFAULT_TRANSFORMS


def test_library_default_transforms_apply_to_terms_without_their_own(tmp_path: Path) -> None:
    manifest = MANIFEST + 'default_transforms = ["nfkc", "casefold"]\n'
    lex = load_lexicon(make_lib(tmp_path / "lib", manifest, a=HEADER + "x\tA1.1\ny\tA1.1\t\t\t+t2s\n"))
    assert lex.default_transforms == {Transform.NFKC, Transform.CASEFOLD}
    assert lex.terms[0].transforms == {Transform.NFKC, Transform.CASEFOLD}
    assert lex.terms[1].transforms == {Transform.NFKC, Transform.CASEFOLD, Transform.T2S}


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    lex = Lexicon(
        name="round", version="2026.11.25.3", description='quote " and 中文\n second line',
        terms=[Term("炸药配方", "A1.4", 0.75, MatchMode.SUBSTRING, DEFAULT_TRANSFORMS - {Transform.PINYIN},
                    "note"),
               Term("abc", "A2.5", 1.0, MatchMode.WORD, DEFAULT_TRANSFORMS | {Transform.SPLIT}),
               Term("x y", "A1.4")],
        allow=["法轮常转", 'a"b'],
        context=[ContextRule("枪", require_any=("买", "卖"), exclude_any=("水枪",), window=5)],
        changelog=[ChangeLogEntry("2026.11.25.3", "2026-11-25", "import", added=3, removed=1)],
        default_transforms=DEFAULT_TRANSFORMS - {Transform.HOMOPHONES},
    )
    save_lexicon(lex, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out" / "terms").iterdir()) == ["A1.4.tsv", "A2.5.tsv"]
    back = load_lexicon(tmp_path / "out")
    for attr in ("name", "version", "description", "allow", "context", "changelog", "default_transforms"):
        assert getattr(back, attr) == getattr(lex, attr), attr
    def essentials(terms: list[Term]) -> list[tuple[object, ...]]:
        return sorted((t.text, t.risk, t.weight, t.mode, sorted(t.transforms), t.note) for t in terms)

    assert essentials(lex.terms) == essentials(back.terms)


def test_save_removes_files_of_risks_no_longer_present(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    save_lexicon(Lexicon("l", "1", terms=[Term("a", "A1.1"), Term("b", "A1.2")]), lib)
    save_lexicon(Lexicon("l", "2", terms=[Term("a", "A1.1")]), lib)
    assert [p.name for p in (lib / "terms").iterdir()] == ["A1.1.tsv"]


def test_save_refuses_terms_the_format_cannot_hold_and_writes_nothing(tmp_path: Path) -> None:
    for bad in ("a\tb", "#hash", " padded", "two\nlines"):
        with pytest.raises(LexiconError, match="cannot save"):
            save_lexicon(Lexicon("l", "1", terms=[Term("ok", "A1.1"), Term(bad, "A1.1")]), tmp_path / "x")
        assert not (tmp_path / "x").exists()


def test_single_tsv_file_is_a_library(tmp_path: Path) -> None:
    path = tmp_path / "extra-words.tsv"
    path.write_bytes(("\ufeff" + HEADER + "词一\tA1.6\r\n词二\tA1.6\t0.2\r\n").encode())
    lex = load_lexicon(path)
    assert lex.name == "extra-words" and [t.text for t in lex.terms] == ["词一", "词二"]
    assert lex.terms[1].weight == 0.2
    assert [x.name for x in load_lexicons([path, path])] == ["extra-words", "extra-words"]


def test_header_may_omit_trailing_columns(tmp_path: Path) -> None:
    lex = load_lexicon(make_lib(tmp_path / "lib", a="term\trisk\n词\tA1.6\n"))
    assert lex.terms[0].text == "词"


@pytest.mark.parametrize(("row", "message"), [
    ("词\tA9.9", "unknown risk id 'A9.9'"),
    ("词\tA1", "unknown risk id 'A1'"),
    ("词", "missing risk id"),
    ("词\t", "missing risk id"),
    ("\tA1.1", "empty term"),
    ("词\tA1.1\t1.5", "weight must be a number from 0 to 1, got '1.5'"),
    ("词\tA1.1\tnan", "weight must be a number from 0 to 1"),
    ("词\tA1.1\theavy", "weight must be a number from 0 to 1, got 'heavy'"),
    ("词\tA1.1\t\tfuzzy", "unknown match mode 'fuzzy'"),
    ("词\tA1.1\t\t\t-sounds", "unknown transform 'sounds'"),
    ("词\tA1.1\t\t\thomophones", "must start with \\+ or -"),
    ("词\tA1.1\t\t\t\tnote\textra", "7 columns but the header has 6"),
])
def test_row_errors_name_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    lib = make_lib(tmp_path / "lib", a="# comment\n" + HEADER + "好词\tA1.1\n" + row + "\n")
    with pytest.raises(LexiconError, match=message) as err:
        load_lexicon(lib)
    assert "a.tsv:4:" in str(err.value)


def test_missing_or_wrong_header(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match=r"a.tsv:1: expected the header line"):
        load_lexicon(make_lib(tmp_path / "l1", a="词\tA1.1\n"))
    with pytest.raises(LexiconError, match=r"a.tsv:2: expected the header line"):
        load_lexicon(make_lib(tmp_path / "l2", a="\nterm,risk\n"))


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    lib = make_lib(tmp_path / "lib")
    (lib / "terms" / "bad.tsv").write_bytes(HEADER.encode() + "好\tA1.1\n".encode() + b"\xff\xfe\tA1.1\n")
    with pytest.raises(LexiconError, match=r"bad.tsv:3: invalid UTF-8"):
        load_lexicon(lib)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    lib = make_lib(tmp_path / "lib", a=HEADER)
    (lib / "terms" / "a.tsv").chmod(0)
    with pytest.raises(LexiconError, match=r"a\.tsv: cannot read"):
        load_lexicon(lib)


def test_unreadable_file_as_directory_named_tsv(tmp_path: Path) -> None:
    lib = make_lib(tmp_path / "lib")
    (lib / "terms" / "dir.tsv").mkdir()
    with pytest.raises(LexiconError, match=r"dir\.tsv: cannot read"):
        load_lexicon(lib)


def test_missing_library_and_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="no keyword library at"):
        load_lexicon(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LexiconError, match=r"lexicon\.toml is missing"):
        load_lexicon(tmp_path / "empty")


@pytest.mark.parametrize(("manifest", "message"), [
    ('name = "x"\nversion = \n', r"lexicon.toml: bad TOML: .*line 2"),
    ('name = "x"\n', "'version' must be a non-empty string"),
    ('name = "x"\nversion = "1"\ncolour = "red"\n', r"lexicon.toml:3: unknown key 'colour'"),
    ('name = "x"\nversion = "1"\ndefault_transforms = ["nfkc", "magic"]\n',
     r"lexicon.toml:3: unknown transform 'magic'"),
    ('name = "x"\nversion = "1"\nallow = "one"\n', "'allow' must be a list of strings"),
    ('name = "x"\nversion = "1"\n\n[[context]]\nterm = "a"\n\n[[context]]\nterm = "b"\nwindow = 0\n',
     r"lexicon.toml:7 \(\[\[context\]\] #2\): 'window' must be a positive"),
    ('name = "x"\nversion = "1"\n[[context]]\nterm = "a"\nwindw = 3\n', "unknown key 'windw'"),
    ('name = "x"\nversion = "1"\n[[changelog]]\nversion = "1"\ndate = "yesterday"\n',
     r"lexicon.toml:3 \(\[\[changelog\]\] #1\): 'date' must be an ISO date"),
    ('name = "x"\nversion = "1"\n[[changelog]]\nversion = "1"\ndate = 2026-11-25\nadded = -1\n',
     "'added' must be a whole number"),
])
def test_manifest_errors(tmp_path: Path, manifest: str, message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        load_lexicon(make_lib(tmp_path / "lib", manifest))


def test_toml_dates_are_accepted(tmp_path: Path) -> None:
    lib = make_lib(tmp_path / "lib", MANIFEST + '[[changelog]]\nversion = "1"\ndate = 2026-11-25\n'
                   'summary = "s"\nadded = 4\n')
    assert load_lexicon(lib).changelog == [ChangeLogEntry("1", "2026-11-25", "s", 4, 0)]


def test_seed_library_path_is_inside_the_package_and_loads() -> None:
    path = seed_lexicon_path()
    assert path.parts[-4:] == ("hegui", "moderation", "data", "seed")
    if not (path / "lexicon.toml").is_file():
        pytest.skip("the seed library has not been written yet")
    lex = load_lexicon(path)
    assert lex.terms and all(t.source.startswith(lex.name) for t in lex.terms)
