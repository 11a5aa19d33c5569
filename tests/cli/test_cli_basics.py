import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hegui import __version__
from hegui.cli.main import app

HEGUI = Path(sys.executable).parent / "hegui"


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"hegui {__version__}"


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    proc = subprocess.run([str(HEGUI), "no-such-command"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "No such command" in proc.stderr


def test_bad_config_is_one_clear_message(tmp_path: Path) -> None:
    (tmp_path / "hegui.toml").write_text("port = 'x'\n", encoding="utf-8")
    proc = subprocess.run([str(HEGUI), "serve"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "port" in proc.stderr and "error" in proc.stderr
