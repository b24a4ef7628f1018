"""How the corpus reader touches the file system: the limits on what it reads, and files opened
so that a pipe, a vanished file, a link loop or a bomb becomes a reason instead of a hang, a
crash or a machine out of memory."""

from __future__ import annotations

import errno
import gzip
import os
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

MB = 2**20
# One article file (.md, .txt, .html, a feed) is refused above this size, from stat() before a
# byte is read. The longest of the 35,987 articles in news_fr is 20,113 characters (its longest
# JSON line 21,652 bytes). 10 MB is also the most `revue add` fetches of one page (web.py's
# MAX_BYTES is this): an HTML page carries its markup, scripts and styles besides the text.
MAX_FILE_BYTES = 10 * MB
# A JSON Lines line holds one article: it is held to the same size, read in pieces, and the
# lines after an oversized one are still read.
MAX_LINE_BYTES = MAX_FILE_BYTES
# An article's text (what is chunked and embedded) above this is refused: 50x the longest
# news_fr article; 1M characters is about 2,000 chunks, minutes of embedding on 2 cores.
MAX_ARTICLE_CHARS = 1_000_000
# HTML extraction (trafilatura) costs about 0.3-0.45 ms per element on 2 cores, more than
# linearly beyond: measured 10,000 elements 2.5-3.4 s, 40,000 10-18 s, 100,000 70 s. An
# article page holds a few thousand; a page above this is refused before extraction.
MAX_HTML_ELEMENTS = 20_000
# news_fr's 36k articles compress 3.09x (33.6 MB of gzip, 103.9 MB of JSON Lines); a zip bomb
# compresses 1000x. Reading stops once the text read exceeds this multiple of the compressed
# bytes read (plus GZIP_FLOOR, so that the first buffered block cannot trip it).
MAX_GZIP_RATIO = 50
GZIP_FLOOR = 256 * 1024
_CHECK_EVERY = 64 * 1024  # bytes of text between two checks of the ratio (a tell() each)
_PIECE = MB  # an oversized line is skipped in pieces of this size


class BadInput(Exception):
    """A corpus input reported as a Problem instead of loaded; the message is the reason."""


def megabytes(size: int) -> str:
    return f"{size / MB:,.1f} MB" if size < 100 * MB else f"{size // MB:,} MB"


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file. A named pipe is opened without
    blocking (opening one for reading waits for a writer) and refused, like any other kind of
    file; a link loop, a dangling link or a vanished file is refused with what happened."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise BadInput(_open_error(path, exc)) from None
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise BadInput(f"{kind}, not a file")
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def check_link(path: Path) -> None:
    """``BadInput`` for a symbolic link that leads nowhere (dangling, or a loop)."""
    if path.is_symlink():
        try:
            os.stat(path)
        except OSError as exc:
            raise BadInput(_open_error(path, exc)) from None


def _open_error(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (the link leads back to itself)"
    if exc.errno == errno.ENOENT:
        if path.is_symlink():
            return f"broken symbolic link (to {os.readlink(path)}, which does not exist)"
        return "vanished before it could be read"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return f"cannot read file: {exc.strerror or exc}"


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a one-article file, refused above ``limit`` before any is read."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise BadInput("empty file (0 bytes)")
        if size > limit:
            raise BadInput(f"{megabytes(size)}, over the {megabytes(limit)} limit for one file")
        try:
            raw = fh.read(limit + 1)
        except OSError as exc:
            raise BadInput(f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > limit:  # it grew after the stat
        raise BadInput(f"over the {megabytes(limit)} limit for one file")
    return raw


class LongLine:
    """A JSON Lines line over ``MAX_LINE_BYTES``, skipped unread; ``size`` in bytes."""

    def __init__(self, size: int) -> None:
        self.size = size


def jsonl_lines(path: Path, gz: bool) -> Iterator[tuple[int, bytes | LongLine]]:
    """The numbered lines of a JSON Lines file (gzipped or not), blank ones left out; an
    oversized line is a ``LongLine``. Raises ``BadInput`` after the last good line when the
    gzip is damaged or expands like a bomb."""
    with open_regular(path) as raw:
        if os.fstat(raw.fileno()).st_size == 0:
            raise BadInput("empty file (0 bytes)")
        stream: BinaryIO | gzip.GzipFile = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw
        read = 0  # bytes of text read so far (decompressed)
        check = 0  # the ratio is checked again once ``read`` passes this
        lineno = 0
        try:
            while line := stream.readline(MAX_LINE_BYTES + 1):
                lineno += 1
                read += len(line)
                if gz and read >= check:
                    _check_ratio(read, raw.tell(), lineno)
                    check = read + _CHECK_EVERY
                if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                    rest = _skip_rest(stream, raw, gz, read, lineno)
                    read += rest
                    yield lineno, LongLine(len(line) + rest)
                elif not line.isspace():
                    yield lineno, line
        except (OSError, EOFError, zlib.error) as exc:
            if gz:
                where = f" after line {lineno}" if lineno else ""
                raise BadInput(f"corrupt gzip file{where}") from None
            raise BadInput(f"cannot read file: {getattr(exc, 'strerror', None) or exc}") from None


def _skip_rest(
    stream: BinaryIO | gzip.GzipFile, raw: BinaryIO, gz: bool, read: int, lineno: int
) -> int:
    """Read to the end of an oversized line in pieces, never holding it whole; the bytes
    skipped."""
    skipped = 0
    piece = b""
    while not piece.endswith(b"\n") and (piece := stream.readline(_PIECE)):
        skipped += len(piece)
        if gz:
            _check_ratio(read + skipped, raw.tell(), lineno)
    return skipped


def _check_ratio(read: int, compressed: int, lineno: int) -> None:
    if read > MAX_GZIP_RATIO * compressed + GZIP_FLOOR:
        raise BadInput(
            f"gzip expands more than {MAX_GZIP_RATIO}x (a zip bomb?): stopped at line {lineno}, "
            f"after {megabytes(read)} from {megabytes(compressed)}"
        )
