"""Where events come from: files, stdin, Kafka topics and Atom feeds, behind one small interface.

A :class:`Source` is an iterable of ``(event, location)`` pairs, where ``event`` is a
structured CloudEvent (see :mod:`accord.events`) and ``location`` says where it was read.
Sources that cannot be read raise :class:`accord.errors.UsageError` with the file and line
(or topic, partition and offset) of the problem.

:func:`open_source` turns what a user typed into a source: a path to a ``.jsonl`` file, ``-``
for stdin, ``kafka://HOST:PORT/TOPIC[,TOPIC]``, or ``atom+http://HOST:PORT/feed[,...]``.
"""

from __future__ import annotations

from accord.errors import UsageError
from accord.sources._atom import AtomSource, FeedError, parse_atom_url
from accord.sources._base import Source, SourcedEvent
from accord.sources._jsonl import JsonlSource
from accord.sources._kafka import (
    KafkaSource,
    assign_partitions,
    batch_decoder,
    open_consumer,
    parse_kafka_url,
    record_decoder,
    record_location,
)

__all__ = [
    "ATOM_PREFIXES",
    "AtomSource",
    "FeedError",
    "JsonlSource",
    "KafkaSource",
    "Source",
    "SourcedEvent",
    "assign_partitions",
    "batch_decoder",
    "open_consumer",
    "open_source",
    "parse_atom_url",
    "parse_kafka_url",
    "record_decoder",
    "record_location",
]

#: The prefixes of an Atom source (the HTTP URL of a feed's head, after ``atom+``).
ATOM_PREFIXES = ("atom+http://", "atom+https://")


def open_source(spec: str, *, follow: bool = False, group_id: str | None = None) -> Source:
    """Make a source from a command-line argument.

    Args:
        spec: ``-``, a file path, ``kafka://HOST:PORT/TOPIC[,TOPIC]`` or
            ``atom+http://HOST:PORT/feed[,atom+http://HOST:PORT/feed]``.
        follow: for Kafka and Atom, keep reading new events instead of stopping at the
            current end.
        group_id: for Kafka, read as a member of this consumer group (committing offsets)
            instead of reading every partition from the start.

    Raises:
        UsageError: when a file does not exist or a Kafka or Atom URL is malformed.
    """
    if spec.startswith("atom+"):
        if group_id is not None:
            raise UsageError(f"{spec}: --group-id applies to kafka:// sources only")
        return AtomSource(parse_atom_url(spec), follow=follow)
    if spec.startswith("kafka://"):
        bootstrap, topics = parse_kafka_url(spec)
        return KafkaSource(bootstrap, topics, follow=follow, group_id=group_id)
    return JsonlSource(spec)
