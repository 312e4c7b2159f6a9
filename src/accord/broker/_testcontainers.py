from __future__ import annotations

from typing import Any

from accord.broker._base import BrokerBase
from accord.errors import BrokerError

DEFAULT_IMAGE = "confluentinc/cp-kafka:7.6.1"


class TestcontainersBroker(BrokerBase):
    """Apache Kafka in a Docker container, through testcontainers.

    Needs a reachable Docker engine; without one :meth:`start` raises :class:`BrokerError`
    naming the missing engine.
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, image: str = DEFAULT_IMAGE) -> None:
        super().__init__()
        self._image = image
        self._container: Any = None

    def start(self) -> TestcontainersBroker:
        try:
            import docker

            try:
                from testcontainers.community.kafka import KafkaContainer
            except ImportError:  # testcontainers < 4.9
                from testcontainers.kafka import KafkaContainer
        except ImportError as exc:  # pragma: no cover - both are dependencies of accord
            raise BrokerError(f"testcontainers is not installed: {exc}") from exc
        try:
            docker.from_env().ping()
        except Exception as exc:
            raise BrokerError(
                "no Docker engine reachable: the testcontainers broker needs one "
                f"({type(exc).__name__}); use --accord-kafka=embedded or HOST:PORT instead"
            ) from exc
        container = KafkaContainer(self._image).with_kraft()
        container.start()
        self._container = container
        self._bootstrap = container.get_bootstrap_server()
        self.wait_ready()
        return self

    def stop(self) -> None:
        if self._container is not None:
            self._container.stop()
            self._container = None
