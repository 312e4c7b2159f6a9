"""``accord_consistency``'s check and its failure messages, without a broker (events added)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.errors import UsageError
from accord.events import make_event
from accord.pytest_plugin import ConsistencyCheck, SLAViolationError
from accord.pytest_plugin._consistency import patience_for

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def event(kind: str, key: str, after_s: float, id: str | None = None) -> dict[str, object]:
    return make_event(kind, "/test", {}, key=key, time=T0 + timedelta(seconds=after_s), id=id)


def check(limits: dict[str, float], now_after_s: float = 3600.0) -> ConsistencyCheck:
    """A check whose wall clock is long past every limit, so settling returns at once."""
    return ConsistencyCheck(
        None, limits, wall_clock=lambda: T0 + timedelta(seconds=now_after_s)
    )


def test_consistent_events_pass_and_return_the_report() -> None:
    c = check({"invoice.created": 5.0})
    c.add(event("order.accepted", "o-1", 0), event("invoice.created", "o-1", 1.2))
    report = c.assert_consistent()
    assert report["consistent"] is True
    assert report["expectations"]["invoice.created"]["ok"] == 1
    assert report["expectations"]["invoice.created"]["latency_s"]["max"] == pytest.approx(1.2)


def test_late_names_the_key_how_late_and_the_limit() -> None:
    c = check({"invoice.created": 1.0})
    c.add(
        event("order.accepted", "o-1", 0),
        event("invoice.created", "o-1", 3.5),
        event("order.accepted", "o-2", 0),
        event("invoice.created", "o-2", 0.5),
    )
    with pytest.raises(SLAViolationError) as info:
        c.assert_consistent()
    assert str(info.value).splitlines() == [
        "SLA broken: 1 of 2 order.accepted keys have violations (1 late)",
        "  late  invoice.created  key o-1: took 3.5s, limit 1s (2.5s late)",
    ]
    assert info.value.violations[0]["key"] == "o-1"


def test_missing_and_duplicated_are_named() -> None:
    c = check({"invoice.created": 2.0, "delivery.created": 2.0}, now_after_s=60)
    c.add(
        event("order.accepted", "o-1", 0),
        event("delivery.created", "o-1", 0.1, id="d-1"),
        event("delivery.created", "o-1", 0.2, id="d-2"),
    )
    with pytest.raises(SLAViolationError) as info:
        c.assert_consistent()
    lines = str(info.value).splitlines()
    assert lines[0] == (
        "SLA broken: 1 of 1 order.accepted keys have violations (1 missing, 1 duplicated)"
    )
    assert (
        "  missing     invoice.created   key o-1: no invoice.created (limit 2s, none after 60s)"
        in lines
    )
    assert any(line.startswith("  duplicated  delivery.created  key o-1: ") for line in lines)


def test_an_explicit_limit_beats_the_configuration_which_beats_the_default() -> None:
    c = check({"invoice.created": 10.0})
    c.expect("invoice.created", default="1s")
    c.expect("delivery.created", default="2s")
    assert c.expectations == {"invoice.created": 10.0, "delivery.created": 2.0}
    c.expect("invoice.created", within="500ms")
    assert c.expectations["invoice.created"] == 0.5


def test_expect_without_any_limit_says_how_to_give_one() -> None:
    with pytest.raises(UsageError, match=r"no SLA limit for invoice\.created: pass within=\.\.\., "
                       r"--accord-sla invoice\.created=DURATION"):
        check({}).expect("invoice.created")


def test_nothing_to_check_is_an_error_not_a_pass() -> None:
    with pytest.raises(UsageError, match="accord_consistency has no expectations"):
        check({}).assert_consistent()
    with pytest.raises(UsageError, match=r"accord_consistency saw no order\.accepted event"):
        check({"invoice.created": 1.0}).assert_consistent()


def test_settling_waits_past_the_limit_for_stragglers() -> None:
    # Just past the limit but inside the patience: not settled yet, the invoice may come.
    c = check({"invoice.created": 1.0}, now_after_s=1.0 + patience_for(1.0) - 0.1)
    events = [event("order.accepted", "o-1", 0)]
    assert not c._settled(events, c.expectations)
    c2 = check({"invoice.created": 1.0}, now_after_s=1.0 + patience_for(1.0) + 1.0)
    assert c2._settled(events, c2.expectations)
    assert patience_for(0.1) == 5.0
    assert patience_for(12.0) == 12.0
    assert patience_for(600.0) == 30.0


# -- issue 12: failures that say why ----------------------------------------------------------


def test_a_renamed_trigger_type_names_what_was_read() -> None:
    c = check({"invoice.created": 5.0})
    c.add(event("order.created", "o-1", 0), event("order.created", "o-2", 0),
          event("invoice.created", "o-1", 1))
    with pytest.raises(SLAViolationError) as info:
        c.assert_consistent()
    assert str(info.value).splitlines()[:2] == [
        "NOTHING DECIDED: read 1 invoice.created, 2 order.created, no order.accepted",
        "SLA broken: 1 orphaned",
    ]


def test_a_wrong_record_key_is_named_a_key_mismatch() -> None:
    c = check({"invoice.created": 5.0})
    for n in range(3):
        c.add(event("order.accepted", f"o-{n}", 0), event("invoice.created", f"c-{n}", 1))
    with pytest.raises(SLAViolationError) as info:
        c.assert_consistent()
    assert str(info.value).splitlines()[:2] == [
        "key mismatch: 3 invoice.created events have keys no order.accepted has (e.g. 'c-0'), "
        "while 3 order.accepted keys have no invoice.created: is invoice.created keyed by "
        "another field? (name it with --key invoice.created=/POINTER)",
        # the orphans are not order.accepted keys: 3 of 3, not "6 of 3"
        "SLA broken: 3 of 3 order.accepted keys have violations (3 missing, 3 orphaned)",
    ]


def test_the_end_of_test_audit_closes_the_window() -> None:
    # 2 s after the trigger with a 60 s limit: pending in an open window, missing here
    c = check({"invoice.created": 60.0}, now_after_s=2)
    c.add(event("order.accepted", "o-1", 0))
    with pytest.raises(SLAViolationError) as info:
        c.assert_consistent(settle=True, timeout_s=0)
    assert info.value.report["complete"] is True
    assert info.value.report["expectations"]["invoice.created"]["missing"] == 1


def test_tracked_accepted_orders_without_a_trigger_are_untriggered() -> None:
    from accord.system import PlacedOrder

    class Client:
        def __init__(self) -> None:
            self.accepted = [PlacedOrder("earlier", 0.0)]

    c = check({"invoice.created": 5.0})
    client = Client()
    c.track(client)
    client.accepted = [*client.accepted, PlacedOrder("o-1", 0.0),
                       PlacedOrder("o-2", 0.0, "2026-11-26T12:00:00Z")]
    c.add(event("order.accepted", "o-1", 0), event("invoice.created", "o-1", 1))
    with pytest.raises(SLAViolationError) as info:
        c.assert_consistent(timeout_s=0)
    assert str(info.value).splitlines() == [
        "1 of 2 accepted orders have no order.accepted event",
        "SLA broken: 1 untriggered",
        "  untriggered  order.accepted  key o-2: order o-2 was accepted at "
        "2026-11-26T12:00:00.000000Z but no order.accepted with this key was read",
    ]
