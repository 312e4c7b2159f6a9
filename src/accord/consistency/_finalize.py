"""Finalization: complete keys shrink to a compact residue, later events still exact.

See the module docstring of :mod:`accord.consistency._engine` for the rules: with a finite
``lateness_s`` a complete key *settles* into the residue (:class:`_Residue`, flat arrays);
a pass every ``finalize_every`` events makes the settled rows behind the horizon *final*
(:meth:`_Finalization._fold_settled`) and :meth:`_Finalization._late_event` classifies an
event of a settled key (a copy, another id, or ``beyond_lateness``).
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from accord.consistency._model import _EPOCH, _US, _from_us
from accord.consistency._reporting import _WIDTH, _Reports
from accord.consistency._violations import _kept, _same_texts


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



class _Finalization(_Reports):
    """The finalization part of :class:`~accord.consistency.ConsistencyEngine`."""

    _checkpoints: deque[tuple[int, int]]
    _agree_tokens: list[list[tuple[str, ...]] | None]
    _agree_getters: list[list[Callable[[Any], Any]] | None]

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

    def _fold_agree(self, key: str, kept: list[Any]) -> None:
        """Decide the agreement of a row that became final."""
        violations: list[dict[str, Any]] = []
        for i, count in self._agree_differences(key, kept, violations):
            self._final_mismatched[i] += count
        self._final_violations += violations

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
