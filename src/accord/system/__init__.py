"""The reference system as processes: start it, place orders, watch what arrives.

:class:`ReferenceSystem` runs the order, shipping and invoicing services of
``reference_services`` as child processes against a broker (or, with ``transport="atom"``,
on Atom feeds over HTTP), each with its own database, and stops them with nothing left
running. :class:`EventFollower` and :class:`FeedFollower` read what they publish.
:func:`place_orders` drives the order API at a steady rate; :func:`run_demo` places orders
and waits for each one's invoice and delivery.
``accord demo``, ``accord up`` and the pytest plugin's session fixture are built on these.
"""

from __future__ import annotations

from accord.system._atom_follow import FeedFollower
from accord.system._databases import ServiceDatabases, check_database_url
from accord.system._demo import (
    Checker,
    DemoProgress,
    DemoResult,
    Follower,
    default_checker,
    format_progress,
    run_demo,
)
from accord.system._follow import EventFollower
from accord.system._orders import (
    OrderClient,
    OrderPlacementError,
    Pacer,
    PlacedOrder,
    place_orders,
)
from accord.system._process import ServiceError, ServiceProcess, log_tail
from accord.system._reference import (
    DEFAULT_LAUNCHER,
    FEED_OF_TOPIC,
    SERVICES,
    TOPICS,
    TRANSPORTS,
    ReferenceSystem,
)
from accord.system._tracking import ArrivalSummary, ArrivalTracker, Slowest

__all__ = [
    "DEFAULT_LAUNCHER",
    "FEED_OF_TOPIC",
    "SERVICES",
    "TOPICS",
    "TRANSPORTS",
    "ArrivalSummary",
    "ArrivalTracker",
    "Checker",
    "DemoProgress",
    "DemoResult",
    "EventFollower",
    "FeedFollower",
    "Follower",
    "OrderClient",
    "OrderPlacementError",
    "Pacer",
    "PlacedOrder",
    "ReferenceSystem",
    "ServiceDatabases",
    "ServiceError",
    "ServiceProcess",
    "Slowest",
    "check_database_url",
    "default_checker",
    "format_progress",
    "log_tail",
    "place_orders",
    "run_demo",
]
