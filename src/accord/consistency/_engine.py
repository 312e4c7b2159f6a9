"""The eventual-consistency engine: every trigger yields each expected event in time.

This is the fast path. The same rules, plainly, are :mod:`accord.consistency._reference`,
which property tests hold this engine's reports equal to; the report pass lives in
:mod:`accord.consistency._reporting`, the residue and finalization in
:mod:`accord.consistency._finalize`.

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
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice
from operator import attrgetter, itemgetter
from typing import Any

# msgspec, not orjson: orjson's output keeps its whole write buffer (about 4 KiB) allocated
from msgspec.json import encode as _dumps

from accord.consistency._finalize import _Finalization, _Residue
from accord.consistency._model import (
    _EPOCH,
    _EPOCH_MIN,
    _US,
    EventError,
    Expectation,
    _describe,
    _fromisoformat,
    _parse_time_slow,
    parse_time,
    rfc3339,
)
from accord.consistency._pointer import ABSENT, compile_pointer, compile_resolver
from accord.consistency._reporting import _WIDTH
from accord.consistency._verdict import judge
from accord.consistency._violations import _kept
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

#: The attributes the hot loop reads from every event, in one call (of a dict, of an
#: accord.events.Envelope).
_FIELDS = itemgetter("type", "time", "partitionkey", "id")
_ENVELOPE_FIELDS = attrgetter("type", "time", "partitionkey", "id")


class ConsistencyEngine(_Finalization):
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

