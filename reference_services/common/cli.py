"""``python -m reference_services {order|shipping|invoicing} --port P ...``: one service as a
process (``... SERVICE republish --since WHEN``: see :mod:`reference_services.common.republish`).
uvicorn runs on the main thread and turns SIGTERM/SIGINT into a graceful shutdown;
then the consumer and the relay stop and the database pool closes."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ["main"]

log = logging.getLogger("reference_services")

#: Where a service finds its database URL when ``--database-url`` is not given.
DATABASE_URL_ENV = "REFERENCE_DATABASE_URL"


def _parser() -> argparse.ArgumentParser:
    from reference_services.bootstrap import SERVICES, TRANSPORTS

    parser = argparse.ArgumentParser(
        prog="python -m reference_services", description="Run one accord reference service."
    )
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--port", type=int, default=0, help="HTTP port on 127.0.0.1 (0: free)")
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument(
        "--bootstrap-servers",
        metavar="HOST:PORT",
        help="Kafka bootstrap servers; without them no events are published or consumed",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help=f"SQLAlchemy URL (postgresql://..., sqlite:///file); default: ${DATABASE_URL_ENV}, "
        "else a sqlite file reference-<service>.db in the current directory. Prefer the "
        "environment variable for a URL with a password: arguments are visible through ps",
    )
    parser.add_argument(
        "--processing-delay-ms",
        type=int,
        default=0,
        metavar="N",
        help="consumers wait N ms before each event (simulates a slow service)",
    )
    parser.add_argument("--group-id", help="consumer group (default: the service name)")
    parser.add_argument(
        "--transport",
        choices=TRANSPORTS,
        default="kafka",
        help="kafka (default): topics on --bootstrap-servers; atom: serve GET /feed and "
        "(shipping, invoicing) poll --order-feed",
    )
    parser.add_argument(
        "--order-feed",
        metavar="URL",
        help="atom: the order service's feed, e.g. http://127.0.0.1:8000/feed "
        "(required for shipping and invoicing)",
    )
    parser.add_argument(
        "--poll-interval-ms",
        type=int,
        default=100,
        metavar="N",
        help="atom: pause between two polls of the order feed (default 100)",
    )
    parser.add_argument(
        "--feed-page-size",
        type=int,
        default=50,
        metavar="N",
        help="atom: entries per archive page of the service's feed (default 50; never change "
        "it for an existing database)",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    return parser


def _server(config: Any) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        # uvicorn re-raises a caught SIGTERM after its own shutdown, which would kill the
        # process before the consumer and relay stop; keep the signal, skip the re-raise.
        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            signals = (signal.SIGINT, signal.SIGTERM)
            originals = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
            try:
                yield
            finally:
                for sig, handler in originals.items():
                    signal.signal(sig, handler)

    return Server(config)


def _atom_usage(args: argparse.Namespace) -> str | None:
    """What is wrong with the Atom options, or None."""
    if args.poll_interval_ms < 1:
        return "--poll-interval-ms must be >= 1"
    if args.feed_page_size < 1:
        return "--feed-page-size must be >= 1"
    if args.transport != "atom":
        return None
    if args.service != "order" and not args.order_feed:
        return f"{args.service} --transport atom needs --order-feed URL (the order service's /feed)"
    if args.order_feed and not args.order_feed.startswith(("http://", "https://")):
        return f"--order-feed {args.order_feed!r}: expected an http:// or https:// URL"
    return None


def _atom_settings(args: argparse.Namespace) -> dict[str, Any]:
    if args.transport != "atom":
        return {}
    return {
        "transport": "atom",
        "order_feed": args.order_feed if args.service != "order" else None,
        "poll_interval_ms": args.poll_interval_ms,
        "feed_page_size": args.feed_page_size,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run a service until SIGTERM/SIGINT; return the exit code."""
    import uvicorn

    from accord.errors import AccordError
    from reference_services.bootstrap import bootstrap
    from reference_services.common.db import default_database_url
    from reference_services.common.runtime import listening_socket

    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) >= 2 and argv[1] == "republish" and argv[0] in ("order", "shipping", "invoicing"):
        from reference_services.common import republish

        return republish.main(argv[0], argv[2:])
    args = _parser().parse_args(argv)
    if args.processing_delay_ms < 0:
        print("error: --processing-delay-ms must be >= 0", file=sys.stderr)
        return 2
    usage = _atom_usage(args)
    if usage is not None:
        print(f"error: {usage}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level.upper(),
        format=f"%(asctime)s {args.service} %(levelname)s %(name)s: %(message)s",
    )
    url = (
        args.database_url or os.environ.get(DATABASE_URL_ENV) or default_database_url(args.service)
    )
    # Bind first: a taken port fails fast, and the log names the real port when --port is 0.
    try:
        sock = listening_socket(args.host, args.port)
    except OSError as exc:
        print(
            f"reference {args.service}: cannot listen on {args.host}:{args.port}: {exc.strerror}; "
            "choose another --port",
            file=sys.stderr,
        )
        return 1
    try:
        runtime = bootstrap(
            args.service,
            database_url=url,
            bootstrap_servers=args.bootstrap_servers,
            processing_delay_ms=args.processing_delay_ms,
            group_id=args.group_id,
            **_atom_settings(args),
        )
    except (AccordError, OSError) as exc:
        sock.close()
        print(f"reference {args.service}: cannot start: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # database unreachable, bad URL
        sock.close()
        print(
            f"reference {args.service}: cannot start: {type(exc).__name__}: {exc}".splitlines()[0],
            file=sys.stderr,
        )
        return 1
    try:
        runtime.start()
        config = uvicorn.Config(
            runtime.app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        log.info("%s: serving on http://%s:%d", args.service, args.host, sock.getsockname()[1])
        _server(config).run(sockets=[sock])
    finally:
        runtime.stop()
        sock.close()
        log.info("%s: stopped", args.service)
    return 0
