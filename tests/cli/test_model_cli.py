"""`hegui model train` / `hegui model info` and model failures as seen by a user: one message, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hegui.testing.datasets import write_mini_data_folder

HEGUI = Path(sys.executable).with_name("hegui")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HEGUI), *args], capture_output=True, text=True, timeout=300, check=False)


def test_train_writes_a_model_that_info_verifies(tmp_path: Path) -> None:
    data, corpus = write_mini_data_folder(tmp_path)
    out = tmp_path / "models"
    done = run("model", "train", "--data", str(data), "--corpus", str(corpus), "--out", str(out),
               "--only", "fast", "--json")
    assert done.returncode == 0, done.stderr
    cards = json.loads(done.stdout)
    assert (out / "hegui-fast.npz").is_file()
    info = run("model", "info", str(out / "hegui-fast.npz"), "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)[0]["sha256"] == cards["fast"]["sha256"]


def test_installed_models_are_listed() -> None:
    info = run("model", "info")
    assert info.returncode == 0, info.stderr
    assert "hegui-fast-" in info.stdout and "hegui-semantic-" in info.stdout
    assert "never trained on" in info.stdout


def test_bad_train_arguments_are_one_line_errors(tmp_path: Path) -> None:
    for args, message in (
        (["--data", str(tmp_path), "--out", str(tmp_path / "m")], "not a data folder"),
        (["--data", str(tmp_path), "--out", str(tmp_path / "m"), "--only", "huge"], "--only"),
    ):
        done = run("model", "train", *args)
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    data, corpus = write_mini_data_folder(tmp_path / "d")
    done = run("model", "train", "--data", str(data), "--corpus", str(corpus), "--out", str(tmp_path / "m"),
               "--holdout", "nosuchset")
    assert done.returncode == 2 and "unknown source" in done.stderr


def test_corrupt_model_named_by_a_policy_stops_start_up(tmp_path: Path) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"\x00" * 100)
    (tmp_path / "broken.card.json").write_text('{"sha256": "0", "labels": []}')
    policy = tmp_path / "policy.toml"
    policy.write_text(f'version = "t"\n[detectors.classifier.options]\nmodel = "{broken}"\n'
                      '[[rules]]\nrisk = "*"\nmin_score = 0.5\naction = "label"\n'
                      '[templates.refuse]\nzh = "抱歉。"\nen = "Sorry."\n'
                      '[templates.block]\nzh = "已停止。"\nen = "Stopped."\n', encoding="utf-8")
    done = run("moderate", "--policy", str(policy), "你好")
    assert done.returncode == 2, done.stdout
    assert "does not match its model card" in done.stderr and "Traceback" not in done.stderr
    info = run("model", "info", str(broken))
    assert info.returncode == 2 and "does not match" in info.stderr
