"""Byte-level checks of text uploads: UTF-8 or a byte order mark, nothing else.

A file that is not UTF-8 is refused with the byte offset and line of the first
bad byte; one that starts with a UTF-16 or UTF-32 byte order mark is
transcoded to UTF-8 for parsing (the raw zone keeps the original bytes).
"""

from __future__ import annotations

import codecs
from pathlib import Path

from concert.ingest.files.exceptions import FileEncodingError

# UTF-32 LE starts with the UTF-16 LE mark, so it is tested first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, None),  # UTF-8 already: the parsers skip the mark
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CHUNK = 1024 * 1024


def transcoding_needed(head: bytes) -> str | None:
    """The codec to decode a file whose byte order mark says it is not UTF-8, else None."""
    for mark, codec in _BOMS:
        if head.startswith(mark):
            return codec
    return None


class Utf8Checker:
    """Fed the bytes of the file at ``path`` in order; remembers where the first
    non-UTF-8 byte is.

    It does not raise while fed, so the bytes can still be copied whole to the
    raw zone; :meth:`raise_if_invalid` reports the problem afterwards. The line
    of a problem is counted from the file then, not while feeding.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._offset = 0
        self.problem: FileEncodingError | None = None

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        if self.problem is not None:
            return
        pending = len(self._decoder.getstate()[0])
        nul = chunk.find(b"\x00")
        # ASCII is UTF-8: most files skip the decoder (ten times slower, and it holds the GIL).
        if pending or not chunk.isascii():
            try:
                self._decoder.decode(chunk, final)
            except UnicodeDecodeError as exc:
                # A negative start is a sequence the previous chunk began.
                self._fail(self._offset + exc.start - pending, f"invalid UTF-8 ({exc.reason})")
                return
        if nul >= 0:
            self._fail(self._offset + nul, "a NUL byte (UTF-16 text without a byte order mark?)")
            return
        self._offset += len(chunk)

    def _fail(self, offset: int, what: str) -> None:
        line = 1 + _newlines_before(self._path, offset)
        self.problem = FileEncodingError(
            f"the file is not UTF-8 text: {what} at byte offset {offset} (line {line}); "
            "save it as UTF-8 (Latin-1 or Windows-1252 files must be converted)",
            offset=offset,
            line=line,
        )

    def raise_if_invalid(self) -> None:
        if self.problem is not None:
            raise self.problem


def _newlines_before(path: Path, offset: int) -> int:
    count = 0
    with path.open("rb") as handle:
        while offset > 0 and (chunk := handle.read(min(_CHUNK, offset))):
            count += chunk.count(b"\n")
            offset -= len(chunk)
    return count


def transcode_to_utf8(source: Path, target: Path, codec: str) -> None:
    """Rewrite ``source`` (in ``codec``, byte order mark first) as UTF-8, chunk by chunk."""
    decoder = codecs.getincrementaldecoder(codec)()
    with source.open("rb") as reader, target.open("wb") as writer:
        offset = 0
        try:
            while chunk := reader.read(_CHUNK):
                writer.write(decoder.decode(chunk).encode())
                offset += len(chunk)
            writer.write(decoder.decode(b"", True).encode())
        except UnicodeDecodeError as exc:
            raise FileEncodingError(
                f"the file starts with a {codec.upper()} byte order mark but is not "
                f"{codec.upper()}: {exc.reason} near byte offset {offset + exc.start}",
                offset=offset + exc.start,
                line=0,
            ) from exc


__all__ = ["Utf8Checker", "transcode_to_utf8", "transcoding_needed"]
