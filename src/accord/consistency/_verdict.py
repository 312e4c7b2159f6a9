"""The verdict of a report: what was decided, and whether that is a pass.

A report with no violations is not necessarily a pass: with no trigger, or with every key of
an expectation still pending, nothing was checked. :func:`judge` adds to a report what a
reader needs to trust it:

- ``warnings``: a trigger, expected or ``--key`` type of which no event was read
  (``unseen_type``, naming the types that were read), and expected events whose keys no
  trigger has while triggers wait for them (``key_mismatch``);
- ``nothing_decided``: why nothing was decided, or ``None``;
- ``verdict``: ``consistent``, ``not_consistent`` (violations), ``nothing_decided`` (unless
  ``allow_empty``) or ``pending`` (pending keys with ``fail_on_pending``);
- ``consistent``: ``verdict == "consistent"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["VERDICTS", "judge", "read_summary"]

VERDICTS = ("consistent", "not_consistent", "nothing_decided", "pending")
#: At most this many types are named in a warning.
_MAX_TYPES = 12


def read_summary(types_read: Mapping[str, int], *, counts: bool = False) -> str:
    """The types read, in the order the report lists them: ``order.accepted, invoice.created``
    (with ``counts``: ``200 order.accepted, 200 invoice.created``); ``nothing`` when empty.

    Events without a type are shown as ``N events without a type``.
    """
    parts = []
    for name, count in list(types_read.items())[:_MAX_TYPES]:
        if not name:
            parts.append(f"{count} event{'s' if count != 1 else ''} without a type")
        else:
            parts.append(f"{count} {name}" if counts else name)
    if len(types_read) > _MAX_TYPES:
        parts.append(f"{len(types_read) - _MAX_TYPES} more types")
    return ", ".join(parts) if parts else "nothing"


def judge(
    report: dict[str, Any],
    *,
    allow_empty: bool = False,
    fail_on_pending: bool = False,
    key_types: Sequence[str] = (),
) -> dict[str, Any]:
    """Add ``warnings``, ``nothing_decided``, ``verdict`` and ``consistent`` to ``report``.

    Args:
        report: an engine or merged report (``types_read`` may be absent in old reports).
        allow_empty: nothing decided is a pass.
        fail_on_pending: a pending key is a failure.
        key_types: the types ``--key`` names, also warned about when never read.

    Returns:
        ``report``, changed in place.
    """
    trigger = str(report.get("trigger") or "")
    expectations: Mapping[str, Any] = report.get("expectations") or {}
    types_read: Mapping[str, int] | None = report.get("types_read")
    warnings: list[dict[str, Any]] = []
    if types_read is not None:
        seen = read_summary(types_read)
        for type_ in dict.fromkeys([trigger, *expectations, *key_types]):
            if type_ and not types_read.get(type_):
                warnings.append({
                    "kind": "unseen_type",
                    "type": type_,
                    "detail": f"no event of type {type_!r}; read: {seen}",
                })
    listed = report.get("violations") or []
    triggers = int(report.get("triggers") or 0)
    for type_, stats in expectations.items():
        orphaned = int(stats.get("orphaned", 0))
        waiting = int(stats.get("missing", 0)) + int(stats.get("pending", 0))
        # Most triggers wait while about as many events of the type have unknown keys: the
        # events are keyed by something else (an ordinary orphan or two says nothing).
        if orphaned and 2 * waiting > triggers and 2 * orphaned >= waiting:
            example = next(
                (v.get("key") for v in listed if v.get("kind") == "orphaned"
                 and v.get("type") == type_), None,
            )
            shown = f" (e.g. {example!r})" if example is not None else ""
            warnings.append({
                "kind": "key_mismatch",
                "type": type_,
                "detail": (
                    f"key mismatch: {orphaned} {type_} events have keys no {trigger} has"
                    f"{shown}, while {waiting} {trigger} keys have no {type_}: is {type_} "
                    f"keyed by another field? (name it with --key {type_}=/POINTER)"
                ),
            })
    report["warnings"] = warnings

    reasons: list[str] = []
    if triggers == 0:
        events = int(report.get("events") or 0)
        read = f" (read: {read_summary(types_read, counts=True)})" if types_read else ""
        reasons.append(f"no {trigger} event among {events} events read{read}")
    else:
        for type_, stats in expectations.items():
            pending = int(stats.get("pending", 0))
            if pending and not int(stats.get("decided", 0)):
                deadline = stats.get("pending_deadline")
                before = f", before the earliest deadline {deadline}" if deadline else ""
                reasons.append(
                    f"all {pending} {type_} outcomes are pending: the window ends at "
                    f"{report.get('window_end')}{before} (if the history is finished, "
                    "audit it with --complete)"
                )
    report["nothing_decided"] = "; ".join(reasons) or None

    pending_total = sum(int(s.get("pending", 0)) for s in expectations.values())
    if listed or _counted_violations(report):
        verdict = "not_consistent"
    elif reasons and not allow_empty:
        verdict = "nothing_decided"
    elif fail_on_pending and pending_total:
        verdict = "pending"
    else:
        verdict = "consistent"
    report["verdict"] = verdict
    report["consistent"] = verdict == "consistent"
    return report


def _counted_violations(report: Mapping[str, Any]) -> int:
    """Violations the report counts (it may list fewer)."""
    total = sum(
        int(report.get(name) or 0)
        for name in ("duplicate_triggers", "dead_lettered", "untriggered")
    )
    for stats in (report.get("expectations") or {}).values():
        total += sum(
            int(stats.get(name, 0))
            for name in ("late", "missing", "duplicated", "orphaned", "mismatched")
        )
    return total
