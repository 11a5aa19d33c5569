import os
from pathlib import Path

import pytest

from hegui.core.errors import ConfigError
from hegui.core.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("HEGUI_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray hegui.toml


def test_defaults() -> None:
    s = load_settings()
    assert s.lexicon_min_total == 10_000 and s.lexicon_min_per_a1_risk == 200
    assert s.effective_database_url.startswith("sqlite:///")


def test_env_prefix_and_path_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEGUI_LEXICON_PATHS", f"a{os.pathsep}b/c")
    monkeypatch.setenv("HEGUI_PORT", "9001")
    s = load_settings()
    assert s.lexicon_paths == [Path("a"), Path("b/c")]
    assert s.port == 9001


def test_toml_file_and_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "hegui.toml").write_text('port = 7000\nlexicon_min_total = 5\n', encoding="utf-8")
    assert load_settings().port == 7000
    monkeypatch.setenv("HEGUI_PORT", "7001")
    s = load_settings()
    assert (s.port, s.lexicon_min_total) == (7001, 5)


def test_bad_values_name_the_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HEGUI_PORT", "not-a-port")
    with pytest.raises(ConfigError, match="port"):
        load_settings()
    monkeypatch.delenv("HEGUI_PORT")
    (tmp_path / "hegui.toml").write_text("no_such_key = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no_such_key"):
        load_settings()
    (tmp_path / "hegui.toml").write_text("port = [\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_settings()
    monkeypatch.setenv("HEGUI_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="HEGUI_CONFIG"):
        load_settings()
