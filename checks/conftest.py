"""``checks/`` runs against both transports: the reference system once on Kafka topics, once
on Atom feeds over HTTP (no broker).

The plugin's ``accord_transport`` fixture is parametrised here, so ``accord_reference_system``
and ``accord_events`` (and everything built on them) run once per transport: tests show as
``test_...[kafka]`` and ``test_...[atom]``. ``--accord-transport kafka|atom`` keeps one of
them; the other's tests are skipped, saying why.
"""

from __future__ import annotations

import pytest

TRANSPORTS = ("kafka", "atom")


@pytest.fixture(scope="session", params=TRANSPORTS)
def accord_transport(request: pytest.FixtureRequest) -> str:
    """Each transport in turn; only the chosen one when ``--accord-transport`` is given."""
    chosen = request.config.getoption("accord_transport")
    if chosen is not None and request.param != chosen:
        pytest.skip(f"--accord-transport={chosen}: the {request.param} run is not wanted")
    return str(request.param)
