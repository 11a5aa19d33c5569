"""MP4 implicit labeling of a ~100 MB file: wall time and peak RSS, moov-last and faststart layouts.

Baselines measured in the same run on the same file: a plain file copy (``shutil.copyfile``, the floor
for any tool that writes a new file) and ffmpeg writing the same tag by remuxing
(``ffmpeg -c copy -metadata AIGC=… -movflags use_metadata_tags``). Peak RSS is measured in a child
process and compared with a child that only imports hegui, so it shows what labeling adds.

    .venv/bin/python benchmarks/labeling_mp4.py [--size-mb 100]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import resource, sys, time
from pathlib import Path
from hegui.core.label import ContentLabel
from hegui.labeling.base import atomic_output, labeler_for
src, dst, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
if mode == "label":
    labeler = labeler_for(src)
    with atomic_output(dst) as tmp:
        labeler.embed(src, tmp, ContentLabel(ContentProducer="001191110102MAD55U9H0F10002", ProduceID="b1"))
    assert labeler.extract(dst).label is not None
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def make_sample(path: Path, size_mb: int) -> None:
    """A high-bitrate 2 s clip, then stream-copied in a loop (no re-encoding) up to ``size_mb``."""
    clip = path.with_name("clip.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
                    "-f", "lavfi", "-i", "sine", "-t", "2", "-c:v", "mpeg4", "-q:v", "1", "-c:a", "aac",
                    str(clip)], check=True)
    loops = max(1, round(size_mb * 1e6 / clip.stat().st_size)) - 1
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(clip), "-c", "copy",
                    str(path)], check=True)
    clip.unlink()


def child(src: Path, dst: Path, mode: str) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(src), str(dst), mode], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1])


def timed(cmd: list[str]) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hegui-bench-") as tmp_name:
        tmp = Path(tmp_name)
        moov_last = tmp / "moov-last.mp4"
        make_sample(moov_last, args.size_mb)
        faststart = tmp / "faststart.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(moov_last), "-c", "copy", "-movflags",
                        "+faststart", str(faststart)], check=True)
        _, import_rss = child(moov_last, tmp / "unused.mp4", "import-only")
        print(f"file: {moov_last.stat().st_size / 1e6:.1f} MB; peak RSS of a child that only imports "
              f"hegui: {import_rss / 1024:.0f} MB")
        for src in (moov_last, faststart):
            dst = tmp / ("labeled-" + src.name)
            secs, rss = min((child(src, dst, "label") for _ in range(3)), key=lambda r: r[0])
            t0 = time.perf_counter()
            shutil.copyfile(src, tmp / "copy.mp4")
            copy_s = time.perf_counter() - t0
            ff_s, _ = timed(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-map", "0", "-c", "copy",
                             "-metadata", 'AIGC={"AIGC":{"Label":"1"}}', "-movflags", "use_metadata_tags",
                             str(tmp / "ffmpeg.mp4")])
            print(f"{src.name:16s} hegui label: {secs:.3f} s, peak RSS {rss / 1024:.0f} MB "
                  f"(+{(rss - import_rss) / 1024:.0f} MB over import) | baseline file copy: {copy_s:.3f} s"
                  f" | baseline ffmpeg remux with the tag: {ff_s:.3f} s")


if __name__ == "__main__":
    main()
