"""The report of a :class:`~accord.consistency.ConsistencyEngine`: one pass over its state.

Counts, statistics and violations per expectation from the live keys, the settling rows
and the final aggregates (see :mod:`accord.consistency._engine`); the rules are those of
:mod:`accord.consistency._reference`, which the property tests hold this to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from accord.consistency._model import (
    _EPOCH,
    _EPOCH_MIN,
    _US,
    Expectation,
    _fmt_s,
    _from_us,
    rfc3339,
)
from accord.consistency._stats import (
    histogram,
    latency_counts,
    quantiles,
    sorted_latencies,
    within_counts,
)
from accord.consistency._violations import (
    _deadline,
    _differences,
    _same_texts,
    _violation,
    _violation_order,
)
from accord.events import DEAD_LETTER_TYPE

if TYPE_CHECKING:
    from accord.consistency._finalize import _Residue

#: Per type: 2 slots of per-key state (earliest time, hash of the first event id).
_WIDTH = 2


class _Reports:
    """The report-building part of :class:`~accord.consistency.ConsistencyEngine` (its
    state is set up and documented in ``ConsistencyEngine.__init__``)."""

    trigger: str
    expectations: tuple[Expectation, ...]
    agree: tuple[tuple[str, str, str], ...]
    lateness_s: float | None
    _slots: dict[str, int]
    _agree_pairs: dict[int, list[tuple[int, str, str]]]
    _agree_base: int
    _keys: dict[str, list[Any]]
    _multi: dict[tuple[str, int], dict[int, datetime]]
    _later: list[int]
    _latest: datetime
    _read: int
    _final: _Residue
    _final_triggers: int
    _final_late: list[int]
    _final_skew: list[int]
    _final_mismatched: list[int]
    _final_violations: list[dict[str, Any]]
    _final_multi: dict[tuple[str, int], dict[int, datetime]]
    _beyond: int
    _other_types: dict[Any, int]
    _dead: dict[tuple[int, str], tuple[datetime, str, str]]
    _dead_unread: int
    _settling_agree: dict[int, tuple[str, list[Any]]]
    _settled_upto: int
    _settle_odd: dict[int, str]

    def window_end(self, until: datetime | None = None) -> datetime | None:
        """``until``, or the latest event time read (``None`` before any timed event)."""
        if until is not None:
            return until
        return None if self._latest is _EPOCH_MIN else self._latest

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

    def _is_trigger_key(self, key: str) -> bool:
        state = self._keys.get(key)
        if state is not None:
            return state[0] is not None
        return len(self._final) > 0 and self._final.find(hash(key)) >= 0

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
