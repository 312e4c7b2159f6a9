"""``--accord-transport`` and its ini twin, as a user sees them (pytester, no broker)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.unit

pytest_plugins = ["pytester"]

SHOW = """
from accord.pytest_plugin._state import settings_key

def test_show(pytestconfig, accord_transport):
    print(f"\\nTRANSPORT {pytestconfig.stash[settings_key].transport} fixture={accord_transport}")
"""


def test_help_lists_the_option_and_its_ini_twin(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "  --accord-transport=TRANSPORT",
            "*how the reference system moves events and accord_events*",
            "  accord_transport (string):",
        ]
    )


@pytest.mark.parametrize(
    ("ini", "args", "expected"),
    [
        (None, [], "kafka"),
        ("atom", [], "atom"),
        ("atom", ["--accord-transport", "kafka"], "kafka"),
    ],
)
def test_the_command_line_wins_over_the_ini_key(
    pytester: pytest.Pytester, ini: str | None, args: list[str], expected: str
) -> None:
    if ini is not None:
        pytester.makeini(f"[pytest]\naccord_transport = {ini}\n")
    pytester.makepyfile(SHOW)
    result = pytester.runpytest("-s", *args)
    result.stdout.fnmatch_lines([f"TRANSPORT {expected} fixture={expected}"])
    assert result.ret == 0


def test_an_unknown_transport_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--accord-transport", "nats")
    result.stderr.fnmatch_lines(["ERROR: --accord-transport='nats': use kafka or atom"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
