from __future__ import annotations

import sys
from collections.abc import Iterator
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
                raise UsageError(f"{self.path}: no such file (expected a .jsonl file of CloudEvents)")

    def _open(self) -> IO[bytes]:
        if self._stream is not None:
            return self._stream
        if self.path == "-":
            return sys.stdin.buffer
        return open(self.path, "rb")  # noqa: SIM115 - closed in __iter__

    def iter_dicts(self) -> Iterator[tuple[dict[str, Any], int]]:
        """Events with their 1-based line numbers; cheaper than :meth:`__iter__`."""
        stream = self._open()
        loads = orjson.loads
        try:
            for number, line in enumerate(stream, 1):
                try:
                    event = loads(line)
                except orjson.JSONDecodeError as exc:
                    if not line.strip():
                        continue
                    raise UsageError(f"{self.name}:{number}: not JSON ({exc})") from None
                if type(event) is not dict:
                    raise UsageError(
                        f"{self.name}:{number}: expected a JSON object (a CloudEvent), "
                        f"got {type(event).__name__}"
                    )
                yield event, number
        finally:
            if stream is not self._stream and self.path != "-":
                stream.close()

    def __iter__(self) -> Iterator[SourcedEvent]:
        name = self.name
        for event, number in self.iter_dicts():
            yield event, Location(name, line=number)
