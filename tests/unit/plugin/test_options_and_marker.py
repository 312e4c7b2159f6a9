"""The plugin's options, ini keys and marker, as a user sees them (pytester, no broker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.pytest_plugin._options import marker_limits, parse_sla

pytestmark = pytest.mark.unit

pytest_plugins = ["pytester"]

SHOW_SETTINGS = """
from accord.pytest_plugin._state import settings_key

def test_show(pytestconfig):
    s = pytestconfig.stash[settings_key]
    print(f"\\nSETTINGS kafka={s.kafka} report={s.report_dir} sla={dict(sorted(s.sla.items()))} "
          f"db={s.database_url} topics={list(s.topics)} contracts={s.contracts}")
"""


def test_help_lists_the_accord_group_and_ini_keys(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps help text at the terminal width
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "accord: event contracts and consistency SLAs:",
            "  --accord-kafka=BROKER",
            "                        broker for accord's fixtures: embedded (default),",
            "                        testcontainers or HOST:PORT [ini: accord_kafka]",
            "  --accord-contracts=DIR",
            "  --accord-report=DIR   write the SLA report (report.json, junit.xml,",
            "  --accord-sla=TYPE=DURATION",
            "  --accord-database-url=URL",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "  accord_kafka (string):",
            "  accord_contracts (string):",
            "  accord_report (string):",
            "  accord_sla (linelist):",
            "  accord_database_url (string):",
            "  accord_topics (args): topics accord_events records from the start of every",
        ]
    )


def test_markers_show_the_accord_sla_signature(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.accord_sla(**limits): per-test SLA limits by event type, overriding "
            "--accord-sla and the accord_sla ini key, e.g. "
            'accord_sla(**{"invoice.created": "5s"}) or accord_sla(invoice_created="5s") '
            "(an underscore in a name without a dot means a dot)",
        ]
    )


def test_defaults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SHOW_SETTINGS)
    result = pytester.runpytest("-s")
    result.stdout.fnmatch_lines(
        [f"SETTINGS kafka=embedded report=None sla={{}} db=None topics=[] "
         f"contracts={pytester.path}/contracts"]
    )
    assert result.ret == 0


def test_ini_keys_and_command_line_precedence(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        accord_kafka = 127.0.0.1:19092
        accord_contracts = my-contracts
        accord_report = out/reports
        accord_sla =
            invoice.created = 30s
            delivery.created=2m
        accord_database_url = postgresql+psycopg://ci@db/postgres
        accord_topics = order invoice
        """
    )
    pytester.makepyfile(SHOW_SETTINGS)
    result = pytester.runpytest("-s", "--accord-sla", "invoice.created=500ms")
    result.stdout.fnmatch_lines(
        [
            "SETTINGS kafka=127.0.0.1:19092 "
            f"report={pytester.path}/out/reports "
            "sla={'delivery.created': 120.0, 'invoice.created': 0.5} "
            "db=postgresql+psycopg://ci@db/postgres topics=['order', 'invoice'] "
            f"contracts={pytester.path}/my-contracts"
        ]
    )


def test_a_bad_sla_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--accord-sla", "invoice.created=soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --accord-sla: invoice.created: 'soon' is not a duration: "
            "use a number with a unit, e.g. 500ms, 60s, 2m, 1h"
        ]
    )


def test_an_sla_without_a_type_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--accord-sla", "60s")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --accord-sla: '60s' is not TYPE=DURATION; write e.g. invoice.created=60s"]
    )


def test_an_unknown_broker_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--accord-kafka", "kafka")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --accord-kafka='kafka': use embedded, testcontainers or HOST:PORT"]
    )


def test_testcontainers_without_docker_skips_with_the_reason(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No Docker engine at this address, whatever the machine has.
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    pytester.makepyfile("def test_needs_a_broker(accord_broker): pass")
    result = pytester.runpytest("--accord-kafka=testcontainers", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] *: accord: --accord-kafka=testcontainers: no Docker engine reachable: "
            "the testcontainers broker needs one (*); use --accord-kafka=embedded or "
            "HOST:PORT instead"
        ]
    )


def test_missing_contracts_directory_errors_with_what_to_do(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(accord_contracts): pass")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "___________________________ ERROR at setup of test_x ___________________________",
            f"accord: no contracts at {pytester.path}/contracts: "
            "pass --accord-contracts DIR|ASYNCAPI or set accord_contracts in the ini file "
            "(or contracts in [tool.accord])"
        ]
    )


def test_tool_accord_contracts_may_name_an_asyncapi_document(pytester: pytest.Pytester) -> None:
    import shutil

    repo = Path(__file__).resolve().parents[3]
    shutil.copytree(repo / "examples" / "asyncapi-shop", pytester.path / "shop")
    pytester.makepyprojecttoml('[tool.accord]\ncontracts = "shop/asyncapi.yaml"\n')
    pytester.makepyfile(
        "def test_x(accord_contracts):\n"
        "    assert accord_contracts.types == ('payment.received', 'receipt.issued')\n"
        "    assert accord_contracts.mode('payment.received') == 'FULL_TRANSITIVE'\n"
    )
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((), {"invoice_created": "5s"}, {"invoice.created": 5.0}),
        (({"invoice.created": "250ms"},), {}, {"invoice.created": 0.25}),
        ((), {"delivery_created": 90}, {"delivery.created": 90.0}),
        (({"order_line.added": "1m"},), {}, {"order_line.added": 60.0}),
    ],
)
def test_marker_limits(
    args: tuple[object, ...], kwargs: dict[str, object], expected: dict[str, float]
) -> None:
    mark = pytest.mark.accord_sla(*args, **kwargs).mark
    assert marker_limits(mark) == expected


def test_marker_limits_reject_a_bad_duration() -> None:
    mark = pytest.mark.accord_sla(invoice_created="quickly").mark
    with pytest.raises(pytest.UsageError, match=r"accord_sla\(invoice_created=...\): 'quickly'"):
        marker_limits(mark)


def test_parse_sla_skips_blank_lines_and_strips() -> None:
    assert parse_sla(["", " invoice.created = 1.5s "], "ini") == {"invoice.created": 1.5}


def test_eventually_fixture_polls_and_says_what_it_saw_last(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import itertools

        def test_comes_true(eventually):
            counter = itertools.count()
            assert eventually(lambda: next(counter) >= 3, within="2s", interval="10ms")

        def test_never_true(eventually):
            eventually(lambda: {"invoices": 0}["invoices"], within="200ms", interval="50ms",
                       message="an invoice for order 42")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   *EventuallyError: an invoice for order 42: not true within 200ms "
            "(deadline *, * attempts); last value observed: 0"
        ]
    )
