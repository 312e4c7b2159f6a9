"""The order service as a Pact provider (used by ``checks/contracts`` and
``accord verify --provider order``, which loads it by its dotted path).

Provider states go through the order service layer (``handlers.place_order``) on a fresh
database; the message under test is the record the real :class:`OutboxRelay` hands to its
publisher for that order (the outbox row, ``accord.events.to_kafka``), captured instead of
sent; HTTP interactions go to the real FastAPI app served by uvicorn on a free 127.0.0.1 port,
with the Atom feed routes (``/feed``, ``/feed/archive/{n}``) of ``--transport atom``: a state's
order is moved from the outbox into the feed log by the real :class:`FeedRelay`, so the feed
the pollers' pacts describe is the one the order service serves.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Mapping
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from accord.errors import AccordError
from accord.events import KafkaMessage

if TYPE_CHECKING:
    from reference_services.common.runtime import HttpServer

__all__ = ["DEFAULT_ORDER_ID", "KNOWN_STATES", "OrderProvider", "order_provider"]

#: The order id consumers' pacts use in their provider-state parameters by default.
DEFAULT_ORDER_ID = "6d5f8a2e-0b7c-4c1e-9a3d-2f4b6c8d0e1f"
#: Provider states this provider can set up; each places one order through the service layer.
KNOWN_STATES = ("an order was accepted", "an order exists", "an order is in the feed")
#: States whose order is also appended to the Atom feed (the outbox rows stay unsent for
#: Kafka messages otherwise: the relay marks what it appends as sent).
FEED_STATES = ("an order is in the feed",)
_NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


class _CapturingPublisher:
    """A relay publisher that keeps the records instead of sending them to Kafka."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, KafkaMessage]] = []

    def send(self, topic: str, message: KafkaMessage) -> Future[None]:
        self.sent.append((topic, message))
        done: Future[None] = Future()
        done.set_result(None)
        return done


class OrderProvider:
    """The order service wired for provider verification; a context manager.

    Args:
        database_url: SQLAlchemy URL of an empty database (PostgreSQL or SQLite); a SQLite
            file in a temporary directory when omitted. Tables are recreated per state.
        http: Serve the HTTP API for HTTP interactions.
    """

    name = "order"

    def __init__(self, database_url: str | None = None, *, http: bool = True) -> None:
        self._database_url = database_url
        self._serve_http = http
        self.http_url: str | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._engine: Any = None
        self._server: HttpServer | None = None
        self._order_id: str | None = None
        self._feed: Any = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Self:
        from reference_services.common.db import create_db_engine

        url = self._database_url
        if url is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="accord-pact-order-")
            url = f"sqlite:///{Path(self._tmp.name) / 'order.db'}"
        self._engine = create_db_engine(url)
        self._reset()
        if self._serve_http:
            self._start_http()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._engine is not None:
            self._engine.dispose()
        if self._tmp is not None:
            self._tmp.cleanup()

    def _start_http(self) -> None:
        from reference_services.common.runtime import HttpServer
        from reference_services.order.entrypoints import create_app
        from reference_services.order.service_layer.unit_of_work import SqlAlchemyUnitOfWork

        engine = self._engine
        # Any: the order service's UnitOfWork Protocol and its SQLAlchemy class differ in
        # __enter__/__exit__ signatures only.
        make_uow: Any = lambda: SqlAlchemyUnitOfWork(engine)  # noqa: E731
        from reference_services.common.atom import FeedLog, add_feed_routes

        app = create_app(make_uow, now=lambda: _NOW)
        add_feed_routes(app, "order", FeedLog(engine, self._feed_table()))
        server = HttpServer(app)
        try:
            server.start(timeout_s=15)
        except RuntimeError as exc:
            raise AccordError(f"order service HTTP API: {exc}") from None
        self._server = server
        self.http_url = server.url

    def _feed_table(self) -> Any:
        """The order service's feed-log table (``--transport atom``), made once."""
        if self._feed is None:
            from sqlalchemy import MetaData

            from reference_services.common.atom import feed_log_table

            self._feed = feed_log_table(MetaData(), "order_feed")
        return self._feed

    def _reset(self) -> None:
        from reference_services.order.adapters import catalogue, orm

        orm.metadata.drop_all(self._engine)
        orm.metadata.create_all(self._engine)
        feed = self._feed_table()
        feed.metadata.drop_all(self._engine)
        feed.metadata.create_all(self._engine)
        catalogue.seed(self._engine)
        self._order_id = None

    def _append_to_feed(self) -> None:
        """What the feed relay of ``--transport atom`` does: committed outbox rows -> feed log."""
        from reference_services.common.atom import FeedRelay
        from reference_services.order.adapters import orm

        relay = FeedRelay(
            self._engine,
            orm.outbox,
            self._feed_table(),
            lambda event: "/orders/{orderId}".format(**event["data"]),
            clock=lambda: _NOW,
        )
        while relay.append_pending():
            pass

    # -- provider states ---------------------------------------------------------------------
    def state(self, state: str, action: str, parameters: Mapping[str, Any]) -> None:
        """Set up a provider state by placing an order through the service layer.

        Parameters (all optional): ``orderId``, ``customerId`` (``c-1``..``c-4``), ``lines``
        as ``[[count, itemId], ...]`` (items ``i-1``..``i-5``).
        """
        if action != "setup" or state == "":
            return
        if state not in KNOWN_STATES:
            raise AccordError(
                f"unknown provider state {state!r} for provider 'order'; known: "
                f"{', '.join(KNOWN_STATES)}"
            )
        from reference_services.order.domain import Address
        from reference_services.order.service_layer import handlers
        from reference_services.order.service_layer.unit_of_work import SqlAlchemyUnitOfWork

        self._reset()
        order_id = uuid.UUID(str(parameters.get("orderId", DEFAULT_ORDER_ID)))
        lines = [(int(c), str(i)) for c, i in parameters.get("lines", [[2, "i-1"], [1, "i-4"]])]
        command = handlers.PlaceOrder(
            customer_id=str(parameters.get("customerId", "c-1")),
            shipping_address=Address("1 Infinite Loop", "95014", "Cupertino"),
            billing_address=Address("2 Main Street", "10115", "Berlin"),
            lines=lines,
        )
        uow: Any = SqlAlchemyUnitOfWork(self._engine)
        handlers.place_order(command, uow, now=lambda: _NOW, new_id=lambda: order_id)
        self._order_id = str(order_id)
        if state in FEED_STATES:
            self._append_to_feed()

    # -- messages ------------------------------------------------------------------------------
    def message(self, description: str, metadata: Mapping[str, Any]) -> KafkaMessage:
        """The record the outbox relay publishes for the order of the current state."""
        from reference_services.common.outbox import OutboxRelay
        from reference_services.order.adapters import orm

        publisher = _CapturingPublisher()
        OutboxRelay(self._engine, orm.outbox, publisher).publish_pending()
        for _topic, record in reversed(publisher.sent):
            if self._order_id is None or record.key.decode() == self._order_id:
                return record
        raise AccordError(
            f"message {description!r}: the order service's outbox relay published nothing; the "
            f"interaction needs a provider state that places an order ({', '.join(KNOWN_STATES)})"
        )


def order_provider(database_url: str | None = None) -> OrderProvider:
    """The default provider adapter for ``accord verify --provider order``."""
    return OrderProvider(database_url)
