"""``eventually``: poll until something holds, with a deadline, on tenacity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from accord._durations import format_duration
from accord.errors import ViolationError
from accord.events import rfc3339

__all__ = ["EventuallyError", "eventually"]

T = TypeVar("T")

_NOTHING: Any = object()


class EventuallyError(ViolationError):
    """What :func:`eventually` waited for did not happen before the deadline.

    Attributes:
        message: what was awaited.
        within_s: the time allowed.
        deadline: when waiting stopped (UTC).
        attempts: how many times the function was called.
        last_value: the last value returned (``None`` if it only raised).
        last_error: the last exception raised, if the last attempt raised.
    """

    def __init__(
        self,
        message: str,
        *,
        within_s: float,
        deadline: datetime,
        attempts: int,
        last_value: Any,
        last_error: BaseException | None,
    ) -> None:
        self.message = message
        self.within_s = within_s
        self.deadline = deadline
        self.attempts = attempts
        self.last_value = last_value
        self.last_error = last_error
        if last_error is not None:
            last = f"last attempt raised {type(last_error).__name__}: {last_error}"
        else:
            last = f"last value observed: {_short(last_value)}"
        super().__init__(
            f"{message}: not true within {format_duration(within_s)} "
            f"(deadline {rfc3339(deadline)}, "
            f"{attempts} attempts); {last}"
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 500 else text[:497] + "..."


def eventually(
    fn: Callable[[], T],
    *,
    within: float | str = 10.0,
    interval: float | str = 0.1,
    message: str | None = None,
) -> T:
    """Call ``fn`` until it returns something truthy without raising; return that value.

    An exception from ``fn`` (an ``assert`` failing, a connection refused) counts as "not
    yet". Polling stops at the deadline, after one last attempt.

    Args:
        fn: what to poll, e.g. ``lambda: db.invoice_for(order_id)``.
        within: time allowed, in seconds or as a duration such as ``"30s"``.
        interval: pause between attempts, in seconds or as a duration such as ``"200ms"``.
        message: what is awaited, for the failure message (default: ``fn``'s name).

    Returns:
        The first truthy value ``fn`` returned.

    Raises:
        EventuallyError: (an ``AssertionError``) when the deadline passes; its message shows
            the deadline and the last value observed (or the last exception).
    """
    import tenacity

    from accord._durations import parse_duration

    within_s = parse_duration(within) if isinstance(within, str) else float(within)
    interval_s = parse_duration(interval) if isinstance(interval, str) else float(interval)
    state: dict[str, Any] = {"value": None, "error": None, "attempts": 0}

    def attempt() -> T:
        state["attempts"] += 1
        try:
            value = fn()
        except Exception as exc:
            state["error"] = exc
            raise
        state["error"] = None
        state["value"] = value
        return value

    started = datetime.now(UTC)
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(within_s),
        wait=tenacity.wait_fixed(interval_s),
        retry=tenacity.retry_if_exception_type(Exception) | tenacity.retry_if_result(_falsy),
        reraise=False,
    )
    try:
        return retrying(attempt)
    except tenacity.RetryError:
        raise EventuallyError(
            message or str(getattr(fn, "__name__", repr(fn))),
            within_s=within_s,
            deadline=started + timedelta(seconds=within_s),
            attempts=state["attempts"],
            last_value=state["value"],
            last_error=state["error"],
        ) from state["error"]


def _falsy(value: Any) -> bool:
    return not value
