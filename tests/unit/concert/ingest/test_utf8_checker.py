"""The UTF-8 check fed a file's bytes chunk by chunk, as the raw copy reads them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from concert.ingest.files.encoding import Utf8Checker
from concert.ingest.files.exceptions import FileEncodingError

Checker = Callable[..., FileEncodingError | None]


@pytest.fixture
def check(tmp_path: Path) -> Checker:
    def feed(*chunks: bytes) -> FileEncodingError | None:
        path = tmp_path / "upload.csv"
        path.write_bytes(b"".join(chunks))
        return fed(Utf8Checker(path), chunks)

    return feed


def fed(checker: Utf8Checker, chunks: tuple[bytes, ...]) -> FileEncodingError | None:
    for chunk in chunks:
        checker.feed(chunk)
    checker.feed(b"", final=True)
    return checker.problem


def test_ascii_and_multibyte_text_pass_whatever_the_chunk_boundaries(check: Checker) -> None:
    text = "id,name\n1,Zoë\n2,Björk\n".encode()
    cut = text.index("ë".encode()) + 1  # inside the two bytes of ë
    assert check(text) is None
    assert check(text[:cut], text[cut:]) is None
    assert check(text[:cut], text[cut : cut + 1], b"3,plain ascii\n") is None


def test_a_sequence_cut_short_before_ascii_names_its_offset_and_line(check: Checker) -> None:
    first = b"id,name\n1,Zo\xc3"  # the first byte of a two-byte sequence, then ASCII
    problem = check(first, b"e\n2,Bob\n")
    assert problem is not None
    assert (problem.offset, problem.line) == (len(first) - 1, 2)


def test_a_latin1_byte_in_a_later_chunk_names_its_offset_and_line(check: Checker) -> None:
    problem = check(b"id,name\n1,Bob\n", b"2,Zo\xeb\n")
    assert problem is not None
    assert (problem.offset, problem.line) == (18, 3)
    with pytest.raises(FileEncodingError, match="byte offset 18 \\(line 3\\)"):
        raise problem


def test_a_nul_byte_in_ascii_text_is_refused(check: Checker) -> None:
    problem = check(b"id,name\n", b"1,B\x00ob\n")
    assert problem is not None
    assert "NUL" in str(problem)
    assert (problem.offset, problem.line) == (11, 2)


def test_a_file_ending_inside_a_sequence_is_refused(check: Checker) -> None:
    problem = check(b"id,name\n1,Zo\xc3")
    assert problem is not None
    assert problem.offset == 12
