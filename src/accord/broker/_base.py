from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from accord._durations import format_duration
from accord.errors import BrokerError

#: Tansu makes a group's first join wait about half the session timeout, so keep it short;
#: 6 s is also the smallest session timeout Apache Kafka accepts by default.
_SESSION_TIMEOUT_MS = 6000
_HEARTBEAT_INTERVAL_MS = 1000


@runtime_checkable
class Broker(Protocol):
    """What accord needs from a Kafka-protocol broker."""

    @property
    def bootstrap_servers(self) -> str:
        """``host:port[,host:port]`` for Kafka clients."""
        ...

    def start(self) -> Self:
        """Start (or connect to) the broker and return once a metadata round trip works."""
        ...

    def stop(self) -> None:
        """Stop what :meth:`start` started; idempotent."""
        ...

    def consumer_config(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for ``kafka.KafkaConsumer``."""
        ...

    def producer_config(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for ``kafka.KafkaProducer``."""
        ...

    def admin_config(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for ``kafka.KafkaAdminClient``."""
        ...

    def create_topics(self, names: Iterable[str], partitions: int = 3) -> None:
        """Create topics that do not exist yet; existing ones are left alone."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class BrokerBase:
    """Shared client settings and topic handling; subclasses provide start/stop."""

    def __init__(self, bootstrap_servers: str = "") -> None:
        self._bootstrap = bootstrap_servers

    @property
    def bootstrap_servers(self) -> str:
        if not self._bootstrap:
            raise BrokerError("broker is not started: use it as a context manager or call start()")
        return self._bootstrap

    def start(self) -> Self:
        self.wait_ready()
        return self

    def stop(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._bootstrap or 'not started'})"

    # -- client settings ----------------------------------------------------------------
    def consumer_config(self, **overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "session_timeout_ms": _SESSION_TIMEOUT_MS,
            "heartbeat_interval_ms": _HEARTBEAT_INTERVAL_MS,
            "auto_offset_reset": "earliest",
            "enable_auto_commit": False,
        }
        config.update(overrides)
        return config

    def producer_config(self, **overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "acks": "all",
            "linger_ms": 5,
        }
        config.update(overrides)
        return config

    def admin_config(self, **overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {"bootstrap_servers": self.bootstrap_servers}
        config.update(overrides)
        return config

    # -- topics and readiness -------------------------------------------------------------
    def create_topics(self, names: Iterable[str], partitions: int = 3) -> None:
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic
        from kafka.errors import TopicAlreadyExistsError

        admin = KafkaAdminClient(**self.admin_config())
        try:
            existing = set(admin.list_topics())
            wanted = [
                NewTopic(name, num_partitions=partitions, replication_factor=1)
                for name in dict.fromkeys(names)
                if name not in existing
            ]
            if wanted:
                # Another client may create one meanwhile: that is what we wanted anyway.
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics(wanted)
        finally:
            admin.close()

    def _check_alive(self) -> None:
        """Raise :class:`BrokerError` if the broker process is known to be gone."""

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Return once a metadata round trip succeeds; raise :class:`BrokerError` otherwise."""
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        def round_trip() -> None:
            self._check_alive()
            admin = KafkaAdminClient(
                **self.admin_config(request_timeout_ms=3000, bootstrap_timeout_ms=3000)
            )
            try:
                admin.list_topics()
            finally:
                admin.close()

        try:
            for attempt in Retrying(
                stop=stop_after_delay(timeout_s),
                wait=wait_fixed(0.1),
                retry=retry_if_exception_type((KafkaError, OSError)),
                reraise=True,
            ):
                with attempt:
                    round_trip()
        except (KafkaError, OSError) as exc:
            raise BrokerError(
                f"broker at {self._bootstrap} did not answer a metadata request within "
                f"{format_duration(timeout_s)} ({describe(exc)})"
            ) from exc


#: kafka-python setting -> librdkafka property, for the settings accord's readers use.
_LIBRDKAFKA_NAMES = {
    "bootstrap_servers": "bootstrap.servers",
    "client_id": "client.id",
    "group_id": "group.id",
    "session_timeout_ms": "session.timeout.ms",
    "heartbeat_interval_ms": "heartbeat.interval.ms",
    "max_poll_interval_ms": "max.poll.interval.ms",
    "auto_offset_reset": "auto.offset.reset",
    "enable_auto_commit": "enable.auto.commit",
    "fetch_max_wait_ms": "fetch.wait.max.ms",
    "fetch_min_bytes": "fetch.min.bytes",
    "fetch_max_bytes": "fetch.max.bytes",
    "max_partition_fetch_bytes": "max.partition.fetch.bytes",
    "isolation_level": "isolation.level",
    "security_protocol": "security.protocol",
    "sasl_mechanism": "sasl.mechanism",
    "sasl_plain_username": "sasl.username",
    "sasl_plain_password": "sasl.password",
    "ssl_cafile": "ssl.ca.location",
    "ssl_certfile": "ssl.certificate.location",
    "ssl_keyfile": "ssl.key.location",
    "request_timeout_ms": "socket.timeout.ms",
}


def to_librdkafka(config: Mapping[str, Any]) -> dict[str, Any]:
    """Consumer settings in kafka-python's spelling as librdkafka (confluent-kafka) properties.

    :meth:`Broker.consumer_config` speaks kafka-python (the reference services use it); the
    readers of :mod:`accord.sources` use librdkafka, from the same settings. Properties
    already spelt with dots pass through; kafka-python settings librdkafka has no use for
    (``bootstrap_timeout_ms``, ``api_version``, deserializers) are left out; ``None``
    values are left out (librdkafka's default then).
    """
    settings: dict[str, Any] = {}
    for name, value in config.items():
        if value is None:
            continue
        if "." in name:
            settings[name] = value
        elif name in _LIBRDKAFKA_NAMES:
            settings[_LIBRDKAFKA_NAMES[name]] = value
    return settings


def describe(exc: BaseException) -> str:
    """``Type: message`` once, although kafka-python's messages already start with the type."""
    text = str(exc)
    name = type(exc).__name__
    return text if text.startswith(name) else f"{name}: {text}"


def parse_bootstrap(servers: str) -> str:
    """Check ``host:port[,host:port...]`` and return it; :class:`UsageError` otherwise."""
    from accord.errors import UsageError

    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise UsageError(
                f"{servers!r} is not a bootstrap address: use HOST:PORT[,HOST:PORT], "
                "e.g. 127.0.0.1:9092"
            )
    return servers


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port_closed(host: str, port: int, timeout_s: float = 10.0) -> None:
    """Block until nothing accepts connections on ``host:port``."""
    deadline = time.monotonic() + timeout_s
    while port_open(host, port):
        if time.monotonic() > deadline:
            raise BrokerError(
                f"{host}:{port} still accepts connections after {format_duration(timeout_s)}"
            )
        time.sleep(0.05)
