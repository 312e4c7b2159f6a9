"""Setup problems a user makes read as one line, not a traceback (pytester)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
pytest_plugins = ["pytester"]

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"


def test_an_unreachable_database_url_fails_the_setup_in_one_line(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        def test_uses_the_system(accord_reference_system):
            pass
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider",
        "--accord-contracts", str(CONTRACTS),
        "--accord-database-url", "postgresql+psycopg://postgres@127.0.0.1:1/postgres",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["accord: reference system: *127.0.0.1*1*"])
    assert "Traceback" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()
    assert "_fixtures.py" not in result.stdout.str()
