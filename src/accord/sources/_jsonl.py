from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count, islice, tee
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import msgspec
import orjson

from accord.errors import UsageError
from accord.events import Envelope, Location, envelope_decoder
from accord.sources._base import SourcedEvent

_BUFFER = 1 << 20


_BLANK = b" \t\r\n"  # JSON whitespace
_second = itemgetter(1)


class _Lines:
    """The parsed lines of a stream as ``(value, line number)`` pairs, built in C.

    ``pairs`` raises one of ``errors`` for a line it cannot parse; :meth:`skip` then gets
    past a blank line or raises the :class:`UsageError` that names the line. ``pairs`` goes
    on with the next line afterwards (zip and map hold no state of a failed step). The
    line counter is zipped after the parser, so after a failure it has not counted the
    failed line yet. With an ``envelope`` type the failed line itself comes from a ``tee`` of the
    stream that follows the parser one line behind (orjson's errors carry the line, msgspec's
    do not).
    """

    def __init__(self, name: str, stream: IO[bytes], envelope: type[Envelope] | None) -> None:
        self.name = name
        self.numbers = count(1)
        self.errors: tuple[type[Exception], ...]
        self._behind: Iterator[bytes] | None
        if envelope is not None:
            lines, self._behind = tee(stream)
            # zip asks the parser first: when it fails, `_behind` and the counter have
            # not moved past the failed line.
            behind = map(_second, zip(self._behind, self.numbers, strict=False))
            self.pairs: Iterator[tuple[Any, int]] = zip(
                map(envelope_decoder(envelope), lines), behind, strict=False
            )
            self.errors = (msgspec.DecodeError, UnicodeDecodeError)
        else:
            self._behind = None
            self.pairs = zip(map(orjson.loads, stream), self.numbers, strict=False)
            self.errors = (orjson.JSONDecodeError,)

    def skip(self, exc: Exception) -> None:
        """Get past the line that failed with ``exc`` if it is blank, else name it."""
        if self._behind is None:
            assert isinstance(exc, orjson.JSONDecodeError)
            number = next(self.numbers)
            # ``exc.doc`` is not the test: orjson leaves it empty for bytes that are not
            # UTF-8, which must be reported, not skipped.
            if not str(exc).startswith("input data is empty"):
                raise UsageError(f"{self.name}:{number}: not JSON ({exc})") from None
            return
        line, number = next(self._behind), next(self.numbers)
        if not line.strip(_BLANK):
            return
        # Say what is wrong in the words of the dict path (orjson parses the whole line).
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise UsageError(f"{self.name}:{number}: not JSON ({error})") from None
        if type(value) is not dict:
            raise UsageError(
                f"{self.name}:{number}: expected a JSON object (a CloudEvent), "
                f"got {type(value).__name__}"
            )
        raise UsageError(f"{self.name}:{number}: not JSON ({exc})")


class JsonlSource:
    """CloudEvents in structured JSON, one per line, from a file or stdin (``-``).

    Blank lines are skipped. A line that is not a JSON object raises :class:`UsageError`
    naming the file and line.
    """

    def __init__(self, path: str | Path, stream: IO[bytes] | None = None) -> None:
        self.path = str(path)
        self.name = "stdin" if self.path == "-" else self.path
        self._stream = stream
        if self.path != "-" and stream is None:
            p = Path(self.path)
            if p.is_dir():
                raise UsageError(
                    f"{self.path}: is a directory (expected a .jsonl file of CloudEvents)"
                )
            if not p.is_file():
                raise UsageError(
                    f"{self.path}: no such file (expected a .jsonl file of CloudEvents)"
                )

    def _open(self) -> IO[bytes]:
        if self._stream is not None:
            return self._stream
        if self.path == "-":
            return sys.stdin.buffer
        # 1 MiB buffer: about 14% faster line splitting than the default 8 KiB here.
        return open(self.path, "rb", buffering=_BUFFER)  # closed by _lines

    def iter_dicts(self) -> Iterator[tuple[dict[str, Any], int]]:
        """Events with their 1-based line numbers; cheaper than :meth:`__iter__`."""
        name = self.name

        def checked(pairs: Iterator[tuple[Any, int]]) -> Iterator[tuple[dict[str, Any], int]]:
            for pair in pairs:
                if type(pair[0]) is not dict:
                    raise UsageError(
                        f"{name}:{pair[1]}: expected a JSON object (a CloudEvent), "
                        f"got {type(pair[0]).__name__}"
                    )
                yield pair

        with self._lines(None) as lines:
            while True:
                try:
                    yield from checked(lines.pairs)
                    return
                except lines.errors as exc:
                    lines.skip(exc)

    def feed(
        self,
        consume: Callable[[Iterator[tuple[Any, int]]], object],
        *,
        envelope: type[Envelope] | None = None,
    ) -> None:
        """Hand every parsed line to ``consume`` as ``(value, line number)`` pairs, fast.

        The pairs come from iterators that run entirely in C (``map(orjson.loads, file)``
        zipped with a line counter), so a consumer looping over them pays no generator
        overhead per line: this is the hot path of ``accord audit``. ``consume`` is called
        more than once when blank lines split the file. Values are *not* checked to be
        objects: ``consume`` must reject what is not a dict (naming the line it got).

        Args:
            consume: takes an iterator of pairs.
            envelope: decode values into this :class:`~accord.events.Envelope` type (only
                what an audit reads; about 2.5 times faster) instead of dicts. A line that
                is not a JSON object is then reported here.

        Raises:
            UsageError: a line is not JSON (names the file and line).
        """
        with self._lines(envelope) as lines:
            while True:
                try:
                    consume(lines.pairs)
                    return
                except lines.errors as exc:
                    lines.skip(exc)

    def chunks(
        self, size: int, *, envelope: type[Envelope] | None = None
    ) -> Iterator[list[tuple[Any, int]]]:
        """Parsed lines as lists of up to ``size`` ``(value, line number)`` pairs.

        For reading several sources interleaved: each list is built in C like :meth:`feed`
        (blank lines skipped). Values are not checked to be objects, unless decoded into an
        ``envelope`` type (as in :meth:`feed`).

        Raises:
            UsageError: a line is not JSON (names the file and line).
        """
        with self._lines(envelope) as lines:
            while True:
                chunk: list[tuple[Any, int]] = []
                ended = False
                while len(chunk) < size:
                    want = size - len(chunk)
                    had = len(chunk)
                    try:
                        chunk.extend(islice(lines.pairs, want))  # keeps what came before an error
                    except lines.errors as exc:
                        lines.skip(exc)
                        continue
                    if len(chunk) - had < want:
                        ended = True
                        break
                if chunk:
                    yield chunk
                if ended:
                    return

    @contextmanager
    def _lines(self, envelope: type[Envelope] | None) -> Iterator[_Lines]:
        """The parsed lines of this source's stream, closed afterwards (unless it was given)."""
        stream = self._open()
        try:
            yield _Lines(self.name, stream, envelope)
        finally:
            if stream is not self._stream and self.path != "-":
                stream.close()

    def __iter__(self) -> Iterator[SourcedEvent]:
        name = self.name
        for event, number in self.iter_dicts():
            yield event, Location(name, line=number)
