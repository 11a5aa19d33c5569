"""The Labeler interface (one per file format), what reading a file's labels returns, format sniffing
and atomic writes. Formats are found by CONTENT, not by file extension.

Each format module (``hegui.labeling.formats.<name>``) defines a Labeler subclass and is listed in
``BUILTIN_FORMATS``; third-party labelers register through the ``hegui.labelers`` entry-point group.
"""

from __future__ import annotations

import itertools
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, ClassVar

from hegui.core.errors import InputError, LabelError, UnsupportedFormatError
from hegui.core.label import ContentLabel
from hegui.core.registry import Registry

# How many leading bytes sniffing looks at.
SNIFF_BYTES = 64


@dataclass(frozen=True, slots=True)
class Carrier:
    """One place in a file where an implicit label was found (or was unreadable)."""

    name: str                      # e.g. "xmp", "exif-usercomment", "png-text-AIGC", "id3-txxx"
    label: ContentLabel | None     # None when the carrier exists but does not parse
    raw: str = ""                  # the stored value, for reports
    error: str | None = None       # why it does not parse


@dataclass(slots=True)
class LabelReading:
    """Everything ``extract`` found in one file."""

    format: str
    carriers: list[Carrier] = field(default_factory=list)

    @property
    def labels(self) -> list[ContentLabel]:
        return [c.label for c in self.carriers if c.label is not None]

    @property
    def label(self) -> ContentLabel | None:
        """The file's label when all readable carriers agree; None if there is none.

        Raises LabelError when carriers disagree (conflicting duplicates must be reported, not hidden).
        """
        distinct = list(dict.fromkeys(self.labels))
        if not distinct:
            return None
        if len(distinct) > 1:
            raise LabelError(f"{len(distinct)} conflicting AIGC labels in one file: "
                             + " | ".join(lbl.inner_json() for lbl in distinct))
        return distinct[0]

    @property
    def conflicting(self) -> bool:
        return len(set(self.labels)) > 1


class Labeler(ABC):
    """Adds and reads the implicit (metadata) label of one file format — losslessly."""

    name: ClassVar[str]                 # stable registry name, e.g. "png"
    media: ClassVar[str]                # "image" | "audio" | "video" | "document" | "text"
    extensions: ClassVar[tuple[str, ...]]  # usual extensions, lower case with dot, for messages only

    @classmethod
    @abstractmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        """True if the file whose first bytes are ``head`` is of this format (content-based)."""

    @abstractmethod
    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        """Write ``src`` with ``label`` to ``dst`` (dst is a fresh temp path; atomic rename is done by
        the caller). Exactly one label afterwards: existing carriers are replaced, never appended.
        Media data (pixels, samples, streams) must be byte-identical. Raise LabelError/InputError
        for corrupt input."""

    @abstractmethod
    def extract(self, path: Path) -> LabelReading:
        """Read every known carrier. Must never crash or hang on arbitrary bytes: corrupt input raises
        InputError (or returns carriers with ``error`` set)."""

    @abstractmethod
    def content_digest(self, path: Path) -> bytes:
        """SHA-256 of the file's content EXCLUDING every label carrier, so that a signature over it
        survives labeling and propagation but detects any change to the media itself."""


LABELERS: Registry[Labeler] = Registry("labelers")

# Built-in format modules, imported on first use (keeps `import hegui` fast).
BUILTIN_FORMATS: tuple[str, ...] = (
    "png", "jpeg", "webp", "gif", "tiff",
    "mp3", "wav", "flac", "mp4",
    "pdf", "ooxml", "text",
)
_loaded = False


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for mod in BUILTIN_FORMATS:
        try:
            importlib.import_module(f"hegui.labeling.formats.{mod}")
        except ModuleNotFoundError as err:
            if err.name != f"hegui.labeling.formats.{mod}":
                raise


def register_labeler(cls: type[Labeler]) -> type[Labeler]:
    """Class decorator for built-in labelers."""
    LABELERS.register(cls.name, cls)
    return cls


# Labelers are stateless: one instance per registered factory serves every file (sniffing a batch
# must not build a dozen objects per file). Keyed by the factory, so a replaced registration is seen.
_instances: dict[Callable[..., Labeler], Labeler] = {}


def labelers() -> Iterator[Labeler]:
    _load_builtins()
    for name in LABELERS.names():
        factory = LABELERS.get(name)
        labeler = _instances.get(factory)
        if labeler is None:
            labeler = _instances[factory] = factory()
        yield labeler


def read_head(path: Path, n: int = SNIFF_BYTES) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror or err})") from None
    try:
        return os.read(fd, n)
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror or err})") from None
    finally:
        os.close(fd)


def labeler_for(path: Path) -> Labeler:
    """The labeler for this file, chosen by content. Unsupported or unrecognised → one clear error."""
    head = read_head(path)
    if not head:
        raise InputError(f"{path}: file is empty")
    for labeler in labelers():
        if labeler.sniff(head, path):
            return labeler
    known = ", ".join(sorted({e for lb in labelers() for e in lb.extensions}))
    raise UnsupportedFormatError(
        f"{path}: content is not a supported format (supported: {known})"
    )


# Temp names: a per-process prefix and a counter, with O_EXCL as the guarantee (what mkstemp does,
# without its per-call parameter sanitising and random-name generator, which cost more than the
# file system calls when a batch labels thousands of small files).
_tmp_counter = itertools.count()
_tmp_token = os.urandom(4).hex()


class _AtomicOutput:
    """The context manager behind ``atomic_output``: a class, because a generator-based one costs
    several microseconds per file, which a batch of small files notices."""

    __slots__ = ("dst", "tmp_name")

    def __init__(self, dst: Path) -> None:
        self.dst = dst
        self.tmp_name = ""

    def __enter__(self) -> Path:
        dst = self.dst
        prefix = os.path.join(os.path.dirname(dst), f".{dst.name}.{_tmp_token}")
        for _attempt in range(10000):  # tempfile.TMP_MAX
            tmp_name = f"{prefix}{next(_tmp_counter):x}.hegui-tmp"
            try:
                os.close(os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
            except FileExistsError:
                continue  # left over by an earlier process that had the same token: take the next number
            except OSError as err:
                raise InputError(f"{dst}: cannot write in {dst.parent} ({err.strerror or err})") from None
            self.tmp_name = tmp_name
            return Path(tmp_name)
        raise InputError(f"{dst}: cannot write in {dst.parent} (no free temporary file name)")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        tmp_name = self.tmp_name
        try:
            if exc_type is None:
                try:
                    mode = os.stat(self.dst).st_mode
                except OSError:
                    pass  # a new file (or one we cannot stat): it keeps the temp file's mode
                else:
                    with suppress(OSError):
                        os.chmod(tmp_name, mode & 0o7777)
                os.replace(tmp_name, self.dst)
                return
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        with suppress(FileNotFoundError):
            os.unlink(tmp_name)


def atomic_output(dst: Path) -> AbstractContextManager[Path]:
    """A context manager yielding a temp path beside ``dst``; on success it renames it over ``dst``
    (same file system, atomic), on any failure it deletes it and leaves ``dst`` untouched."""
    return _AtomicOutput(dst)


def copy_stream(src: BinaryIO, dst: BinaryIO, length: int | None = None, bufsize: int = 1 << 20,
                on_chunk: Callable[[bytes], None] | None = None) -> int:
    """Copy ``length`` bytes (or to EOF) without holding the whole file in memory."""
    copied = 0
    while length is None or copied < length:
        want = bufsize if length is None else min(bufsize, length - copied)
        chunk = src.read(want)
        if not chunk:
            if length is not None:
                raise InputError(f"file is truncated: expected {length} more bytes, got {copied}")
            break
        if on_chunk is not None:
            on_chunk(chunk)
        dst.write(chunk)
        copied += len(chunk)
    return copied
