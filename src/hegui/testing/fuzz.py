"""Helpers for fuzzing hegui's file readers in tests: everything a user can do to an untrusted file
either works or raises one HeguiError — never another exception, never a hang."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from hegui.core.errors import HeguiError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Labeler, labeler_for, labelers

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

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


def fuzz_labeler(fmt: str, strategy: SearchStrategy[bytes], examples: int, tmp_path: Path,
                 label: ContentLabel, *, embed: bool = True) -> int:
    """Run ``exercise`` on ``examples`` inputs drawn from ``strategy`` for the labeler named ``fmt``;
    return how many inputs were tried (tests assert it, so a silently shrunk run fails)."""
    from hypothesis import HealthCheck, given, settings

    labeler = next(lb for lb in labelers() if lb.name == fmt)
    tried = 0

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy)
    def one(data: bytes) -> None:
        nonlocal tried
        tried += 1
        exercise(labeler, tmp_path / f"input.{fmt}", data, label, embed=embed)

    one()
    print(f"\n{fmt}: {tried} inputs tried")
    return tried
