"""Helpers shared by the image labelers: bounded reads from an untrusted file and "splice plans".

A labeler scans a file into a plan — a list of byte ranges of the source to copy and new byte strings to
insert — then writes the plan to the output (media bytes are copied untouched, never decoded) or hashes
it for ``content_digest`` (the same walk with the label carriers left out).
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
from collections.abc import Sequence
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from hegui.core.errors import InputError, LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Carrier
from hegui.labeling.xmp import XmpParseError, merge_into_xmp

_KERNEL_COPY = hasattr(os, "copy_file_range")
_HEAD_CACHE = 16384

# A plan item: (start, end) copies source bytes [start, end); bytes are inserted as they are.
Part = tuple[int, int] | bytes


class Source:
    """A seekable input file whose declared lengths are checked against its real size before any read,
    so a corrupt length field can neither allocate gigabytes nor read past the end."""

    def __init__(self, fh: BinaryIO, path: Path, fmt: str) -> None:
        self._fh: BinaryIO | None = fh
        self.path = path
        self.fmt = fmt
        # A regular file is read with pread (one system call, no seek, no buffer copy); anything else
        # (an in-memory buffer, a device) through the file object.
        self._fd = -1
        with suppress(AttributeError, OSError, io.UnsupportedOperation):
            fd = fh.fileno()
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode):
                self._fd = fd
                self.size = info.st_size
        if self._fd < 0:
            fh.seek(0, 2)
            self.size = fh.tell()
        # Metadata sits near the start: one read serves most small reads without a syscall each.
        self.head = self._read_at(0, min(_HEAD_CACHE, self.size))

    @classmethod
    def of_regular_file(cls, fd: int, size: int, path: Path, fmt: str) -> Source:
        """A Source over an open regular file: no file object until a caller asks for ``fh``."""
        self = cls.__new__(cls)
        self._fh, self._fd, self.size, self.path, self.fmt = None, fd, size, path, fmt
        self.head = os.pread(fd, min(_HEAD_CACHE, size), 0)
        return self

    @property
    def fh(self) -> BinaryIO:
        """The file object (for callers that read sequentially); made on first use."""
        if self._fh is None:
            self._fh = open(self._fd, "rb", buffering=0, closefd=False)  # noqa: SIM115 - fd owned by open_source
        return self._fh

    def _read_at(self, offset: int, n: int) -> bytes:
        if self._fd >= 0:
            return os.pread(self._fd, n, offset)
        self.fh.seek(offset)
        return self.fh.read(n)

    def fail(self, message: str) -> InputError:
        return InputError(f"{self.path}: not a valid {self.fmt} file: {message}")

    def read(self, offset: int, n: int, what: str = "data") -> bytes:
        if offset < 0 or n < 0 or offset + n > self.size:
            raise self.fail(f"truncated ({what} at byte {offset} needs {n} bytes, file has {self.size})")
        if offset + n <= len(self.head):
            return self.head[offset:offset + n]
        data = self._read_at(offset, n)
        if len(data) != n:
            raise self.fail(f"truncated while reading {what}")
        return data

    def find(self, needle: bytes, start: int, bufsize: int = 1 << 20) -> int:
        """Offset of the first ``needle`` at or after ``start`` (-1 if absent), read in bounded chunks."""
        pos = start
        carry = b""
        while True:
            block = self._read_at(pos, bufsize)
            if not block:
                return -1
            hay = carry + block
            hit = hay.find(needle)
            if hit >= 0:
                return pos - len(carry) + hit
            carry = hay[-(len(needle) - 1):] if len(needle) > 1 else b""
            pos += len(block)


class _OpenSource:
    """The context manager behind ``open_source`` (a class: cheaper per file than a generator)."""

    __slots__ = ("fd", "fmt", "path", "source")

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt, self.fd = path, fmt, -1
        self.source: Source | None = None

    def __enter__(self) -> Source:
        path = self.path
        try:
            self.fd = fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except OSError as err:
            raise InputError(f"{path}: cannot read ({err.strerror or err})") from None
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise InputError(f"{path}: is a directory, not a file")
            if stat.S_ISREG(info.st_mode):
                self.source = Source.of_regular_file(fd, info.st_size, path, self.fmt)
            else:  # a device or pipe: through a file object, as any other stream
                self.source = Source(open(fd, "rb", buffering=0, closefd=False), path, self.fmt)
            return self.source
        except OSError as err:
            self.__exit__(None, None, None)
            raise InputError(f"{path}: cannot read ({err.strerror or err})") from None
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.source is not None and self.source._fh is not None:
            self.source._fh.close()  # does not close the descriptor (closefd=False): that is ours
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def open_source(path: Path, fmt: str) -> AbstractContextManager[Source]:
    """Open ``path`` for reading as a Source; a missing file, a directory or an unreadable file is one
    clear InputError."""
    return _OpenSource(path, fmt)


def coalesce(parts: Sequence[Part]) -> list[Part]:
    """Merge adjacent source ranges so that consecutive chunks are copied in one go."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, tuple):
            if part[0] == part[1]:
                continue
            last = out[-1] if out else None
            if isinstance(last, tuple) and last[1] == part[0]:
                out[-1] = (last[0], part[1])
                continue
        elif not part:
            continue
        out.append(part)
    return out


def _copy_range(src: Source, out: int, start: int, end: int) -> None:
    """Copy source bytes [start, end) to the file descriptor ``out`` — in the kernel
    (copy_file_range) where it can, so media bytes never pass through Python; otherwise through a
    bounded buffer."""
    done = start
    if _KERNEL_COPY and src._fd >= 0:
        try:
            while done < end:
                n = os.copy_file_range(src._fd, out, end - done, done)
                if n == 0:
                    raise src.fail("truncated")
                done += n
            return
        except OSError as err:
            if err.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP) or done != start:
                raise
    while done < end:
        block = src._read_at(done, min(end - done, 1 << 20))
        if not block:
            raise src.fail("truncated")
        _write_all(out, block)
        done += len(block)


def _write_all(out: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # write() may write less than asked
        view = view[os.write(out, view):]


def write_parts(src: Source, dst: Path, parts: Sequence[Part]) -> None:
    """Write the plan to ``dst``. Inserted bytes and source ranges inside the cached head are joined in
    memory and written with one call; every other range is copied by the kernel. Writes go straight
    to the descriptor (no buffer), so they land in plan order."""
    head = src.head
    try:
        out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    except OSError as err:
        raise InputError(f"{dst}: cannot write ({err.strerror or err})") from None
    try:
        pending: list[bytes] = []
        for part in coalesce(parts):
            if not isinstance(part, tuple):
                pending.append(part)
            elif part[1] <= len(head):
                pending.append(head[part[0]:part[1]])
            else:
                if pending:
                    _write_all(out, b"".join(pending))
                    pending.clear()
                _copy_range(src, out, part[0], part[1])
        if pending:
            _write_all(out, b"".join(pending))
    except OSError as err:
        raise InputError(f"{dst}: cannot write ({err.strerror or err})") from None
    finally:
        os.close(out)


def digest_parts(src: Source, parts: Sequence[Part]) -> bytes:
    sha = hashlib.sha256()
    for part in coalesce(parts):
        if isinstance(part, tuple):
            src.fh.seek(part[0])
            remaining = part[1] - part[0]
            while remaining:
                block = src.fh.read(min(remaining, 1 << 20))
                if not block:
                    raise src.fail("truncated")
                sha.update(block)
                remaining -= len(block)
        else:
            sha.update(part)
    return sha.digest()


def json_carrier(name: str, raw: str) -> Carrier:
    """A carrier holding the label as JSON text (full ``{"AIGC":…}`` or the inner object)."""
    try:
        return Carrier(name, ContentLabel.from_json(raw), raw)
    except LabelError as err:
        return Carrier(name, None, raw, err.message)


def merged_xmp(path: Path, existing: bytes | None, label: ContentLabel, padding: int = 0) -> bytes:
    """``merge_into_xmp`` with the file named in the error: a malformed existing packet is refused
    (rewriting it would lose the file's other metadata)."""
    try:
        return merge_into_xmp(existing, label, padding)
    except XmpParseError as err:
        raise InputError(f"{path}: the file's existing XMP cannot be parsed ({err.message}); "
                         "refusing to overwrite it") from None
