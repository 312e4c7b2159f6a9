from __future__ import annotations

from accord.broker._base import BrokerBase, parse_bootstrap


class ExternalBroker(BrokerBase):
    """A broker someone else runs; accord only connects to it.

    Args:
        bootstrap_servers: ``host:port[,host:port...]``; anything else raises ``UsageError``.
        ready_timeout_s: how long :meth:`start` waits for a metadata round trip.
    """

    def __init__(self, bootstrap_servers: str, ready_timeout_s: float = 30.0) -> None:
        super().__init__(parse_bootstrap(bootstrap_servers))
        self._ready_timeout_s = ready_timeout_s

    def start(self) -> ExternalBroker:
        self.wait_ready(self._ready_timeout_s)
        return self
