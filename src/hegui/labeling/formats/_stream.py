"""Small helpers shared by the audio, video and document labelers (streaming hashes, checked reads)."""

from __future__ import annotations

import hashlib
from typing import BinaryIO

from hegui.core.errors import InputError

_CHUNK = 1 << 20


def hash_range(fh: BinaryIO, digest: hashlib._Hash, length: int | None = None) -> int:
    """Feed ``length`` bytes from the current position (or up to EOF) into ``digest``, 1 MB at a time."""
    done = 0
    while length is None or done < length:
        chunk = fh.read(_CHUNK if length is None else min(_CHUNK, length - done))
        if not chunk:
            if length is not None:
                raise InputError(f"file is truncated: {length - done} bytes missing")
            break
        digest.update(chunk)
        done += len(chunk)
    return done


def read_exact(fh: BinaryIO, n: int, what: str) -> bytes:
    """Read exactly ``n`` bytes or raise one clear InputError naming ``what`` was cut short."""
    data = fh.read(n)
    if len(data) != n:
        raise InputError(f"{what} is truncated: expected {n} bytes, found {len(data)}")
    return data
