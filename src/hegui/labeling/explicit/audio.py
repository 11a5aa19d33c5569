"""Explicit labels on audio: the rhythm label 短长短短 (Morse "AI": · — · ·) as sine tones.

WAV (16-bit PCM, any channel count) is handled with the stdlib ``wave`` module; other formats are
decoded to WAV by ffmpeg, labeled, and encoded back to the same container and codec family.
``detect_rhythm`` reads the pattern back from samples (envelope → on/off run lengths).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

from hegui.core.errors import InputError, LabelError

PATTERN = "SLSS"  # 短长短短: short, long, short, short


@dataclass(frozen=True, slots=True)
class RhythmSpec:
    """Timing and sound of the rhythm label. Morse proportions: a long tone is three short ones."""

    pitch_hz: float = 1000.0
    level_dbfs: float = -12.0
    short_s: float = 0.12
    long_s: float = 0.36
    gap_s: float = 0.12
    lead_s: float = 0.10   # silence before the first tone
    tail_s: float = 0.30   # silence after the last tone, before the content

    def __post_init__(self) -> None:
        if not 20 <= self.pitch_hz <= 20_000:
            raise LabelError(f"rhythm label pitch {self.pitch_hz} Hz is outside 20–20000 Hz")
        if not -60 <= self.level_dbfs <= 0:
            raise LabelError(f"rhythm label level {self.level_dbfs} dBFS is outside -60…0 dBFS")
        if not 0 < self.short_s < self.long_s:
            raise LabelError("rhythm label: a short tone must be shorter than a long one")


def _tone_plan(spec: RhythmSpec) -> list[tuple[float, bool]]:
    """(duration seconds, tone on?) segments of the whole label."""
    plan: list[tuple[float, bool]] = [(spec.lead_s, False)]
    for i, symbol in enumerate(PATTERN):
        if i:
            plan.append((spec.gap_s, False))
        plan.append((spec.short_s if symbol == "S" else spec.long_s, True))
    plan.append((spec.tail_s, False))
    return plan


def rhythm_samples(rate: int, channels: int, spec: RhythmSpec = RhythmSpec()) -> array[int]:
    """Interleaved 16-bit samples of the rhythm label."""
    amplitude = 32767 * 10 ** (spec.level_dbfs / 20)
    ramp = max(1, int(rate * 0.005))  # 5 ms fades: no clicks
    out = array("h")
    for seconds, on in _tone_plan(spec):
        n = round(seconds * rate)
        for i in range(n):
            value = 0
            if on:
                fade = min(1.0, i / ramp, (n - 1 - i) / ramp)
                value = int(amplitude * fade * math.sin(2 * math.pi * spec.pitch_hz * i / rate))
            out.extend([value] * channels)
    return out


def label_wav(src: Path, dst: Path, spec: RhythmSpec = RhythmSpec(), *, at_end: bool = False) -> None:
    """Write ``src`` (16-bit PCM WAV) to ``dst`` with the rhythm label at the start (and end)."""
    try:
        with wave.open(str(src), "rb") as reader:
            params = reader.getparams()
            if params.sampwidth != 2:
                raise LabelError(f"{src}: only 16-bit PCM WAV can be labeled directly "
                                 f"(this one has {8 * params.sampwidth}-bit samples)")
            frames = reader.readframes(params.nframes)
    except (wave.Error, EOFError) as err:
        raise InputError(f"{src}: not a readable PCM WAV file ({err})") from None
    label = rhythm_samples(params.framerate, params.nchannels, spec).tobytes()
    with wave.open(str(dst), "wb") as writer:
        writer.setnchannels(params.nchannels)
        writer.setsampwidth(2)
        writer.setframerate(params.framerate)
        writer.writeframes(label)
        writer.writeframes(frames)
        if at_end:
            writer.writeframes(label)


def _ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise LabelError("ffmpeg is needed to label this audio/video format; install it "
                         "(apt-get install ffmpeg)")
    return path


def run_ffmpeg(args: list[str], what: str) -> None:
    cmd = [_ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        raise LabelError(f"ffmpeg timed out while {what}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise InputError(f"ffmpeg failed while {what}: {last}")


# Our audio format name → ffmpeg output arguments for re-encoding.
_ENCODE_ARGS: dict[str, list[str]] = {
    "mp3": ["-c:a", "libmp3lame", "-q:a", "2", "-f", "mp3"],
    "flac": ["-c:a", "flac", "-f", "flac"],
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    "m4a": ["-c:a", "aac", "-b:a", "192k", "-f", "mp4"],  # audio-only MP4 container
}


def label_audio_file(src: Path, dst: Path, fmt: str, spec: RhythmSpec = RhythmSpec(), *,
                     at_end: bool = False) -> None:
    """Rhythm label for ``fmt`` ("wav", "mp3", "flac"). Non-16-bit WAV and compressed formats go
    through ffmpeg (decode → label → encode)."""
    if fmt == "wav":
        try:
            label_wav(src, dst, spec, at_end=at_end)
            return
        except LabelError:
            pass  # e.g. 24-bit or float WAV: fall back to ffmpeg below
    if fmt not in _ENCODE_ARGS:
        raise LabelError(f"no explicit audio label for format {fmt!r}")
    with tempfile.TemporaryDirectory(prefix="hegui-audio-") as tmp:
        plain, labeled = Path(tmp) / "in.wav", Path(tmp) / "labeled.wav"
        run_ffmpeg(["-i", str(src), "-map", "0:a:0", "-c:a", "pcm_s16le", str(plain)],
                   f"decoding {src.name}")
        label_wav(plain, labeled, spec, at_end=at_end)
        run_ffmpeg(["-i", str(labeled), *_ENCODE_ARGS[fmt], str(dst)], f"encoding {src.name}")


def detect_rhythm(samples: array[int] | list[int], rate: int, channels: int = 1,
                  *, window_s: float = 0.01) -> str:
    """Read the on/off pattern from the start of 16-bit samples as a string of S/L symbols.

    Envelope: peak absolute value per 10 ms window (first channel); a window is "on" above a quarter
    of the loudest window. Tones shorter than twice the shortest tone count as short."""
    mono = samples[::channels] if channels > 1 else samples
    win = max(1, int(rate * window_s))
    env = [max((abs(v) for v in mono[i:i + win]), default=0) for i in range(0, len(mono), win)]
    if not env or max(env) == 0:
        return ""
    threshold = max(env) / 4
    runs: list[int] = []
    count, on = 0, False
    for value in env:
        now = value > threshold
        if now and not on:
            count = 0
        if now:
            count += 1
        elif on:
            runs.append(count)
        on = now
    if on:
        runs.append(count)
    if not runs:
        return ""
    shortest = min(runs)
    return "".join("L" if run >= 2 * shortest else "S" for run in runs)


def read_wav_samples(path: Path, seconds: float | None = None) -> tuple[array[int], int, int]:
    """(samples, rate, channels) of a 16-bit WAV, optionally only the first ``seconds``."""
    with wave.open(str(path), "rb") as reader:
        rate, channels = reader.getframerate(), reader.getnchannels()
        n = reader.getnframes() if seconds is None else min(reader.getnframes(), int(seconds * rate))
        data = array("h")
        data.frombytes(reader.readframes(n))
    return data, rate, channels
