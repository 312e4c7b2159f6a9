from __future__ import annotations

import sys
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import IO, Any

import orjson

from accord.errors import UsageError
from accord.events import Location
from accord.sources._base import SourcedEvent


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
            if not p.is_file():
                raise UsageError(
                    f"{self.path}: no such file (expected a .jsonl file of CloudEvents)"
                )

    def _open(self) -> IO[bytes]:
        if self._stream is not None:
            return self._stream
        if self.path == "-":
            return sys.stdin.buffer
        return open(self.path, "rb")  # closed in iter_dicts

    def iter_dicts(self) -> Iterator[tuple[dict[str, Any], int]]:
        """Events with their 1-based line numbers; cheaper than :meth:`__iter__`."""
        stream = self._open()
        loads = orjson.loads
        number = 0
        try:
            while True:
                # Parsing and numbering run in C (map/zip/count); a line that fails to parse
                # ends this pass, is inspected (blank lines are skipped), and the next pass
                # continues with the following line.
                try:
                    numbers = count(number + 1)
                    for event, number in zip(map(loads, stream), numbers, strict=False):
                        if type(event) is not dict:
                            raise UsageError(
                                f"{self.name}:{number}: expected a JSON object (a CloudEvent), "
                                f"got {type(event).__name__}"
                            )
                        yield event, number
                    return
                except orjson.JSONDecodeError as exc:
                    number += 1
                    if str(exc.doc).strip():
                        raise UsageError(f"{self.name}:{number}: not JSON ({exc})") from None
        finally:
            if stream is not self._stream and self.path != "-":
                stream.close()

    def __iter__(self) -> Iterator[SourcedEvent]:
        name = self.name
        for event, number in self.iter_dicts():
            yield event, Location(name, line=number)
