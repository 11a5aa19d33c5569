"""Explicit labels on video: the wording on the start frames for ≥ 2 s at ≥ 5 % of the shortest side.

The label is rendered with Pillow into a transparent PNG (ffmpeg's drawtext depends on how ffmpeg was
built and on fontconfig for CJK; a Pillow-rendered overlay works with any ffmpeg) and overlaid by
ffmpeg. The (first) video stream is re-encoded (H.264) — unavoidable when pixels change — and every
audio and subtitle stream is copied untouched; other data streams (e.g. timecode) are not kept.
The implicit metadata is written afterwards by the MP4 labeler.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hegui.core.errors import InputError, LabelError
from hegui.labeling.explicit.audio import run_ffmpeg
from hegui.labeling.explicit.image import DEFAULT_HEIGHT_RATIO, Placement, draw_label
from hegui.labeling.explicit.text import SHORT_WORDING

MIN_SECONDS = 2.0
DEFAULT_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class VideoInfo:
    width: int
    height: int
    duration: float


def probe_video(path: Path) -> VideoInfo:
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise LabelError("ffprobe (part of ffmpeg) is needed to label video; apt-get install ffmpeg")
    cmd = [ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries",
           "stream=width,height:format=duration", "-of", "json", str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        data = json.loads(proc.stdout or "{}")
        stream = data["streams"][0]
        return VideoInfo(int(stream["width"]), int(stream["height"]),
                         float(data.get("format", {}).get("duration", 0.0)))
    except (subprocess.SubprocessError, ValueError, KeyError, IndexError, TypeError):
        raise InputError(f"{path}: no decodable video stream") from None


def stream_kinds(path: Path) -> set[str]:
    """The kinds of streams in a media file ("video", "audio", …); empty if ffprobe cannot read it.
    Cover art (attached pictures) does not count as video."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise LabelError("ffprobe (part of ffmpeg) is needed to label video; apt-get install ffmpeg")
    cmd = [ffprobe, "-v", "error", "-show_entries", "stream=codec_type:stream_disposition=attached_pic",
           "-of", "json", str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        streams = json.loads(proc.stdout or "{}").get("streams", [])
        return {str(s.get("codec_type")) for s in streams
                if not s.get("disposition", {}).get("attached_pic")}
    except (subprocess.SubprocessError, ValueError, AttributeError):
        return set()


def label_video_file(src: Path, dst: Path, wording: str = SHORT_WORDING, *,
                     seconds: float = DEFAULT_SECONDS,
                     placement: Placement | str = Placement.BOTTOM_RIGHT,
                     height_ratio: float = DEFAULT_HEIGHT_RATIO) -> VideoInfo:
    """Overlay the label on the first ``seconds`` of ``src``'s video; write an MP4/MOV to ``dst``."""
    from PIL import Image

    if seconds < MIN_SECONDS:
        raise LabelError(f"a video label must be shown for at least {MIN_SECONDS:g} s, got {seconds:g}")
    info = probe_video(src)
    with tempfile.TemporaryDirectory(prefix="hegui-video-") as tmp:
        overlay_png = Path(tmp) / "label.png"
        canvas = Image.new("RGBA", (info.width, info.height), (0, 0, 0, 0))
        draw_label(canvas, wording, placement=placement, height_ratio=height_ratio)
        canvas.save(overlay_png)
        filters = (f"[0:v:0][1:v]overlay=0:0:eof_action=repeat:enable='lte(t,{seconds:g})',"
                   "format=yuv420p[v]")
        run_ffmpeg(["-i", str(src), "-i", str(overlay_png), "-filter_complex", filters,
                    "-map", "[v]", "-map", "0:a?", "-c:a", "copy", "-map", "0:s?", "-c:s", "copy",
                    "-c:v", "libx264", "-crf", "18", "-preset", "veryfast",
                    "-map_metadata", "0", "-f", "mp4", str(dst)],
                   f"drawing the label on {src.name}")
    return info
