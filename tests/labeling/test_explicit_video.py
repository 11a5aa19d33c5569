"""Explicit video label: drawn on the start frames for ≥ 2 s at ≥ 5 % height; audio stream kept.
Checked with the real ffprobe/ffmpeg: stream layout, duration, and frames extracted at 1 s, 2.5 s, 3.6 s."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from hegui.core.errors import InputError, LabelError
from hegui.labeling.explicit.video import label_video_file

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg/ffprobe not installed (run.sh test installs them)")


def _probe(path: Path) -> dict[str, object]:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", path],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def _frame(path: Path, at: float, out: Path) -> Image.Image:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(at), "-i", path, "-frames:v", "1", out],
                   check=True)
    return Image.open(out).convert("L")


@pytest.fixture(scope="module")
def black_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=320x240:d=4:r=10",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=4",
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", path],
                   check=True)
    return path


def test_label_on_start_frames_for_at_least_two_seconds(black_clip: Path, tmp_path: Path) -> None:
    dst = tmp_path / "labeled.mp4"
    label_video_file(black_clip, dst, seconds=3.0)
    before, after = _probe(black_clip), _probe(dst)
    kinds = sorted(s["codec_type"] for s in after["streams"])  # type: ignore[index, union-attr]
    assert kinds == ["audio", "video"]
    audio_in = next(s for s in before["streams"] if s["codec_type"] == "audio")  # type: ignore[union-attr, index]
    audio_out = next(s for s in after["streams"] if s["codec_type"] == "audio")  # type: ignore[union-attr, index]
    assert audio_out["codec_name"] == audio_in["codec_name"]  # copied, not re-encoded
    assert abs(float(after["format"]["duration"]) - float(before["format"]["duration"])) < 0.2  # type: ignore[index]

    for at in (0.0, 1.0, 2.5):
        frame = _frame(dst, at, tmp_path / f"f{at}.png")
        bright = frame.point(lambda v: 255 if v >= 200 else 0).getbbox()
        assert bright is not None, f"no label at {at} s"
        assert bright[3] - bright[1] >= 0.05 * 240, f"label text too small at {at} s"
    late = _frame(dst, 3.6, tmp_path / "late.png")
    assert late.getextrema()[1] < 60, "label still shown after its 3 s"


def test_too_short_display_and_not_a_video(tmp_path: Path, black_clip: Path) -> None:
    with pytest.raises(LabelError, match="at least 2"):
        label_video_file(black_clip, tmp_path / "x.mp4", seconds=1.5)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\0\0\0\x18ftypisom" + b"\0" * 100)
    with pytest.raises(InputError):
        label_video_file(bad, tmp_path / "y.mp4")
