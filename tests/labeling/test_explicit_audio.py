"""Explicit audio label: the rhythm 短长短短 (Morse "AI") is detected back from the samples."""

from __future__ import annotations

import math
import shutil
import subprocess
import wave
from array import array
from pathlib import Path

import pytest

from hegui.core.errors import InputError, LabelError
from hegui.labeling.explicit.audio import (
    PATTERN,
    RhythmSpec,
    detect_rhythm,
    label_audio_file,
    label_wav,
    read_wav_samples,
    rhythm_samples,
)


def _write_wav(path: Path, seconds: float, rate: int = 16000, channels: int = 1,
               freq: float | None = None) -> array[int]:
    n = int(seconds * rate)
    data = array("h")
    for i in range(n):
        v = int(8000 * math.sin(2 * math.pi * freq * i / rate)) if freq else 0
        data.extend([v] * channels)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return data


def _label_seconds(spec: RhythmSpec) -> float:
    return spec.lead_s + 3 * spec.short_s + spec.long_s + 3 * spec.gap_s + spec.tail_s


def test_generated_rhythm_reads_back() -> None:
    samples = rhythm_samples(8000, 1)
    assert detect_rhythm(samples, 8000) == "SLSS" == PATTERN


@pytest.mark.parametrize("channels", [1, 2])
def test_wav_gets_rhythm_at_start_and_keeps_content(tmp_path: Path, channels: int) -> None:
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    original = _write_wav(src, 1.0, channels=channels)  # silence: any tone found is ours
    label_wav(src, dst, RhythmSpec(pitch_hz=800, level_dbfs=-6))
    samples, rate, ch = read_wav_samples(dst)
    assert ch == channels
    label_len = len(rhythm_samples(rate, channels, RhythmSpec(pitch_hz=800, level_dbfs=-6)))
    assert detect_rhythm(samples[:label_len], rate, ch) == "SLSS"
    assert samples[label_len:] == original  # the content follows unchanged
    peak = max(abs(v) for v in samples[:label_len])
    assert abs(20 * math.log10(peak / 32767) - (-6)) < 0.5  # level as configured


def test_rhythm_at_end_too(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    _write_wav(src, 0.5)
    label_wav(src, dst, at_end=True)
    samples, rate, _ = read_wav_samples(dst)
    label_len = len(rhythm_samples(rate, 1))
    assert detect_rhythm(samples[-label_len:], rate) == "SLSS"


def test_spec_validation() -> None:
    with pytest.raises(LabelError):
        RhythmSpec(pitch_hz=5)
    with pytest.raises(LabelError):
        RhythmSpec(level_dbfs=3)
    with pytest.raises(LabelError):
        RhythmSpec(short_s=0.5, long_s=0.2)


def test_not_a_wav(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    with pytest.raises(InputError):
        label_wav(bad, tmp_path / "o.wav")


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_compressed_audio_via_ffmpeg(tmp_path: Path, fmt: str) -> None:
    src = tmp_path / f"in.{fmt}"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
                    "-t", "1", src], check=True)
    dst = tmp_path / f"out.{fmt}"
    label_audio_file(src, dst, fmt)
    decoded = tmp_path / "decoded.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-i", dst, "-c:a", "pcm_s16le", decoded], check=True)
    samples, rate, ch = read_wav_samples(decoded, seconds=_label_seconds(RhythmSpec()) + 0.2)
    assert detect_rhythm(samples, rate, ch) == "SLSS"
