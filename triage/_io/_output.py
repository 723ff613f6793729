"""Where command output goes, without harming what was there.

An output path is resolved once, before anything is written:

- ``-`` is standard output;
- a symbolic link is followed, and its target is what gets written (the link stays);
- a regular file, or a path that does not exist yet, is written under a temporary
  name in the same directory and renamed over the target at the end, so a run that
  fails or is interrupted leaves whatever was there before and no temporary file;
  the replaced file keeps its permission bits (and, where allowed, its owner);
- a character device or a FIFO (``/dev/null``, a named pipe, a terminal) is written
  to directly and streamed: renaming over it would destroy it;
- a directory, a block device or a socket is refused (`UsageError`, exit 2): a
  block device written as root is a disk destroyed.

`check_distinct` refuses, before any work starts, two outputs that are the same
file (or an output that is one of the inputs), which would otherwise overwrite
each other at the end.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

from .._errors import UsageError

__all__ = [
    "Target",
    "binary_of",
    "check_distinct",
    "open_output",
    "resolve_output",
    "write_output",
]

STDOUT = "-"
Kind = Literal["stdout", "replace", "stream"]


@dataclass(frozen=True)
class Target:
    """An output resolved to what will really be written.

    Attributes:
        given: the path as the user wrote it (for messages).
        path: the file written (symlinks followed); None for standard output.
        kind: ``stdout``, ``replace`` (temporary file renamed at the end) or
            ``stream`` (a device or FIFO, written directly).
    """

    given: str
    path: Path | None
    kind: Kind

    @property
    def streamed(self) -> bool:
        """Whether what is written should be flushed as it goes (a reader may be waiting)."""
        return self.kind != "replace"

    def identity(self) -> tuple[Any, ...]:
        """What two targets share exactly when they are the same file."""
        return _identity(self.path)


def _identity(path: Path | None) -> tuple[Any, ...]:
    if path is None:
        return ("stdout",)
    with contextlib.suppress(OSError):
        st = os.stat(path)
        return ("inode", st.st_dev, st.st_ino)
    return ("path", str(path))


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def resolve_output(given: str | Path) -> Target:
    """Resolve an output path, or raise `UsageError` for one that must not be written."""
    text = str(given)
    if text == STDOUT:
        return Target(text, None, "stdout")
    if not text:
        raise UsageError("an output path is empty")
    real = Path(os.path.realpath(text))  # a symlink's final target, even a dangling one
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        parent = real.parent
        if not parent.is_dir():
            raise UsageError(f"{text}: the directory {parent} does not exist") from None
        return Target(text, real, "replace")
    except OSError as exc:
        raise UsageError(f"{text}: cannot be written ({exc.strerror})") from None
    if stat.S_ISREG(mode):
        return Target(text, real, "replace")
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return Target(text, real, "stream")
    raise UsageError(
        f"{text}: is {_describe(mode)}; give a file path, a character device, a FIFO or -"
    )


def check_distinct(
    outputs: Mapping[str, str | Path | None], inputs: Mapping[str, str | Path | None] = {}
) -> dict[str, Target]:
    """Resolve each named output; refuse two that are one file, or an output that is an input.

    Character devices (``/dev/null``) may be shared: nothing written there is kept.
    Returns the resolved targets by name (outputs given as None are left out).
    """
    targets = {name: resolve_output(p) for name, p in outputs.items() if p is not None}
    seen: dict[tuple[Any, ...], str] = {}
    for name, target in targets.items():
        key = target.identity()
        if key in seen and not _is_char_device(target):
            where = "standard output" if target.path is None else target.given
            raise UsageError(f"{seen[key]} and {name} both write to {where}; give two paths")
        seen[key] = name
    for name, given in inputs.items():
        if given is None or str(given) == "-":
            continue
        key = _identity(Path(os.path.realpath(given)))
        if key in seen and not _is_char_device(targets[seen[key]]):
            raise UsageError(f"{seen[key]} would overwrite {name} ({given})")
    return targets


def _is_char_device(target: Target) -> bool:
    if target.path is None:
        return False
    try:
        return stat.S_ISCHR(os.stat(target.path).st_mode)
    except OSError:
        return False


@contextlib.contextmanager
def open_output(target: Target | str | Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """A writable file for ``target`` (see the module docstring for what each kind does).

    Standard output is not closed. For a replaced file, an exception or interrupt
    part way removes the temporary file and leaves the target as it was.
    """
    if not isinstance(target, Target):
        target = resolve_output(target)
    if target.kind == "stdout":
        stream: IO[Any] = binary_of(sys.stdout) if binary else sys.stdout
        yield stream
        stream.flush()
        return
    assert target.path is not None
    if target.kind == "stream":
        with _open_stream(target.path, binary) as fh:
            yield fh
        return
    with _replacing(target.path, binary) as fh:
        yield fh


def binary_of(stream: IO[str]) -> IO[bytes]:
    """The binary layer of a text stream (standard output or error), after what was
    written to it as text; a stand-in with none (an embedding application's) is given
    the bytes as UTF-8 text."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        return cast(IO[bytes], _TextAsBinary(stream))
    stream.flush()  # text written before goes out first
    return cast(IO[bytes], buffer)


class _TextAsBinary:
    """Bytes written to a text-only stream, decoded as UTF-8."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text

    def write(self, data: bytes) -> int:
        self.text.write(data.decode("utf-8"))
        return len(data)

    def flush(self) -> None:
        self.text.flush()


def _fdopen(fd: int, binary: bool) -> IO[Any]:
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


@contextlib.contextmanager
def _open_stream(path: Path, binary: bool) -> Iterator[IO[Any]]:
    # No O_CREAT, no O_TRUNC: the device or FIFO is used as it is, never recreated.
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    if stat.S_ISREG(os.fstat(fd).st_mode):  # replaced by a file since it was resolved
        os.close(fd)
        raise UsageError(f"{path}: changed while starting; run again")
    with _fdopen(fd, binary) as fh:
        yield fh


@contextlib.contextmanager
def _replacing(path: Path, binary: bool) -> Iterator[IO[Any]]:
    # mkstemp: O_EXCL and mode 0600, so no other user's link or file is followed.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    fh = _fdopen(fd, binary)
    try:
        yield fh
        fh.flush()
        _keep_metadata(fh.fileno(), path)
        os.fsync(fh.fileno())
        fh.close()
        os.replace(tmp, path)
    except BaseException:
        fh.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _keep_metadata(fd: int, path: Path) -> None:
    """Give the new file the old one's mode and owner, or the umask's mode for a new file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        os.fchmod(fd, 0o666 & ~_umask())
        return
    os.fchmod(fd, stat.S_IMODE(st.st_mode))
    with contextlib.suppress(OSError):  # only a privileged process may give files away
        os.fchown(fd, st.st_uid, st.st_gid)


def _umask() -> int:
    # Read, not set-and-restore: os.umask would briefly change it for every thread.
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def write_output(target: Target | str | Path, data: str | bytes) -> None:
    """Write all of ``data`` to an output path in one go (see `open_output`)."""
    with open_output(target, binary=isinstance(data, bytes)) as fh:
        fh.write(data)
