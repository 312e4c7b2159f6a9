"""The eventual-consistency engine: every trigger yields each expected event in time.

Semantics (issue 4, exact): for each trigger key K, T0 is the earliest ``time`` of its
trigger events; for each expectation E with limit L the earliest E-typed event with key K is
the match; ``latency = match time - T0`` (negative: counted in ``clock_skew``, used as 0);
the outcome of (K, E) is ``ok`` (latency <= L), ``late`` (latency > L), ``missing`` (no match
and window end >= T0 + L) or ``pending`` (no match, window end < T0 + L). Copies with the same
event id are one event (extra copies count in ``redelivered``); more than one distinct id is
``duplicated`` (per K) or, for triggers, ``duplicate_triggers`` (per K). E-typed events whose
key has no trigger are ``orphaned`` (per distinct event). ``--agree`` pointer pairs must be
JSON-equal between the T0 trigger and the first match, else ``mismatched`` (per K and E).
With ``complete`` (a closed window: the events are the whole history) a key without a match
is ``missing`` however recent its T0. A dead-letter event (``accord.events.DEAD_LETTER_TYPE``)
of a trigger or expected event is ``dead_lettered`` (per type and K, the earliest kept); an
``accepted`` id without a trigger is ``untriggered``. :func:`~accord.consistency.judge`
decides the verdict (nothing decided is not consistent).

Every piece of per-key state is a minimum, a set or a count, so the verdict does not depend
on the order events arrive in; ties between events with the same time are broken by event id.

Memory: one small list per *tracked* key (trigger or expected type), holding the earliest
time and the hash of the first event id per type; a dict of id hashes only for the rare
(key, type) that saw more than one distinct id; and, only when ``agree`` pointers are set,
the compared values. Events themselves are never kept. With a finite ``lateness_s`` the
engine *finalizes* keys: a key with a trigger and a match for every expectation, no second
distinct id, and all of those times more than ``lateness_s`` behind the latest time read,
has a final outcome; its violations are folded into running aggregates and its state
shrinks to a compact residue (64-bit key hash, per type the first id's hash, T0 and per
expectation the latency: 8 + 16 per type bytes in flat arrays) that still tells a later copy
from a duplicate. A key moves into the residue as soon as it is complete (*settling*: still
updated exactly by later events; with ``agree`` its agreed values are kept beside the row)
and a pass every ``finalize_every`` events marks the rows behind the horizon final (and
decides their agreement). A later event that would
move a final key's earliest trigger or match (it arrived more than ``lateness_s`` behind) is
counted in ``beyond_lateness``; while that count is 0 the report is exactly the one of
``lateness_s=None`` (keep everything).
"""

from __future__ import annotations

import gc
import math
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from operator import attrgetter, itemgetter
from typing import Any

# msgspec, not orjson: orjson's output keeps its whole write buffer (about 4 KiB) allocated
from msgspec.json import decode as _loads
from msgspec.json import encode as _dumps

from accord._durations import format_duration
from accord.consistency._pointer import (
    ABSENT,
    compile_pointer,
    compile_resolver,
    json_equal,
)
from accord.consistency._stats import (
    histogram,
    latency_counts,
    quantiles,
    sorted_latencies,
    within_counts,
)
from accord.consistency._verdict import judge
from accord.errors import UsageError
from accord.events import DEAD_LETTER_TYPE, Envelope, envelope_type

__all__ = [
    "DEFAULT_LATENESS_S",
    "ConsistencyEngine",
    "EventError",
    "Expectation",
    "parse_time",
    "rfc3339",
]

#: How far (seconds of event time) an event may lag the latest time read before it and still
#: be taken exactly into account once its key is finalized (see ``lateness_s``).
DEFAULT_LATENESS_S = 300.0
#: Events between two finalization passes (when ``lateness_s`` is finite).
FINALIZE_EVERY = 65_536

_US = timedelta(microseconds=1)
_EPOCH_MIN = datetime.min.replace(tzinfo=UTC)
_EPOCH_MAX = datetime.max.replace(tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_fromisoformat = datetime.fromisoformat
#: The attributes the hot loop reads from every event, in one call (of a dict, of an
#: accord.events.Envelope).
_FIELDS = itemgetter("type", "time", "partitionkey", "id")
_ENVELOPE_FIELDS = attrgetter("type", "time", "partitionkey", "id")
#: Per type: 2 slots of per-key state (earliest time, hash of the first event id).
_WIDTH = 2


class EventError(UsageError):
    """An event the engine cannot use (no time, bad time, no id, no key).

    The message does not name a location; ``where`` holds what the caller passed with the
    event to :meth:`ConsistencyEngine.add_located` (a line number, a Location), so the
    caller can prefix it.
    """

    where: Any = None


@dataclass(frozen=True, slots=True)
class Expectation:
    """An event type every trigger must produce within a limit.

    Args:
        type: the expected CloudEvent type, e.g. ``invoice.created``.
        within_s: the limit in seconds (latency <= limit is ``ok``).
        key_pointer: JSON pointer to the correlation key in events of this type; by default
            their ``partitionkey`` attribute.
    """

    type: str
    within_s: float
    key_pointer: str | None = None

    def __post_init__(self) -> None:
        if not self.type:
            raise UsageError("an expectation needs an event type, e.g. invoice.created=60s")
        if not (math.isfinite(self.within_s) and self.within_s >= 0):
            raise UsageError(
                f"expectation {self.type}: limit {self.within_s!r} must be a finite number "
                "of seconds >= 0"
            )


def parse_time(value: Any) -> datetime:
    """Parse an RFC 3339 time with any offset (``Z``, ``+02:00``; ``T``/``t``/space).

    Raises:
        EventError: when ``value`` is not an RFC 3339 time with an offset.
    """
    try:
        moment = _fromisoformat(value)
    except (ValueError, TypeError):
        moment = _parse_time_slow(value)
    if moment.tzinfo is None:
        raise EventError(f"time {value!r} has no UTC offset: add 'Z' or '+HH:MM' (RFC 3339)")
    return moment


def _parse_time_slow(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            # RFC 3339 allows lower-case 't' and 'z', which fromisoformat refuses.
            return _fromisoformat(value.upper())
        except ValueError:
            pass
    raise EventError(
        f"time {value!r} is not an RFC 3339 time: use e.g. 2026-01-31T12:00:00Z or "
        "2026-01-31T14:00:00+02:00"
    )


class _Residue:
    """What is left of finalized keys: enough to classify their later events exactly.

    Rows in flat arrays (no Python object per key): the key's 64-bit ``hash()``, and per
    type position (trigger, then each expectation) the hash of the first event id and, for
    the trigger, T0 in microseconds since 1970, for an expectation the latency of its match
    in microseconds (match time - T0, negative with clock skew). An open-addressing table of
    row numbers (``array('i')``, kept at most half full) finds a row by key hash. Two keys
    with equal 64-bit hashes would be taken for one (like the id hashes of the live state).
    """

    __slots__ = ("ids", "index", "khash", "mask", "times", "width")

    def __init__(self, width: int) -> None:
        self.width = width
        self.khash = array("q")
        self.ids = array("q")
        self.times = array("q")
        self.index = array("i", [-1]) * 1024
        self.mask = 1023

    def __len__(self) -> int:
        return len(self.khash)

    def find(self, h: int) -> int:
        """The row of key hash ``h``, or -1."""
        index, khash, mask = self.index, self.khash, self.mask
        i = h & mask
        row = index[i]
        while row >= 0:
            if khash[row] == h:
                return row
            i = (i + 1) & mask
            row = index[i]
        return -1

    def grow(self, rows: int) -> None:
        """Make the table big enough for ``rows`` rows at most half full (placing all again).

        The caller then appends rows: the key hash to ``khash``, ``width`` values each to
        ``ids`` and ``times``, and the row number into the first free slot of ``index``
        from ``hash & mask`` on (linear probing).
        """
        size = len(self.index)
        while 2 * rows > size:
            size *= 4
        index = self.index = array("i", [-1]) * size
        mask = self.mask = size - 1
        for row, h in enumerate(self.khash):
            i = h & mask
            while index[i] >= 0:
                i = (i + 1) & mask
            index[i] = row

    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return sum(a.itemsize * len(a) for a in (self.khash, self.ids, self.times, self.index))


class ConsistencyEngine:
    """Audit a stream of CloudEvents against trigger -> expectation SLAs.

    Feed events in any order with :meth:`add`; ask for the verdict with :meth:`report` at any
    time (it does not consume state, so a live audit can report repeatedly). Feed it from
    one thread at a time.

    Args:
        trigger: the event type that starts a promise, e.g. ``order.accepted``.
        expectations: what each trigger must lead to, and within how long.
        key_pointers: JSON pointer to the correlation key per event type (default: the
            ``partitionkey`` attribute). ``Expectation.key_pointer`` also sets one.
        agree: ``(type, trigger_pointer, match_pointer)``: the value at ``match_pointer`` in
            the first event of ``type`` must equal the value at ``trigger_pointer`` in the
            trigger.
        lateness_s: how far (seconds of event time) an event may lag the latest time read
            before it. Keys whose trigger and matches are all older than the latest time
            minus this are finalized: folded into aggregates and shrunk to a compact residue,
            so memory follows the undecided keys, not the input length. When no event lags
            more than this, the report is exactly the one of ``None``; an event that lags
            more and would have changed a finalized key counts in ``beyond_lateness``.
            ``None`` or ``math.inf``: keep every key's full state until the report.
        finalize_every: events between two finalization passes.

    Raises:
        UsageError: for an inconsistent configuration (duplicate expectation, the trigger
            type expected, an ``agree`` type that is not expected, a bad pointer, a negative
            lateness).
    """

    def __init__(
        self,
        trigger: str,
        expectations: Sequence[Expectation],
        key_pointers: Mapping[str, str] | None = None,
        agree: Iterable[tuple[str, str, str]] | None = None,
        *,
        lateness_s: float | None = DEFAULT_LATENESS_S,
        finalize_every: int = FINALIZE_EVERY,
    ) -> None:
        if lateness_s is not None and not lateness_s >= 0:  # NaN too
            raise UsageError(
                f"lateness {lateness_s!r} must be a number of seconds >= 0 (or inf)"
            )
        if finalize_every < 1:
            raise UsageError(f"finalize_every {finalize_every!r} must be at least 1")
        if not trigger:
            raise UsageError("name the trigger event type, e.g. --trigger order.accepted")
        if not expectations:
            raise UsageError("expect at least one event type, e.g. --expect invoice.created=60s")
        self.trigger = trigger
        self.expectations = tuple(expectations)
        pointers: dict[str, str] = dict(key_pointers or {})
        self._slots: dict[str, int] = {trigger: 0}
        for index, expectation in enumerate(self.expectations):
            if expectation.type in self._slots:
                what = "the trigger" if expectation.type == trigger else "expected twice"
                raise UsageError(f"event type {expectation.type!r} is {what}: expect it once")
            self._slots[expectation.type] = _WIDTH * (index + 1)
            if expectation.key_pointer is not None:
                if pointers.get(expectation.type, expectation.key_pointer) != (
                    expectation.key_pointer
                ):
                    raise UsageError(f"two key pointers for {expectation.type!r}: give one")
                pointers[expectation.type] = expectation.key_pointer
        self.key_pointers = pointers
        self._width = _WIDTH * (len(self.expectations) + 1)
        # Indexed by slot, so the hot path does one dict lookup per event (type -> slot).
        self._key_tokens: list[tuple[str, ...] | None] = [None] * self._width
        for type_, pointer in pointers.items():
            if type_ in self._slots:
                self._key_tokens[self._slots[type_]] = compile_pointer(pointer)
        # agree: trigger-side pointers (deduplicated) and per expectation slot the pairs.
        self.agree = tuple(agree or ())
        trigger_pointers: list[str] = []
        self._agree_pairs: dict[int, list[tuple[int, str, str]]] = {}
        self._agree_tokens: list[list[tuple[str, ...]] | None] = [None] * self._width
        for type_, trigger_pointer, match_pointer in self.agree:
            slot = self._slots.get(type_)
            if not slot:
                raise UsageError(
                    f"--agree {type_}:{match_pointer}={trigger_pointer}: {type_!r} is not an "
                    "expected type; add --expect for it"
                )
            compile_pointer(trigger_pointer)
            if trigger_pointer not in trigger_pointers:
                trigger_pointers.append(trigger_pointer)
            pairs = self._agree_pairs.setdefault(slot, [])
            pairs.append((trigger_pointers.index(trigger_pointer), trigger_pointer, match_pointer))
        if self.agree:
            self._agree_tokens[0] = [compile_pointer(p) for p in trigger_pointers]
            for slot, pairs in self._agree_pairs.items():
                self._agree_tokens[slot] = [compile_pointer(m) for _, _, m in pairs]
        self._keys: dict[str, list[Any]] = {}
        # Rare: (key, slot) that saw several distinct ids -> earliest time per id hash.
        self._multi: dict[tuple[str, int], dict[int, datetime]] = {}
        # Only with agree: (key, slot) -> (time, id, compared values) of the earliest event.
        # Per type slot: events after the first of their (key, type): copies and other ids.
        self._later = [0] * self._width
        self._latest = _EPOCH_MIN
        self._read = 0
        # Finalization (lateness_s finite): see the module docstring.
        self.lateness_s = None if lateness_s is None or math.isinf(lateness_s) else lateness_s
        self._lateness = (
            None if self.lateness_s is None else timedelta(seconds=self.lateness_s)
        )
        self._batch = finalize_every
        self._since = 0  # events read since the last finalization pass
        self._final = _Residue(len(self.expectations) + 1)
        self._final_triggers = 0
        self._final_late = [0] * len(self.expectations)
        self._final_skew = [0] * len(self.expectations)
        self._final_mismatched = [0] * len(self.expectations)
        self._final_violations: list[dict[str, Any]] = []
        # Finalized (key, slot) that later saw another distinct id: id hash -> earliest time
        # (the first id included), like _multi.
        self._final_multi: dict[tuple[str, int], dict[int, datetime]] = {}
        self._beyond = 0
        self._peak_tracked = 0
        # Events of types the engine does not track, per type (None: no type): to say which
        # types were read when an expected type never was.
        self._other_types: dict[Any, int] = {}
        # Dead-lettered events of tracked types: (slot, key) -> the earliest (time, reason,
        # where); dead-letter events the engine could not read (decoded as envelopes).
        self._dead: dict[tuple[int, str], tuple[datetime, str, str]] = {}
        self._dead_unread = 0
        # Settling (finite lateness): a key moves to the residue the moment its
        # state is complete (a trigger and a match for every expectation, no second id),
        # and its full state is dropped then. Until a finalization pass finds it behind the
        # horizon its row is *settling*: later events still update it exactly (an earlier
        # time moves its T0 or a latency). The pass makes rows final by moving
        # _settled_upto (rows before it are final) and counts their late and clock-skew
        # latencies (the latencies themselves stay in the residue rows). _settle_odd: the
        # settling rows to look at again (late, skewed, or moved by a later event) with
        # their keys. _checkpoints: (rows, latest time in us) at each pass; the rows settled
        # before a checkpoint whose time is behind the horizon are all behind it (a key's
        # times are at most the latest time read when it settled). With agree pointers
        # _settling_agree keeps, per settling row, its key and the agreed values of the
        # earliest event per type (as the end of a tracked key's state does), until the
        # row is final and its agreement is decided.
        self._settling_agree: dict[int, tuple[str, list[Any]]] = {}
        self._settled_upto = 0
        self._settle_odd: dict[int, str] = {}
        self._checkpoints: deque[tuple[int, int]] = deque()
        # keys with several distinct ids of some type (never settled early: kept in full)
        self._multi_keys: set[str] = set()
        # A fresh key's state: per type its earliest time and first id hash, then the count
        # of types still without an event; with agree pointers then, per type, the agreed
        # values of its earliest event: (time, id, the values' JSON texts), see _keep_agree.
        types = len(self.expectations) + 1
        self._template: list[Any] = [None] * self._width + [types]
        self._agree_base = self._width + 1
        if self.agree:
            self._template += [None] * types
        self._reader_cache: dict[bool, Any] = {}
        self._key_getters, self._agree_getters = self._readers(False)

    @property
    def keys(self) -> int:
        """How many distinct keys (of the trigger or an expected type) were read."""
        return len(self._keys) + len(self._final)

    @property
    def tracked_keys(self) -> int:
        """How many keys the engine keeps full state for (its memory driver)."""
        return len(self._keys)

    @property
    def peak_tracked_keys(self) -> int:
        """The most keys with full state seen by a finalization pass (or now, if more)."""
        return max(self._peak_tracked, len(self._keys))

    @property
    def finalized_keys(self) -> int:
        """How many keys were finalized (kept only as a compact residue)."""
        return self._settled_upto

    @property
    def settling_keys(self) -> int:
        """Complete keys already in the residue but still within the lateness."""
        return len(self._final) - self._settled_upto

    @property
    def beyond_lateness(self) -> int:
        """Events that lagged more than ``lateness_s`` and would have changed a finalized key."""
        return self._beyond

    @property
    def envelope_type(self) -> type[Envelope] | None:
        """What :meth:`add_located` takes with ``envelopes=True``: the envelope attributes
        and what the key and agree pointers reach (see :func:`accord.events.envelope_type`).

        ``None`` when a pointer reads an envelope attribute or the whole event: pass dicts.
        """
        pointers = [t for t in self._key_tokens if t is not None]
        for tokens in self._agree_tokens:
            pointers += tokens or ()
        return envelope_type(frozenset(pointers))

    def residue_bytes(self) -> int:
        """Bytes of the compact state of finalized keys (residue and latencies)."""
        return self._final.nbytes()

    def add(self, event: Mapping[str, Any]) -> None:
        """Take one structured CloudEvent into account.

        Events of other types only move the window end (their ``time``, if any).

        Raises:
            EventError: when a trigger or expected event has no ``time``, ``id`` or key, or
                any event has a time that is not RFC 3339 with an offset.
        """
        self.add_located(((event, None),))

    def add_located(
        self,
        pairs: Iterable[tuple[Any, Any]],
        *,
        pause_gc: bool = False,
        envelopes: bool = False,
    ) -> None:
        """Take many ``(event, where)`` pairs into account: the fast path of a whole source.

        ``where`` (a line number, a :class:`~accord.events.Location`, anything) is only used
        when an event is unusable: the :class:`EventError` raised carries it as ``where``.

        Args:
            pairs: events and where they were read.
            pause_gc: switch Python's cyclic garbage collector off meanwhile. The engine's
                state holds no cycles, but the collector would walk it again and again as
                it grows; only pass True when ``pairs`` creates no cyclic garbage either (a
                parsed file does; a Kafka client does not).
            envelopes: the events are instances of :attr:`envelope_type` (what the engine
                reads of an event, nothing else), not dicts.

        Raises:
            EventError: as :meth:`add`, with ``where`` set.
            UsageError: envelopes while :attr:`envelope_type` is None.
        """
        if envelopes and self.envelope_type is None:
            raise UsageError(
                "a pointer reads an envelope attribute or the whole event: pass whole events"
            )
        # how to read this kind of event: its four attributes, its key and agreed values
        self._key_getters, self._agree_getters = self._readers(envelopes)
        collecting = pause_gc and gc.isenabled()
        if collecting:
            gc.disable()
        try:
            self._add_located(pairs, _ENVELOPE_FIELDS if envelopes else _FIELDS)
        finally:
            if collecting:
                gc.enable()

    def _readers(
        self, envelopes: bool
    ) -> tuple[list[Callable[[Any], Any] | None], list[list[Callable[[Any], Any]] | None]]:
        """Per slot: the key's resolver (None: the partitionkey) and the agreed values'."""
        readers = self._reader_cache.get(envelopes)
        if readers is None:
            kind = self.envelope_type if envelopes else None
            keys = [None if t is None else compile_resolver(t, kind) for t in self._key_tokens]
            agree = [
                None if ts is None else [compile_resolver(t, kind) for t in ts]
                for ts in self._agree_tokens
            ]
            readers = self._reader_cache[envelopes] = (keys, agree)
        return readers

    def _add_located(self, pairs: Iterable[tuple[Any, Any]], fields: Any) -> None:
        if self._lateness is None:
            self._feed(pairs, fields)
            return
        # Finalize every `_batch` events; islice over the (C) iterator keeps the hot loop
        # free of any per-event check for it.
        it = iter(pairs)
        while True:
            room = self._batch - self._since
            before = self._read
            self._feed(islice(it, max(room, 1)), fields)
            if self._read - before < room:
                return  # the input ran out before the batch was full
            self.finalize()

    def _feed(self, pairs: Iterable[tuple[Any, Any]], fields: Any) -> None:
        # The hot loop of an audit: everything it touches is a local variable.
        slots_get = self._slots.get
        key_getters = self._key_getters
        agree_getters = self._agree_getters
        agree_base = self._agree_base
        settling_agree = self._settling_agree
        kept = _kept
        dumps = _dumps
        keys = self._keys
        keys_get = keys.get
        width = self._width
        later = self._later
        multi = self._multi
        has_agree = bool(self.agree)
        fromiso = _fromisoformat
        latest = self._latest
        final = self._final
        has_final = len(final) > 0
        index, khash, mask = final.index, final.khash, final.mask
        late_event = self._late_event
        early = self._lateness is not None  # settle complete keys into the residue
        template = self._template
        multi_keys = self._multi_keys
        rows = len(final)
        cap = len(index) >> 1  # rows the table takes while at most half full
        khash_append, ids_append, times_append = khash.append, final.ids.append, final.times.append
        settle_odd = self._settle_odd
        settle_plan = [
            (_WIDTH * (e + 1), round(x.within_s * 1_000_000))
            for e, x in enumerate(self.expectations)
        ]
        epoch = _EPOCH
        other = self._other_types
        other_get = other.get
        read = 0
        where: Any = None
        event: Mapping[str, Any] = {}
        try:
            for event, where in pairs:  # noqa: B007 - read by the except clauses
                read += 1
                try:  # one C call for the four attributes (free unless one is missing)
                    type_, raw, key, event_id = fields(event)
                except (KeyError, TypeError):  # not all four, or not a dict: see below
                    type_, raw = event.get("type"), event.get("time")
                    key, event_id = event.get("partitionkey"), event.get("id")
                slot = slots_get(type_)
                if raw is None:
                    if slot is None:
                        other[type_] = other_get(type_, 0) + 1
                        continue
                    raise EventError(f"{_describe(event)} has no 'time' attribute (RFC 3339)")
                try:
                    moment = fromiso(raw)
                except (ValueError, TypeError):
                    moment = _parse_time_slow(raw)
                if moment > latest:  # TypeError for a time without offset
                    latest = moment
                if slot is None:
                    other[type_] = other_get(type_, 0) + 1
                    if type_ == DEAD_LETTER_TYPE:
                        self._dead_letter(event, moment)
                    continue
                key_of = key_getters[slot]
                if key_of is not None:
                    key = key_of(event)
                if type(key) is not str:
                    key = self._odd_key(event, key, slot)
                if event_id is None:
                    raise EventError(f"{_describe(event)} has no 'id' attribute")
                digest = hash(event_id)
                state = keys_get(key)
                if state is None:
                    if has_final:  # a finalized key? (inlined _Residue.find)
                        h = hash(key)
                        i = h & mask
                        row = index[i]
                        while row >= 0:
                            if khash[row] == h:
                                late_event(key, row, slot, moment, digest, event_id, event)
                                break
                            i = (i + 1) & mask
                            row = index[i]
                        if row >= 0:
                            continue
                    state = keys[key] = template[:]
                earliest = state[slot]
                if earliest is None:
                    state[slot] = moment
                    state[slot + 1] = digest
                    if has_agree:
                        getters = agree_getters[slot]
                        if getters is not None:  # the first of its type: keep its values
                            if len(getters) == 1:  # (no comprehension: it is a call)
                                v = getters[0](event)
                                values = (v if v is ABSENT else dumps(v),)
                            else:
                                values = tuple([kept(g(event)) for g in getters])
                            state[agree_base + slot // _WIDTH] = (moment, str(event_id), values)
                    if early:
                        left = state[width] - 1
                        state[width] = left
                        if left or key in multi_keys:
                            continue
                        # Complete: settle it into the residue now and drop its state.
                        if rows >= cap:
                            final.grow(rows + 1)
                            index, mask = final.index, final.mask
                            cap = len(index) >> 1
                        h = hash(key)
                        i = h & mask
                        while index[i] >= 0:
                            i = (i + 1) & mask
                        index[i] = rows
                        khash_append(h)
                        t0 = state[0]
                        # in microseconds (exact; cheaper than timedelta // timedelta)
                        d = t0 - epoch
                        ids_append(state[1])
                        times_append((d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds)
                        for s, limit in settle_plan:
                            d = state[s] - t0
                            latency = (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
                            ids_append(state[s + 1])
                            times_append(latency)
                            if latency > limit or latency < 0:
                                settle_odd[rows] = key
                        if has_agree:
                            settling_agree[rows] = (key, state[agree_base:])
                        rows += 1
                        has_final = True
                        del keys[key]
                    continue
                # Not the first event of this (key, type): a copy or another id.
                later[slot] += 1
                first = state[slot + 1]
                if digest != first or multi:
                    ids = multi.get((key, slot))
                    if ids is None:
                        if digest != first:
                            multi[key, slot] = {first: earliest, digest: moment}
                            multi_keys.add(key)
                    else:
                        seen = ids.get(digest)
                        if seen is None or moment < seen:
                            ids[digest] = moment
                if moment <= earliest:
                    if moment < earliest:
                        state[slot] = moment
                    if has_agree:
                        at = agree_base + slot // _WIDTH
                        self._keep_agree(state, at, slot, event, moment, event_id)
        except AttributeError:
            if isinstance(event, Mapping):
                raise
            error = EventError(
                f"expected a JSON object (a CloudEvent), got {type(event).__name__}"
            )
            error.where = where
            raise error from None
        except TypeError as exc:
            if "offset-naive" in str(exc):
                message = (
                    f"{_describe(event)}: time {event.get('time')!r} has no UTC offset: "
                    "add 'Z' or '+HH:MM' (RFC 3339)"
                )
            else:  # e.g. an id that is an object: not a CloudEvent
                message = f"{_describe(event)} is not a usable CloudEvent ({exc})"
            error = EventError(message)
            error.where = where
            raise error from None
        except EventError as exc:
            exc.where = where
            raise
        finally:
            self._latest = latest
            self._read += read
            self._since += read

    def _late_event(
        self,
        key: str,
        row: int,
        slot: int,
        moment: datetime,
        digest: int,
        event_id: Any,
        event: Any,
    ) -> None:
        """An event of a settled key: a copy, another distinct id, or beyond lateness."""
        final = self._final
        at = row * final.width + slot // _WIDTH
        base = row * final.width
        times = final.times
        first = final.ids[at]
        # the row holds T0 and, per expectation, the latency of its match
        first_us = times[at] if at == base else times[base] + times[at]
        self._later[slot] += 1
        moment_us = (moment - _EPOCH) // _US
        # It would move the key's earliest event: T0, a latency or the agreed values change.
        beyond = moment_us < first_us
        settling = row >= self._settled_upto
        if settling and moment_us <= first_us and self._agree_tokens[slot]:
            # an earlier event, or one as early with a smaller id, has the agreed values
            key, kept = self._settling_agree[row]
            self._keep_agree(kept, slot // _WIDTH, slot, event, moment, event_id)
        if beyond and settling:  # still exact
            if at == base:  # an earlier T0: every latency grows
                for k in range(base + 1, base + final.width):
                    times[k] += first_us - moment_us
                times[base] = moment_us
            else:
                times[at] = moment_us - times[base]
            self._settle_odd[row] = key  # its latencies changed: look at them again
            beyond = False
        ids = self._final_multi.get((key, slot))
        if ids is None and digest != first:
            ids = self._final_multi[key, slot] = {first: _from_us(first_us)}
        if ids is not None:
            seen = ids.get(digest)
            if seen is None or moment < seen:
                ids[digest] = moment
            # a tie in time is broken by event id, which decides the agreed values
            if (moment_us == first_us and digest != first and self._agree_tokens[slot]
                    and not settling):
                beyond = True
        if beyond:
            self._beyond += 1

    def _dead_letter(self, event: Any, moment: datetime) -> None:
        """A consumer dead-lettered an event (see :func:`accord.events.dead_letter_event`):
        keep the earliest dead letter per tracked (type, key)."""
        data = event.get("data") if isinstance(event, Mapping) else getattr(event, "data", None)
        if not isinstance(data, Mapping):
            self._dead_unread += 1
            return
        type_ = data.get("type")
        slot = self._slots.get(type_) if isinstance(type_, str) else None
        if slot is None:
            return  # not a trigger or an expected type: not this audit's concern
        original = data.get("event")
        key: Any = None
        getter = self._readers(False)[0][slot]  # the original is a whole dict
        if getter is not None and isinstance(original, Mapping):
            key = getter(original)
        if key is None or key is ABSENT:
            key = event.get("partitionkey")
        if key is None or isinstance(key, (dict, list)):
            self._dead_unread += 1
            return
        entry = (moment, str(data.get("reason")), str(data.get("origin") or data.get("dlq")))
        current = self._dead.get((slot, str(key)))
        if current is None or entry < current:
            self._dead[slot, str(key)] = entry

    def _is_trigger_key(self, key: str) -> bool:
        state = self._keys.get(key)
        if state is not None:
            return state[0] is not None
        return len(self._final) > 0 and self._final.find(hash(key)) >= 0

    def finalize(self) -> int:
        """Finalize the keys whose outcome no event within ``lateness_s`` can change.

        Runs by itself every ``finalize_every`` events; calling it more often only costs
        time. Returns how many keys were finalized (0 when ``lateness_s`` is None).
        """
        if self._lateness is None or self._latest is _EPOCH_MIN:
            self._since = 0
            return 0
        self._since = 0
        try:
            horizon = (self._latest - self._lateness).astimezone(UTC)
        except OverflowError:  # within lateness of year 1
            return 0
        self._peak_tracked = max(self._peak_tracked, len(self._keys))
        return self._fold_settled((horizon - _EPOCH) // _US)

    def _fold_settled(self, horizon_us: int) -> int:
        """The finalization pass: the settled rows behind the horizon become final (their
        latencies stay in the residue; late and skewed ones are counted, and their agreed
        values are compared and dropped)."""
        checkpoints = self._checkpoints
        cut = start = self._settled_upto
        while checkpoints and checkpoints[0][1] < horizon_us:
            cut = checkpoints.popleft()[0]
        checkpoints.append((len(self._final), (self._latest - _EPOCH) // _US))
        if cut <= start:
            return 0
        odd = self._settle_odd
        for row in sorted(r for r in odd if r < cut):
            key = odd.pop(row)
            for e, latency, t0_us in self._row_latencies(row):
                if latency < 0:
                    self._final_skew[e] += 1
                elif latency > round(self.expectations[e].within_s * 1_000_000):
                    self._final_late[e] += 1
                    self._final_violations.append(
                        self._late_violation(self.expectations[e], key, _from_us(t0_us), latency)
                    )
        if self.agree:
            settling = self._settling_agree
            checks = self._agree_checks()
            for row in range(start, cut):
                key, kept = settling.pop(row)
                if not _same_texts(kept, checks):
                    self._fold_agree(key, kept)
        self._final_triggers += cut - start
        self._settled_upto = cut
        return cut - start

    def _row_latencies(self, row: int) -> list[tuple[int, int, int]]:
        """(expectation, latency, T0) of one residue row, in microseconds."""
        final = self._final
        base = row * final.width
        times = final.times
        t0_us = times[base]
        return [(e, times[base + e + 1], t0_us) for e in range(final.width - 1)]

    def _agree_checks(self, only: int | None = None) -> list[tuple[int, list[tuple[int, int]]]]:
        """Per agreed type (or just slot ``only``): its position, and the index pairs
        (trigger value, its value) of its agree pairs, for :func:`_same_texts`."""
        return [
            (slot // _WIDTH, [(t, j) for j, (t, _, _) in enumerate(pairs)])
            for slot, pairs in self._agree_pairs.items()
            if only is None or slot == only
        ]

    def _fold_agree(self, key: str, kept: list[Any]) -> None:
        """Decide the agreement of a row that became final."""
        violations: list[dict[str, Any]] = []
        for i, count in self._agree_differences(key, kept, violations):
            self._final_mismatched[i] += count
        self._final_violations += violations

    def _agree_differences(
        self,
        key: str,
        kept: list[Any],
        violations: list[dict[str, Any]],
        only: int | None = None,
    ) -> list[tuple[int, int]]:
        """(expectation, 1) for each agree'd expectation whose pairs differ between the
        trigger and the first match in ``kept`` (per type position, the agreed values);
        appends violations. ``only``: just this slot."""
        out = []
        trigger_info = kept[0]
        for slot, pairs in self._agree_pairs.items():
            if only is not None and slot != only:
                continue
            match_info = kept[slot // _WIDTH]
            if match_info is None:
                continue
            differ = _differences(trigger_info, match_info, pairs)
            if differ:
                expected = self.expectations[slot // _WIDTH - 1].type
                out.append((slot // _WIDTH - 1, 1))
                violations.append(
                    _violation("mismatched", expected, key, match_info[0], "; ".join(differ))
                )
        return out

    def _late_violation(
        self, expectation: Expectation, key: str, t0: datetime, latency: int
    ) -> dict[str, Any]:
        limit_us = round(expectation.within_s * 1_000_000)
        return _violation(
            "late", expectation.type, key, t0,
            f"{expectation.type} after {_fmt_s(latency, limit_us)} > {_fmt_s(limit_us)}",
            latency_s=latency / 1_000_000, limit_s=limit_us / 1_000_000,
        )

    def _odd_key(self, event: Mapping[str, Any], key: Any, slot: int) -> str:
        if key is None or key is ABSENT:
            tokens = self._key_tokens[slot]
            where = "'partitionkey' attribute" if tokens is None else "key at its key pointer"
            raise EventError(
                f"{_describe(event)} has no {where}: name the key with "
                f"--key {event.get('type')}=/json/pointer"
            )
        if isinstance(key, bool) or not isinstance(key, (int, float)):
            raise EventError(
                f"{_describe(event)}: key {key!r} is not a string or number; point --key "
                "at the order id"
            )
        return str(key)

    def _keep_agree(
        self, holder: list[Any], at: int, slot: int, event: Any, moment: datetime, eid: Any
    ) -> None:
        """Keep the compared values of the earliest event of a type (ties: smallest id) in
        ``holder[at]``: a tracked key's state, or a settling row's kept values."""
        getters = self._agree_getters[slot]
        if getters is None:
            return
        current = holder[at]
        eid = str(eid)
        if current is not None and (current[0], current[1]) <= (moment, eid):
            return
        holder[at] = (moment, eid, tuple([_kept(get(event)) for get in getters]))

    def _mismatches(self, slot: int, violations: list[dict[str, Any]]) -> int:
        """Check the ``agree`` pairs of one expectation; append violations, return the count."""
        pairs = self._agree_pairs.get(slot)
        if not pairs:
            return 0
        count = 0
        base = self._agree_base
        for key, state in self._keys.items():
            if state[slot] is None or state[0] is None:
                continue
            count += len(self._agree_differences(key, state[base:], violations, only=slot))
        checks = self._agree_checks(slot)
        for key, kept in self._settling_agree.values():  # settled, not final yet
            if not _same_texts(kept, checks):
                count += len(self._agree_differences(key, kept, violations, only=slot))
        return count

    def _id_times(self, key: str, slot: int, earliest: datetime) -> list[datetime]:
        """Earliest time of each distinct event id of one (key, type), in order."""
        ids = self._multi.get((key, slot))
        return [earliest] if ids is None else sorted(ids.values())

    def window_end(self, until: datetime | None = None) -> datetime | None:
        """``until``, or the latest event time read (``None`` before any timed event)."""
        if until is not None:
            return until
        return None if self._latest is _EPOCH_MIN else self._latest

    def report(
        self,
        until: datetime | None = None,
        *,
        partial: bool = False,
        complete: bool = False,
        accepted: Mapping[str, datetime | None] | Iterable[str] | None = None,
        allow_empty: bool = False,
        fail_on_pending: bool = False,
    ) -> dict[str, Any]:
        """The verdict so far, in the ``report.json`` shape of issue 4.

        Args:
            until: the window end; by default the latest ``time`` of all events read.
            partial: also carry what :func:`accord.consistency.merge_reports` needs to merge
                exactly: every latency (``latencies_s``) and the pending keys with their T0
                (``pending_keys``) per expectation.
            complete: the events read are the whole history (a finished file, a topic read
                to its end, a stopped run): a key without a match is ``missing``, never
                ``pending``.
            accepted: the ids the system of record accepted (with their acceptance time,
                if known): one without a trigger is an ``untriggered`` violation.
            allow_empty: a report that decided nothing (no trigger, or every key of an
                expectation pending) is consistent; by default it is not.
            fail_on_pending: a pending key makes the report not consistent.

        Returns:
            ``trigger, window_end, triggers, duplicate_triggers, expectations, violations,
            consistent`` plus ``events``, ``redelivered_triggers``; per expectation the counts,
            ``latency_s``, ``consistent_within``, ``histogram``, ``decided``,
            ``within_counts`` and (up to ``EXACT_DISTINCT`` distinct latencies, when not
            partial) ``latency_counts``. Each violation has ``kind, type, key, detail, time``.
        """
        if until is not None and until.tzinfo is None:
            raise UsageError("until must carry a UTC offset")
        # Like add_located(pause_gc=True): building the report makes no cycles, and the
        # collector would otherwise walk the whole state each time it runs meanwhile.
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            report = self._report(until, partial, complete, accepted)
        finally:
            if collecting:
                gc.enable()
        return judge(
            report,
            allow_empty=allow_empty,
            fail_on_pending=fail_on_pending,
            key_types=tuple(self.key_pointers),
        )

    def _report(
        self,
        until: datetime | None,
        partial: bool,
        complete: bool,
        accepted: Mapping[str, datetime | None] | Iterable[str] | None,
    ) -> dict[str, Any]:
        end = self.window_end(until)
        # late and mismatched keys that were finalized
        violations: list[dict[str, Any]] = list(self._final_violations)
        trigger = self.trigger
        keys = self._keys
        n = len(self.expectations)
        limits = [round(e.within_s * 1_000_000) for e in self.expectations]
        latencies: list[list[int]] = [[] for _ in range(n)]
        # (index, slot, limit, append) per expectation, for the inner loop below
        plan = [
            (i, _WIDTH * (i + 1), limits[i], latencies[i].append) for i in range(n)
        ]
        # The hot loop of report(), one pass over the keys (each key's state is read once,
        # while it is in the CPU cache): the common case (a trigger, a match within the
        # limit) costs a subtraction and an append; everything else is set aside.
        orphan_keys: list[str] = []
        unmatched: list[tuple[int, str]] = []  # (expectation, key): missing or pending
        # (expectation, key, latency, T0): late or skew
        outside: list[tuple[int, str, int, datetime]] = []
        us = _US
        for key, state in keys.items():
            t0 = state[0]
            if t0 is None:
                orphan_keys.append(key)
                continue
            for i, slot, limit, append in plan:
                match = state[slot]
                if match is None:
                    unmatched.append((i, key))
                    continue
                latency = (match - t0) // us
                if latency > limit or latency < 0:
                    outside.append((i, key, latency, t0))
                else:
                    append(latency)
        # Settling rows (complete keys in the residue, not final yet): their late and skewed
        # latencies (all latencies of residue rows are taken from the residue below).
        start = self._settled_upto
        settling_odd: list[tuple[int, str, int, datetime]] = []
        for row, key in self._settle_odd.items():
            for i, latency, t0_us in self._row_latencies(row):
                if latency > limits[i] or latency < 0:
                    settling_odd.append((i, key, latency, _from_us(t0_us)))
        triggers = (
            len(keys) - len(orphan_keys) + self._final_triggers + len(self._final) - start
        )
        duplicate_triggers, trigger_distinct = self._duplicate_triggers(violations)
        trigger_distinct += triggers - duplicate_triggers
        expectations: dict[str, Any] = {}
        read_counts: dict[str, int] = {trigger: triggers + self._later[0]}
        for i, expectation in enumerate(self.expectations):
            expectations[expectation.type] = self._expectation_report(
                expectation,
                _WIDTH * (i + 1),
                end,
                latencies[i],
                [key for j, key in unmatched if j == i],
                [(key, latency, t0) for j, key, latency, t0 in outside if j == i],
                [(key, latency, t0) for j, key, latency, t0 in settling_odd if j == i],
                orphan_keys,
                violations,
                partial,
                complete,
                read_counts,
            )
        dead_lettered = self._dead_letter_violations(violations)
        untriggered = accepted_count = 0
        if accepted is not None:
            untriggered, accepted_count = self._untriggered(accepted, end, violations)
        for type_, count in self._other_types.items():
            if type_ != DEAD_LETTER_TYPE:
                read_counts[str(type_) if type_ is not None else ""] = count
        # the trigger, the expected types, then the others as first read
        types_read = {t: n for t, n in read_counts.items() if n}
        violations.sort(key=_violation_order)
        report: dict[str, Any] = {
            "trigger": trigger,
            "window_end": rfc3339(end) if end is not None else None,
            "triggers": triggers,
            "duplicate_triggers": duplicate_triggers,
            "expectations": expectations,
            "violations": violations,
            "consistent": not violations,
            "events": self._read,
            "redelivered_triggers": triggers + self._later[0] - trigger_distinct,
            "lateness_s": self.lateness_s,
            "beyond_lateness": self._beyond,
            "complete": complete,
            "types_read": types_read,
            "dead_lettered": dead_lettered,
            "untriggered": untriggered,
            "accepted": accepted_count if accepted is not None else None,
        }
        if self._dead_unread:
            report["dead_letters_unread"] = self._dead_unread
        if partial:
            report["partial"] = True
        return report

    def _dead_letter_violations(self, violations: list[dict[str, Any]]) -> int:
        """One ``dead_lettered`` violation per dead-lettered (type, key); their count."""
        names = {slot: type_ for type_, slot in self._slots.items()}
        for (slot, key), (moment, reason, where) in self._dead.items():
            type_ = names[slot]
            violations.append(
                _violation(
                    "dead_lettered", type_, key, moment,
                    f"a consumer dead-lettered {type_} ({where}): {reason}",
                    reason=reason, origin=where,
                )
            )
        return len(self._dead)

    def _untriggered(
        self,
        accepted: Mapping[str, datetime | None] | Iterable[str],
        end: datetime | None,
        violations: list[dict[str, Any]],
    ) -> tuple[int, int]:
        """Accepted ids without a trigger: violations, (their count, accepted ids)."""
        times: Mapping[str, datetime | None] = (
            accepted if isinstance(accepted, Mapping) else dict.fromkeys(accepted)
        )
        trigger = self.trigger
        count = 0
        for key, moment in times.items():
            key = str(key)
            if self._is_trigger_key(key):
                continue
            count += 1
            when = f" at {rfc3339(moment)}" if moment is not None else ""
            violations.append(
                _violation(
                    "untriggered", trigger, key, moment or end or _EPOCH,
                    f"order {key} was accepted{when} but no {trigger} with this key was read",
                )
            )
        return count, len(times)

    def _duplicate_triggers(self, violations: list[dict[str, Any]]) -> tuple[int, int]:
        """Keys with several trigger ids: (how many keys, how many distinct ids they have)."""
        trigger = self.trigger
        count = ids = 0
        live = {key for key, slot in self._multi if slot == 0}
        final = {key for key, slot in self._final_multi if slot == 0}
        for key in sorted(live | final):
            if key in live:
                times = self._id_times(key, 0, self._keys[key][0])
            else:
                times = sorted(self._final_multi[key, 0].values())
            count += 1
            ids += len(times)
            violations.append(
                _violation(
                    "duplicate_trigger", trigger, key, times[1],
                    f"{len(times)} distinct {trigger} events (ids) for this key",
                )
            )
        return count, ids

    def _expectation_report(
        self,
        expectation: Expectation,
        slot: int,
        end: datetime | None,
        latencies: list[int],
        unmatched: list[str],
        outside: list[tuple[str, int, datetime]],
        settling_odd: list[tuple[str, int, datetime]],
        orphan_keys: list[str],
        violations: list[dict[str, Any]],
        partial: bool,
        complete: bool = False,
        read_counts: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        """One expectation's counters and statistics from what the key pass set aside."""
        expected, trigger = expectation.type, self.trigger
        keys = self._keys
        index = slot // _WIDTH - 1
        limit_us = round(expectation.within_s * 1_000_000)
        limit_text = _fmt_s(limit_us)
        multi_keys = {key for key, s in self._multi if s == slot}
        final_multi = {key for key, s in self._final_multi if s == slot}
        # every residue row (final or settling): its raw latency (negative: clock skew)
        final = self._final
        residue = final.times[index + 1 :: final.width]
        # missing <=> window end >= T0 + L <=> T0 <= window end - L. Without a window end
        # there were no timed events, hence no keys.
        try:
            cutoff = end - timedelta(microseconds=limit_us) if end is not None else _EPOCH_MIN
        except OverflowError:  # a window end within L of year 1
            cutoff = _EPOCH_MIN
        missing = pending = 0
        pending_keys: list[tuple[datetime, str]] = []
        first_pending: datetime | None = None
        for key in unmatched:
            t0 = keys[key][0]
            if t0 <= cutoff:
                missing += 1
                violations.append(
                    _violation(
                        "missing", expected, key, t0,
                        f"no {expected} within {limit_text} of {trigger} at {rfc3339(t0)}",
                    )
                )
            elif complete:  # the history is complete: it will never come
                missing += 1
                violations.append(
                    _violation(
                        "missing", expected, key, t0,
                        f"no {expected} by the end of the history ({trigger} at "
                        f"{rfc3339(t0)}, limit {limit_text})",
                    )
                )
            else:
                pending += 1
                if first_pending is None or t0 < first_pending:
                    first_pending = t0
                if partial:
                    pending_keys.append((t0, key))
        late, skew = self._final_late[index], self._final_skew[index]
        for key, latency, t0 in outside:
            if latency < 0:
                skew += 1
                latencies.append(0)
                continue
            late += 1
            latencies.append(latency)
            violations.append(self._late_violation(expectation, key, t0, latency))
        for key, latency, t0 in settling_odd:  # their latencies are in already
            if latency < 0:
                skew += 1
            else:
                late += 1
                violations.append(self._late_violation(expectation, key, t0, latency))
        orphaned = 0
        orphan_with = 0  # orphan keys with events of this type
        for key in orphan_keys:
            match = keys[key][slot]
            if match is None:
                continue
            orphan_with += 1
            times = self._id_times(key, slot, match) if key in multi_keys else [match]
            orphaned += len(times)
            for moment in times:
                violations.append(
                    _violation(
                        "orphaned", expected, key, moment,
                        f"{expected} at {rfc3339(moment)} has no {trigger} with this key",
                    )
                )
        matched = len(latencies) + len(residue)
        if read_counts is not None:
            read_counts[expected] = matched + orphan_with + self._later[slot]
        # distinct ids: one per key with events of this type, plus the extra ids of the few
        # (key, type) that saw several
        distinct = matched + orphaned
        duplicated = 0
        for key in sorted(multi_keys | final_multi):
            if key in final_multi:
                times = sorted(self._final_multi[key, slot].values())
            else:
                state = keys[key]
                if state[0] is None:
                    continue  # orphans: counted above
                times = self._id_times(key, slot, state[slot])
            distinct += len(times) - 1
            duplicated += 1
            violations.append(
                _violation(
                    "duplicated", expected, key, times[1],
                    f"{len(times)} distinct {expected} events (ids) for this key",
                )
            )
        mismatched = self._mismatches(slot, violations)
        mismatched += self._final_mismatched[index]
        latencies = sorted_latencies(latencies, residue)
        del residue
        # residue rows with clock skew count as 0 (the live ones were appended as 0)
        for j, value in enumerate(latencies):
            if value >= 0:
                break
            latencies[j] = 0
        ok = matched - late
        decided = ok + late + missing
        within = within_counts(latencies)
        stats: dict[str, Any] = {
            "within_s": float(expectation.within_s),
            "ok": ok,
            "late": late,
            "missing": missing,
            "pending": pending,
            "duplicated": duplicated,
            "orphaned": orphaned,
            "redelivered": matched + orphan_with + self._later[slot] - distinct,
            "clock_skew": skew,
            "mismatched": mismatched,
            "latency_s": quantiles(latencies),
            "consistent_within": {
                label: (hit / decided if decided else 1.0) for label, hit in within.items()
            },
            "histogram": histogram(latencies),
            "decided": decided,
            "within_counts": within,
            # when the earliest pending key becomes missing, if nothing comes (its T0 + L)
            "pending_deadline": _deadline(first_pending, limit_us),
        }
        # What an exact merge needs (a partial report carries every latency instead).
        carried = None if partial else latency_counts(latencies)
        if carried is not None:
            stats["latency_counts"] = carried
        if partial:
            stats["latencies_s"] = [value / 1_000_000 for value in latencies]
            stats["pending_keys"] = [
                {"key": key, "trigger_time": rfc3339(t0)} for t0, key in sorted(pending_keys)
            ]
        latencies.clear()  # one int object per key: free it before the next expectation
        return stats

def rfc3339(moment: datetime) -> str:
    """Like :func:`accord.events.rfc3339` (UTC, microseconds, ``Z``), but faster."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def _violation_order(v: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (v["time"], v["kind"], v["type"], v["key"])


def _violation(
    kind: str, type_: str, key: str, moment: datetime, detail: str, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": kind, "type": type_, "key": key, "detail": detail, "time": rfc3339(moment)
    }
    out.update(extra)
    return out


def _differences(
    trigger_info: Any, match_info: Any, pairs: list[tuple[int, str, str]]
) -> list[str]:
    trigger_values = trigger_info[2] if trigger_info is not None else ()
    match_values = match_info[2] if match_info is not None else ()
    out = []
    for j, (t_index, t_pointer, m_pointer) in enumerate(pairs):
        a = trigger_values[t_index] if t_index < len(trigger_values) else ABSENT
        b = match_values[j] if j < len(match_values) else ABSENT
        if a is ABSENT and b is ABSENT:
            continue
        # the same JSON text is the same value (the common case); else compare the values
        # (members in another order, 1 and 1.0 are equal)
        if a is not ABSENT and b is not ABSENT and (a == b or json_equal(_loads(a), _loads(b))):
            continue
        out.append(f"{m_pointer} = {_show(b)} but trigger {t_pointer} = {_show(a)}")
    return out


def _same_texts(kept: list[Any], checks: list[tuple[int, list[tuple[int, int]]]]) -> bool:
    """Whether every agree pair of a complete key has the same JSON text (or is absent) on
    both sides: then nothing differs (else :func:`_differences` looks closer)."""
    trigger = kept[0][2]
    for position, indices in checks:
        match = kept[position]
        if match is None:
            continue
        values = match[2]
        for t, j in indices:
            if trigger[t] != values[j]:  # ABSENT only equals itself
                return False
    return True


def _kept(value: Any) -> Any:
    """An agreed value as the engine keeps it until its key is final: its JSON text (a few
    dozen bytes instead of a tree of objects), or ABSENT."""
    return ABSENT if value is ABSENT else _dumps(value)


def _show(value: Any) -> str:
    """A kept value (see :func:`_kept`) for a message, shortened to 80 characters."""
    if value is ABSENT:
        return "(absent)"
    text: str = value.decode()
    return text if len(text) <= 80 else text[:77] + "..."


def _deadline(t0: datetime | None, limit_us: int) -> str | None:
    """When a key pending since ``t0`` becomes missing (None: no such key, or past year 9999)."""
    if t0 is None:
        return None
    try:
        return rfc3339(t0 + timedelta(microseconds=limit_us))
    except OverflowError:
        return None


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _fmt_s(us: int, apart_from_us: int | None = None) -> str:
    """Microseconds as every view writes a duration (a latency never reads as its limit)."""
    other = None if apart_from_us is None else apart_from_us / 1_000_000
    return format_duration(us / 1_000_000, apart_from=other)


def _describe(event: Mapping[str, Any]) -> str:
    return f"{event.get('type') or 'event'} {event.get('id')!r}"
