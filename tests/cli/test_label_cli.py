"""``hegui label``: add / inspect / propagate / keygen through Typer's CliRunner, plus one real
subprocess run proving a corrupt file gives one message and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from hegui.cli.main import app

HEGUI = Path(sys.executable).parent / "hegui"
CODE = "001191110102MAD55U9H0F10002"


def _png(path: Path, color: str = "white") -> Path:
    Image.new("RGB", (240, 160), color).save(path)
    return path


def _invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_keygen_add_sign_inspect_json(tmp_path: Path) -> None:
    code, out, _ = _invoke("label", "keygen", "--out", tmp_path / "keys", "--json")
    assert code == 0
    keys = json.loads(out)
    src = _png(tmp_path / "a.png")
    code, out, _ = _invoke("label", "add", src, "--out", tmp_path / "out", "--producer", CODE,
                           "--strict-code", "--sign", keys["private_key"], "--produce-id", "gen-1", "--json")
    assert code == 0, out
    added = json.loads(out)
    assert added["label"]["ProduceID"] == "gen-1" and added["signed"] and added["explicit"]["applied"]
    code, out, _ = _invoke("label", "inspect", tmp_path / "out" / "a.png", "--key", keys["public_key"],
                           "--json")
    assert code == 0
    report = json.loads(out)
    assert report["signature"]["status"] == "valid"
    assert report["label"]["ContentProducer"] == CODE
    # Human output too.
    code, out, _ = _invoke("label", "inspect", tmp_path / "out" / "a.png")
    assert code == 0 and "ContentProducer=" + CODE in out and "unverifiable" in out


def test_batch_continues_past_bad_files_and_fails_overall(tmp_path: Path) -> None:
    good = [_png(tmp_path / f"g{i}.png") for i in range(3)]
    corrupt = tmp_path / "broken.png"
    corrupt.write_bytes(good[0].read_bytes()[:50])
    unsupported = tmp_path / "blob.bin"
    unsupported.write_bytes(bytes(range(256)))
    before = corrupt.read_bytes()
    code, out, err = _invoke("label", "add", good[0], corrupt, good[1], unsupported, good[2],
                             "--out", tmp_path / "out", "--producer", "ExampleAI", "--no-explicit", "--json")
    assert code != 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [("error" in line) for line in lines] == [False, True, False, True, False]
    assert "not a supported format" in lines[3]["error"]["message"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["g0.png", "g1.png", "g2.png"]
    assert corrupt.read_bytes() == before
    assert "2 of 5 file(s) failed" in err


def test_option_errors(tmp_path: Path) -> None:
    src = _png(tmp_path / "a.png")
    code, _, err = _invoke("label", "add", src, "--producer", "X")
    assert code == 2 and "--out DIR or --in-place" in err
    code, _, err = _invoke("label", "add", src, src, "--in-place", "--producer", "X", "--produce-id", "1")
    assert code == 2 and "--produce-id" in err
    code, _, err = _invoke("label", "add", src, "--in-place", "--producer", "X", "--sign", tmp_path / "nokey")
    assert code == 2 and "cannot read signing key" in err
    code, _, err = _invoke("label", "add", src, "--in-place", "--producer", "名字")
    assert code == 1 and "outside the allowed set" in err
    code, _, err = _invoke("label", "add", src, "--in-place", "--producer", "X", "--wording", "AI")
    assert code == 1 and "generation element" in err


def test_propagate_text_suspected_and_none(tmp_path: Path) -> None:
    post = tmp_path / "post.txt"
    post.write_text("文章。\n\n本文由AI生成。\n", encoding="utf-8")
    code, out, _ = _invoke("label", "propagate", post, "--platform", "PlatformX", "--propagate-id", "p-7",
                           "--out", tmp_path / "out", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["decision"] == "suspected" and report["label"]["Label"] == "3"
    plain = tmp_path / "plain.txt"
    plain.write_text("普通文章。\n", encoding="utf-8")
    code, out, _ = _invoke("label", "propagate", plain, "--platform", "PlatformX", "--propagate-id", "p-8",
                           "--in-place")
    assert code == 0 and "no AI indication" in out
    assert plain.read_text(encoding="utf-8") == "普通文章。\n"


def test_same_name_twice_into_one_directory(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a, b = _png(tmp_path / "x" / "a.png"), _png(tmp_path / "y" / "a.png", "black")
    code, _, err = _invoke("label", "add", a, b, "--out", tmp_path / "out", "--producer", "P",
                           "--no-explicit")
    assert code == 1 and "another input named a.png" in err


def test_real_process_corrupt_file_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 5)
    proc = subprocess.run([str(HEGUI), "label", "inspect", str(bad)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "error:" in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.startswith("error:")]) == 1


def test_watermark_shown_by_inspect(tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    src = tmp_path / "photo.png"
    Image.fromarray(rng.integers(40, 210, (200, 260, 3), dtype=np.uint8)).save(src)
    code, out, _ = _invoke("label", "add", src, "--out", tmp_path / "out", "--producer", "P",
                           "--produce-id", "w-1", "--watermark", "--no-explicit")
    assert code == 0 and "watermark" in out
    code, out, _ = _invoke("label", "inspect", tmp_path / "out" / "photo.png")
    assert code == 0 and "watermark: content id" in out and "matches the label" in out
