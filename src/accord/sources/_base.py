from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from accord.events import Location

#: A structured CloudEvent and where it was read.
SourcedEvent = tuple[dict[str, Any], Location]


@runtime_checkable
class Source(Protocol):
    """An iterable of events with their locations."""

    #: What a person would call this source in a message (a path, ``stdin``, a Kafka URL).
    name: str

    def __iter__(self) -> Iterator[SourcedEvent]: ...
