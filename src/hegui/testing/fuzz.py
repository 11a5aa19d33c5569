"""Helpers for fuzzing hegui's file readers in tests: everything a user can do to an untrusted file
either works or raises one HeguiError — never another exception, never a hang."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from hegui.core.errors import HeguiError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Labeler, labeler_for

HANG_GUARD_S = 20  # a guard against hangs only; no speed is asserted with it


@contextmanager
def hang_guard(seconds: int = HANG_GUARD_S) -> Iterator[None]:
    """Fail (AssertionError) if the block runs longer than ``seconds`` (main thread, POSIX)."""
    def timeout(_signum: int, _frame: object) -> None:
        raise AssertionError(f"reader hung for more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def exercise(labeler: Labeler, path: Path, data: bytes, label: ContentLabel, *, embed: bool = True) -> None:
    """Write ``data`` to ``path``, then sniff, extract, digest and (optionally) embed: each step
    succeeds or raises HeguiError; what embed wrote must read back; the input is never changed."""
    path.write_bytes(data)
    with hang_guard():
        with suppress(HeguiError):
            labeler_for(path)
        for step in (labeler.extract, labeler.content_digest):
            with suppress(HeguiError):
                step(path)
        if embed:
            out = path.with_name("out-" + path.name)
            try:
                labeler.embed(path, out, label)
            except HeguiError:
                pass
            else:
                labeler.extract(out)  # what we wrote must read back
    assert path.read_bytes() == data
