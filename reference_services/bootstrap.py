"""Wires each reference service: database, unit of work, app, outbox relay, consumer.

The one place that knows every layer; nothing in ``reference_services`` imports it except the
process main (``common/cli.py``). ``transport="kafka"`` (the default) publishes the outbox to
Kafka and consumes topic ``order``; ``transport="atom"`` serves the outbox as an Atom feed
(``/feed``) and polls the order service's feed instead (see ``common/atom``). The domain and
the service layer are the same for both.

``bootstrap("order")`` with no other argument gives an app on a throw-away SQLite database
without Kafka (what unit tests and schemathesis use). With ``bootstrap_servers`` the service
gets its outbox relay and, for shipping and invoicing, its consumer; call
``runtime.start()``/``runtime.stop()`` (or use it as a context manager) to run them.
:func:`running` also serves the app over HTTP on a free 127.0.0.1 port, in-process.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import Engine

from reference_services.common.consumer import DLQ_SUFFIX, EventConsumer
from reference_services.common.db import create_db_engine, default_database_url, wait_for_database
from reference_services.common.outbox import KafkaPublisher, OutboxRelay
from reference_services.common.runtime import HttpServer, ServiceRuntime

__all__ = ["SERVICES", "TRANSPORTS", "RunningService", "Topics", "bootstrap", "running"]

SERVICES = ("order", "shipping", "invoicing")
TRANSPORTS = ("kafka", "atom")


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic names; tests sharing one broker use unique ones."""

    order: str = "order"
    delivery: str = "delivery"
    invoice: str = "invoice"

    def renames(self) -> dict[str, str]:
        return {"order": self.order, "delivery": self.delivery, "invoice": self.invoice}


@dataclass
class _Kafka:
    runtime: ServiceRuntime
    bootstrap_servers: str | None
    topics: Topics
    group_id: str | None
    processing_delay_ms: int
    outbox_stall_s: float = 30.0
    broker: Any = field(default=None)

    def connect(self, *needed: str) -> None:
        if self.bootstrap_servers is None:
            return
        from reference_services.common.kafka import connect, ensure_topics, make_producer

        broker = self.broker = connect(self.bootstrap_servers)
        ensure_topics(broker, needed)
        client_id = f"reference-{self.runtime.name}"

        def renewed_producer() -> Any:
            # After a restart a memory-only broker has lost its topics too.
            ensure_topics(broker, needed)
            return make_producer(broker, client_id=client_id)

        self.runtime.publisher = KafkaPublisher(
            make_producer(broker, client_id=client_id), factory=renewed_producer
        )

    def relay(self, table: Any) -> Callable[[], None] | None:
        """Attach the outbox relay; return its ``wake`` for the unit of work."""
        if self.runtime.publisher is None:
            return None
        from reference_services.common.faults import crash_hook

        self.runtime.relay = OutboxRelay(
            self.runtime.engine,
            table,
            crash_hook(self.runtime.publisher),  # the publisher itself unless a test asks
            topic_names=self.topics.renames(),
            stall_after_s=self.outbox_stall_s,
        )
        return self.runtime.relay.wake

    def consume(self, handler: Callable[[dict[str, Any]], object]) -> None:
        if self.runtime.publisher is None:
            return
        from reference_services.common.kafka import make_consumer

        broker, name = self.broker, self.runtime.name
        group = self.group_id or name
        # A slow consumer takes fewer records per poll, so that one batch of delays stays far
        # below max.poll.interval.ms (5 min) and the group does not evict it.
        per_poll = (
            100
            if self.processing_delay_ms <= 0
            else max(1, min(100, 30_000 // self.processing_delay_ms))
        )
        self.runtime.consumer = EventConsumer(
            lambda: make_consumer(
                broker, group, client_id=f"reference-{name}", max_poll_records=per_poll
            ),
            [self.topics.order],
            {"order.accepted": handler},
            self.runtime.publisher,
            processing_delay_s=self.processing_delay_ms / 1000,
        )


@dataclass
class _Atom:
    """The Atom transport: the outbox goes into a feed log served at ``/feed``; shipping and
    invoicing poll the order service's feed."""

    runtime: ServiceRuntime
    order_feed: str | None
    poll_interval_ms: int
    page_size: int
    processing_delay_ms: int
    stall_after_s: float = 30.0
    log: Any = field(default=None)
    topics: Topics = field(default_factory=Topics)

    #: Each entry's details link: the service's existing route for what the event is about.
    DETAILS: ClassVar[dict[str, str]] = {
        "order": "/orders/{orderId}",
        "shipping": "/deliveries/{deliveryId}",
        "invoicing": "/invoices/{invoiceId}",
    }

    def connect(self, *needed: str) -> None:
        """No broker: nothing to connect to."""

    def relay(self, table: Any) -> Callable[[], None] | None:
        """The feed relay and the feed-log table; return the relay's ``wake``."""
        from sqlalchemy import MetaData

        from reference_services.common.atom import FeedLog, FeedRelay, feed_log_table
        from reference_services.common.atom.log import fix_page_size

        name = self.runtime.name
        details = self.DETAILS[name]
        feed = feed_log_table(MetaData(), f"{name}_feed")
        fix_page_size(self.runtime.engine, feed, self.page_size)
        relay = FeedRelay(
            self.runtime.engine,
            table,
            feed,
            lambda event: details.format(**event["data"]),
            stall_after_s=self.stall_after_s,
        )
        self.runtime.relay = relay  # type: ignore[assignment]
        self.log = FeedLog(self.runtime.engine, feed)
        return relay.wake

    def serve(self, app: Any) -> None:
        from reference_services.common.atom import add_feed_routes

        add_feed_routes(app, self.runtime.name, self.log, page_size=self.page_size)
        if self.order_feed is not None:
            from sqlalchemy import MetaData

            from reference_services.common.atom import poller_tables
            from reference_services.common.atom.server import add_dead_letter_routes

            tables = poller_tables(MetaData(), self.runtime.name)
            add_dead_letter_routes(app, self.runtime.name, self.runtime.engine, tables.dead_letters)

    def poll(
        self,
        uow_class: Callable[[Engine, Callable[[], None] | None], Any],
        wake: Callable[[], None] | None,
        handle: Callable[[dict[str, Any], Any], object],
    ) -> None:
        """Poll the order feed; the handler's unit of work commits the position too."""
        if self.order_feed is None:
            return
        from sqlalchemy import MetaData

        from reference_services.common.atom import FeedPoller, poller_tables
        from reference_services.common.atom.poller import with_position

        engine = self.runtime.engine
        tables = poller_tables(MetaData(), self.runtime.name)
        tables.positions.metadata.create_all(engine)
        positioned = with_position(uow_class)

        def handler(event: dict[str, Any], record: Callable[[Any], None]) -> object:
            uow = positioned(engine, wake)
            uow.record_position = record
            return handle(event, uow)

        self.runtime.consumer = FeedPoller(  # type: ignore[assignment]
            engine,
            tables,
            self.order_feed,
            handler,
            interval_s=self.poll_interval_ms / 1000,
            processing_delay_s=self.processing_delay_ms / 1000,
            stall_after_s=self.stall_after_s,
        )


def bootstrap(
    service: str,
    *,
    database_url: str | None = None,
    bootstrap_servers: str | None = None,
    processing_delay_ms: int = 0,
    group_id: str | None = None,
    topics: Topics | None = None,
    now: Callable[[], datetime] | None = None,
    outbox_stall_s: float = 30.0,
    transport: str = "kafka",
    order_feed: str | None = None,
    poll_interval_ms: int = 100,
    feed_page_size: int = 50,
) -> ServiceRuntime:
    """Build one service, not yet started.

    Args:
        service: ``order``, ``shipping`` or ``invoicing``.
        database_url: SQLAlchemy URL (``sqlite:///file``, ``postgresql://...``); when omitted,
            a SQLite file in a temporary directory that :meth:`ServiceRuntime.stop` removes.
            Tables are created and the order catalogue seeded.
        bootstrap_servers: Kafka ``host:port``; without it there is no relay and no consumer
            (outbox rows stay unsent).
        processing_delay_ms: consumers wait this long before each event (slow on purpose).
        group_id: consumer group; the service name by default.
        topics: topic names; the standard ``order``/``delivery``/``invoice`` by default.
        now: the clock for acceptance and creation times.
        outbox_stall_s: ``/health`` says 503 once the oldest unsent outbox row is older
            (with ``atom``: also once the poller has had no good round for that long).
        transport: ``kafka`` or ``atom`` (serve ``/feed``; shipping and invoicing poll
            ``order_feed``; ``bootstrap_servers`` is ignored).
        order_feed: the order service's feed URL (``atom``; shipping and invoicing only;
            without it they serve their feeds but poll nothing).
        poll_interval_ms: pause between two polls of the order feed (``atom``).
        feed_page_size: entries per archive page of the service's own feed (``atom``).

    Raises:
        ValueError: unknown service.
        accord.errors.BrokerError: the broker did not answer.
    """
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}: choose one of {', '.join(SERVICES)}")
    if transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r}: choose one of {', '.join(TRANSPORTS)}")
    scratch = None
    if database_url is None:
        # A throw-away file rather than ":memory:": the HTTP threads, the relay and the consumer
        # each need their own connection, which one shared in-memory connection cannot give.
        scratch = tempfile.TemporaryDirectory(prefix=f"accord-{service}-")
        database_url = default_database_url(service, Path(scratch.name))
    engine = create_db_engine(database_url)
    runtime = ServiceRuntime(service, engine, scratch=scratch)
    kafka: _Kafka | _Atom
    if transport == "atom":
        kafka = _Atom(
            runtime, order_feed, poll_interval_ms, feed_page_size, processing_delay_ms,
            outbox_stall_s,
        )  # fmt: skip
    else:
        kafka = _Kafka(
            runtime, bootstrap_servers, topics or Topics(), group_id, processing_delay_ms,
            outbox_stall_s,
        )  # fmt: skip
    clock = now or (lambda: datetime.now(UTC))
    try:
        if service == "order":
            _order(runtime, kafka, clock)
        elif service == "shipping":
            _shipping(runtime, kafka, clock)
        else:
            _invoicing(runtime, kafka, clock)
        if isinstance(kafka, _Atom):
            kafka.serve(runtime.app)
    except BaseException:
        runtime.stop()
        raise
    return runtime


def _order(runtime: ServiceRuntime, kafka: _Kafka, clock: Callable[[], datetime]) -> None:
    from reference_services.order.adapters import catalogue, orm
    from reference_services.order.entrypoints import create_app
    from reference_services.order.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    engine = runtime.engine
    wait_for_database(engine, orm.metadata)
    catalogue.seed(engine)
    kafka.connect(kafka.topics.order)
    wake = kafka.relay(orm.outbox)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine, wake)

    runtime.uow_factory = uow_factory
    runtime.app = create_app(uow_factory, ready=runtime.ready, now=clock)


def _shipping(runtime: ServiceRuntime, kafka: _Kafka, clock: Callable[[], datetime]) -> None:
    from reference_services.shipping.adapters import orm
    from reference_services.shipping.entrypoints import create_app
    from reference_services.shipping.service_layer import handlers, unit_of_work

    _consumer_service(
        runtime, kafka, clock, orm, kafka.topics.delivery,
        unit_of_work.SqlAlchemyUnitOfWork, handlers.handle_order_accepted, create_app,
    )  # fmt: skip


def _invoicing(runtime: ServiceRuntime, kafka: _Kafka, clock: Callable[[], datetime]) -> None:
    from reference_services.invoicing.adapters import orm
    from reference_services.invoicing.entrypoints import create_app
    from reference_services.invoicing.service_layer import handlers, unit_of_work

    _consumer_service(
        runtime, kafka, clock, orm, kafka.topics.invoice,
        unit_of_work.SqlAlchemyUnitOfWork, handlers.handle_order_accepted, create_app,
    )  # fmt: skip


def _consumer_service(
    runtime: ServiceRuntime,
    kafka: _Kafka | _Atom,
    clock: Callable[[], datetime],
    orm: Any,
    out_topic: str,
    uow_class: Callable[[Engine, Callable[[], None] | None], Any],
    handle_order_accepted: Callable[..., object],
    create_app: Callable[..., Any],
) -> None:
    """Shipping and invoicing are wired alike: tables, topics, relay, consumer, app."""
    engine = runtime.engine
    wait_for_database(engine, orm.metadata)
    kafka.connect(kafka.topics.order, kafka.topics.order + DLQ_SUFFIX, out_topic)
    wake = kafka.relay(orm.outbox)

    def uow_factory() -> Any:
        return uow_class(engine, wake)

    def handle(event: dict[str, Any]) -> object:
        return handle_order_accepted(event, uow_factory(), now=clock)

    runtime.uow_factory = uow_factory
    if isinstance(kafka, _Atom):
        kafka.poll(uow_class, wake, lambda event, uow: handle_order_accepted(event, uow, now=clock))
    else:
        kafka.consume(handle)
    runtime.app = create_app(uow_factory, ready=runtime.ready)


@dataclass
class RunningService:
    """A service started in-process by :func:`running`."""

    runtime: ServiceRuntime
    server: HttpServer

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def running(
    service: str, *, ready_timeout_s: float = 30.0, **settings: Any
) -> Iterator[RunningService]:
    """Bootstrap ``service``, start its workers and serve it on a free 127.0.0.1 port.

    Yields once ``runtime.ready()`` holds (for consumers: partitions assigned); stops
    everything on exit. ``settings`` are :func:`bootstrap`'s keyword arguments.
    """
    runtime = bootstrap(service, **settings)
    try:
        runtime.start()
        with HttpServer(runtime.app) as server:
            deadline = time.monotonic() + ready_timeout_s
            while not runtime.ready()[0]:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{service} not ready after {ready_timeout_s:.0f}s: {runtime.ready()[1]}"
                    )
                time.sleep(0.05)
            yield RunningService(runtime, server)
    finally:
        runtime.stop()
