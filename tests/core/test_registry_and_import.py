import subprocess
import sys

import pytest

from hegui.core.errors import ConfigError
from hegui.core.registry import Registry


def test_registry_names_and_unknown() -> None:
    reg: Registry[int] = Registry("widgets")
    reg.register("one", lambda: 1)
    assert reg.get("one")() == 1
    assert "one" in reg and reg.names() == ["one"]
    with pytest.raises(ConfigError, match="unknown widget 'two'; known: one"):
        reg.get("two")
    with pytest.raises(ConfigError, match="registered twice"):
        reg.register("one", lambda: 2)


def test_import_hegui_is_cheap() -> None:
    """`import hegui` (and the CLI module tree) must not pull in heavy libraries."""
    code = ("import sys, hegui, hegui.core.types, hegui.core.settings, hegui.moderation, hegui.labeling;"
            "heavy = [m for m in ('numpy', 'hyperscan', 'fastapi', 'PIL', 'pikepdf', 'opencc', 'pypinyin')"
            " if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
