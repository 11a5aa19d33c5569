"""Fuzzing the MP3/WAV/FLAC/MP4 readers: on random bytes and on mutated labeled files, sniffing,
``extract``, ``content_digest`` and ``embed`` either work or raise one HeguiError — never another
exception, never a hang. Each test states how many inputs it tried (run with ``-s`` to see them)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import strategies as st

from hegui.core.label import ContentLabel
from hegui.labeling.base import labeler_for
from hegui.testing.fuzz import fuzz_labeler

# Inputs per format and strategy; HEGUI_FUZZ_SCALE=10 runs a deeper campaign.
_SCALE = float(os.environ.get("HEGUI_FUZZ_SCALE", "1"))
RANDOM_INPUTS = int(500 * _SCALE)
MUTATED_INPUTS = int(500 * _SCALE)

FFMPEG = shutil.which("ffmpeg")
SAMPLES = {  # format -> ffmpeg arguments for a short sample (labeled before fuzzing)
    "mp3": ["-f", "lavfi", "-i", "sine=duration=0.3", "-c:a", "libmp3lame", "-metadata", "title=T"],
    "wav": ["-f", "lavfi", "-i", "sine=duration=0.1", "-metadata", "title=T"],
    "flac": ["-f", "lavfi", "-i", "sine=duration=0.3", "-metadata", "title=T"],
    "mp4": ["-f", "lavfi", "-i", "testsrc=duration=0.3:size=32x32:rate=10", "-c:v", "libx264",
            "-preset", "ultrafast", "-metadata", "title=T", "-movflags", "+faststart", "-f", "mp4"],
}
MAGIC = {"mp3": [b"ID3\x03\x00\x00", b"ID3\x04\x00\x00", b"\xff\xfb\x90"],
         "wav": [b"RIFF\x00\x10\x00\x00WAVE"], "flac": [b"fLaC\x00\x00\x00\x22"],
         "mp4": [b"\x00\x00\x00\x18ftypisom", b"\x00\x00\x00\x08moov"]}
LABEL = ContentLabel(ContentProducer="acme", ProduceID="fuzz-1")


@st.composite
def mutations(draw: st.DrawFn, sample: bytes) -> bytes:
    """A sample with a few flipped/overwritten/inserted/deleted bytes, biased to the file's ends
    (where headers, tags and indexes sit), sometimes truncated."""
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        last = len(data) - 1
        pos = draw(st.one_of(st.integers(0, min(last, 128)), st.integers(0, min(last, 600)),
                             st.integers(max(0, last - 2500), last), st.integers(0, last)))
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        if op == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[pos] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFF]))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=12))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 12))]
        else:
            del data[pos:]
    return bytes(data)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed (apt-get install ffmpeg; run.sh does it)")
    out = tmp_path_factory.mktemp("fuzz-media")
    result = {}
    for fmt, args in SAMPLES.items():
        raw = out / f"raw.{fmt}"
        subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args, str(raw)], check=True)
        labeled = out / f"labeled.{fmt}"
        labeler_for(raw).embed(raw, labeled, LABEL)
        result[fmt] = labeled.read_bytes()
    return result


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_fuzz_random_bytes(fmt: str, tmp_path: Path) -> None:
    strategy = st.one_of(st.binary(max_size=1024),
                         st.tuples(st.sampled_from(MAGIC[fmt]), st.binary(max_size=1024)).map(b"".join))
    tried = fuzz_labeler(fmt, strategy, RANDOM_INPUTS, tmp_path, LABEL, embed=True)
    print(f"\n{fmt}: {tried} random inputs tried")
    assert tried >= RANDOM_INPUTS


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_fuzz_mutated_labeled_files(fmt: str, samples: dict[str, bytes], tmp_path: Path) -> None:
    tried = fuzz_labeler(fmt, mutations(samples[fmt]), MUTATED_INPUTS, tmp_path, LABEL, embed=True)
    print(f"\n{fmt}: {tried} mutated inputs tried")
    assert tried >= MUTATED_INPUTS
