from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

#: Where ``accord broker start`` listens unless told otherwise: Kafka's usual port, so
#: ``kafka://127.0.0.1:9092/...`` in the docs works as written.
DEFAULT_PORT = 9092


def register(sub: argparse._SubParsersAction[Any]) -> None:
    broker = sub.add_parser(
        "broker",
        help="run a Kafka-protocol broker",
        description="Run the embedded Kafka-protocol broker (Tansu, memory storage).",
    )
    broker_sub = broker.add_subparsers(dest="broker_command", metavar="COMMAND")
    start = broker_sub.add_parser(
        "start",
        help="run the embedded broker (Tansu) in the foreground until Ctrl-C",
        description="Run the embedded broker in the foreground on 127.0.0.1, print its "
        "bootstrap address, and stop it cleanly on Ctrl-C or SIGTERM.",
    )
    start.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        metavar="PORT",
        help="listen on this port of 127.0.0.1; 0 for a free one (default: %(default)s)",
    )
    start.add_argument(
        "--log",
        default=None,
        metavar="FILE",
        help="write the broker's log here (default: a temp file)",
    )
    start.add_argument(
        "--topics",
        default="order,delivery,invoice",
        metavar="TOPICS",
        help="comma-separated topics to create, 3 partitions each (default: %(default)s)",
    )
    start.add_argument(
        "--enforce-schemas",
        action="store_true",
        help="reject records whose value does not match the event schemas in --contracts",
    )
    start.add_argument(
        "--contracts",
        default="contracts",
        metavar="DIR|ASYNCAPI",
        help="the event schemas for --enforce-schemas: a contracts directory with "
        "schemas/<type>/vN.json, or an AsyncAPI 3 document (its channels name the topics) "
        "(default: %(default)s)",
    )
    start.set_defaults(handler=_start)
    broker.set_defaults(handler=lambda args: (broker.print_help(sys.stderr), 2)[1])


def _start(args: argparse.Namespace) -> int:
    import tempfile

    from accord.broker import EmbeddedBroker
    from accord.broker._base import port_open
    from accord.errors import UsageError

    if not 0 <= args.port < 65536:
        raise UsageError(f"--port {args.port}: use a port from 1 to 65535, or 0 for a free one")
    if args.port and port_open("127.0.0.1", args.port):
        raise UsageError(
            f"--port {args.port}: 127.0.0.1:{args.port} is in use"
            + (" (another broker?)" if args.port == DEFAULT_PORT else "")
            + "; choose another port, or --port 0 for a free one"
        )

    registry_dir = None
    if args.enforce_schemas:
        from accord.schemas import export_tansu_registry

        registry_dir = tempfile.mkdtemp(prefix="accord-schema-registry-")
        export_tansu_registry(args.contracts, registry_dir)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with EmbeddedBroker(
        schema_registry=registry_dir, log_path=args.log, port=args.port or None
    ) as broker:
        topics = [t for t in args.topics.split(",") if t]
        if topics:
            broker.create_topics(topics)
        print(
            f"accord: broker ready at {broker.bootstrap_servers} "
            f"(pid {broker.pid}, log {broker.log_path}); Ctrl-C stops it",
            file=sys.stderr,
        )
        print(broker.bootstrap_servers, flush=True)
        stop.wait()
    print("accord: broker stopped", file=sys.stderr)
    return 0
