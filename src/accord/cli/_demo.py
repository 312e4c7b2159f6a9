"""``accord demo`` and ``accord up``: the reference system in one command."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from accord._durations import duration_type, format_duration
from accord.errors import BrokerError, UsageError

if TYPE_CHECKING:
    from accord.broker import Broker
    from accord.system import DemoProgress, DemoResult, ReferenceSystem

#: The environment variable --database-url defaults to.
DATABASE_URL_ENV = "ACCORD_DATABASE_URL"
#: How often `accord up` looks at the services and the broker.
SUPERVISE_EVERY_S = 1.0
#: How many order ids the summary lists per problem before "... and N more".
_MAX_LISTED = 20


def register(sub: argparse._SubParsersAction[Any]) -> None:
    demo = sub.add_parser(
        "demo",
        help="run the reference system, place orders, check every invoice and delivery arrives",
        description="Start a broker (or, with --transport atom, none) and the order, shipping "
        "and invoicing services, place "
        "orders, wait until every order has its invoice and its delivery (or --within "
        "passes), print a summary and write the consistency report. Exit 0 only if all "
        "arrived in time.",
    )
    demo.add_argument(
        "--orders", type=int, default=100, metavar="N", help="orders to place (default: 100)"
    )
    demo.add_argument(
        "--rate", type=float, default=None, metavar="R",
        help="orders per second (default: as fast as the order service takes them)",
    )
    demo.add_argument(
        "--within", type=duration_type, default=60.0, metavar="DURATION",
        help="limit per order from acceptance to invoice and delivery, e.g. 500ms, 60s, 2m "
        "(default: 60s)",
    )
    demo.add_argument(
        "--report-dir", type=Path, default=Path("accord-demo-report"), metavar="DIR",
        help="where report.json, junit.xml, report.html and report.md go "
        "(default: ./accord-demo-report)",
    )
    demo.add_argument(
        "--seed", type=int, default=None, metavar="N", help="make the orders reproducible"
    )
    _system_options(demo)
    demo.set_defaults(handler=_demo)

    up = sub.add_parser(
        "up",
        help="run the reference system until Ctrl-C, printing its URLs",
        description="Start a broker and the three reference services, print the bootstrap "
        "address and the services' URLs, and keep them running until Ctrl-C or SIGTERM. A "
        "service that exits is restarted (at most 5 times a minute); a broker that dies is "
        "reported; every change prints a status line.",
    )
    _system_options(up)
    up.set_defaults(handler=_up)


def _system_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--transport", choices=("kafka", "atom"), default="kafka",
        help="how the services exchange events: kafka (default: topics on a broker) or atom "
        "(no broker: each service serves an Atom feed at /feed, shipping and invoicing poll "
        "the order feed)",
    )
    parser.add_argument(
        "--poll-interval-ms", type=int, default=100, metavar="N",
        help="atom: the pollers' pause between two polls of the order feed (default: 100)",
    )
    parser.add_argument(
        "--kafka", metavar="HOST:PORT", default=None,
        help="use this broker instead of starting the embedded one",
    )
    parser.add_argument(
        "--database-url", metavar="URL", default=os.environ.get(DATABASE_URL_ENV) or None,
        help="a PostgreSQL server (SQLAlchemy URL); each service gets its own database there "
        f"(default: ${DATABASE_URL_ENV}, else SQLite files in the work directory); a URL with "
        "a password is better given in the environment, which ps does not show. The services "
        "get theirs in their environment, never on their command line",
    )
    parser.add_argument(
        "--invoicing-delay-ms", type=int, default=0, metavar="N",
        help="make invoicing take N ms per order, on purpose (to see late invoices)",
    )
    parser.add_argument(
        "--shipping-delay-ms", type=int, default=0, metavar="N",
        help="make shipping take N ms per order, on purpose",
    )
    parser.add_argument(
        "--enforce-schemas", action="store_true",
        help="start the embedded broker with the event schemas of --contracts as its schema "
        "registry, so it rejects records that do not match",
    )
    parser.add_argument(
        "--contracts", default="contracts", metavar="DIR|ASYNCAPI",
        help="the event schemas for --enforce-schemas: a contracts directory with "
        "schemas/<type>/vN.json, or an AsyncAPI 3 document (its channels name the topics) "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, metavar="DIR",
        help="where service logs and SQLite files go (default: a temporary directory that "
        "accord demo removes after a successful run and accord up keeps)",
    )
    parser.add_argument(
        "--startup-timeout", type=duration_type, default=60.0, metavar="DURATION",
        help="how long each service may take to become healthy (default: 60s)",
    )


def _check_options(args: argparse.Namespace) -> None:
    if getattr(args, "orders", 1) < 1:
        raise UsageError(f"--orders {args.orders}: place at least 1 order")
    rate = getattr(args, "rate", None)
    if rate is not None and rate <= 0:
        raise UsageError(f"--rate {rate}: give a positive number of orders per second")
    for name in ("invoicing_delay_ms", "shipping_delay_ms"):
        if getattr(args, name) < 0:
            option = "--" + name.replace("_", "-")
            raise UsageError(f"{option} {getattr(args, name)}: must not be negative")
    if args.transport == "atom":
        for given, option in ((args.kafka, "--kafka"), (args.enforce_schemas, "--enforce-schemas")):
            if given:
                raise UsageError(f"{option} applies to --transport kafka (atom starts no broker)")
    if args.poll_interval_ms < 1:
        raise UsageError(f"--poll-interval-ms {args.poll_interval_ms}: must be at least 1")
    if args.enforce_schemas and args.kafka:
        raise UsageError(
            "--enforce-schemas configures the embedded broker: leave out --kafka, or run "
            "'accord broker start --enforce-schemas' and pass its address to --kafka"
        )
    # Everything a run needs is checked before anything starts: a bad option must not
    # leave a broker, databases or a work directory behind.
    if args.kafka:
        check_kafka_address("--kafka", args.kafka)
    if args.database_url is not None:
        from accord.system import check_database_url

        check_database_url(args.database_url)
    report_dir = getattr(args, "report_dir", None)
    if report_dir is not None:
        check_writable_directory("--report-dir", Path(report_dir))
    if args.workdir is not None:
        check_writable_directory("--workdir", Path(args.workdir))


def check_kafka_address(option: str, spec: str) -> None:
    """``HOST:PORT[,HOST:PORT...]`` whose every host name resolves, else a usage error."""
    import socket

    from accord.broker._base import parse_bootstrap

    parse_bootstrap(spec)
    for address in spec.split(","):
        host, _, port = address.strip().rpartition(":")
        host = host.strip("[]")
        try:
            socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise UsageError(
                f"{option} {spec}: the host name {host!r} does not resolve ({reason}); "
                "give the address of a reachable broker"
            ) from None


def check_writable_directory(option: str, path: Path) -> None:
    """A directory that exists and is writable, or that could be created: else a usage error.

    Nothing is created: the nearest existing ancestor is probed with a temporary file that is
    removed at once.
    """
    import os

    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(
            f"{option} {path}: {existing} is a file, not a directory; choose another {option}"
        )
    try:
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".accord-probe-")
    except OSError as exc:
        raise UsageError(
            f"{option} {path}: cannot write in {existing} ({exc.strerror or exc}); "
            f"choose another {option}"
        ) from None
    os.close(handle)
    os.unlink(probe)


def _say(message: str) -> None:
    print(f"accord: {message}", file=sys.stderr, flush=True)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, so everything started is stopped in order."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _start_system(args: argparse.Namespace, stack: ExitStack, workdir: Path) -> ReferenceSystem:
    from accord.broker import EmbeddedBroker, ExternalBroker
    from accord.system import ReferenceSystem

    if args.transport == "atom":
        _say("transport atom: no broker; the services serve Atom feeds")
        atom = ReferenceSystem(
            None,
            transport="atom",
            poll_interval_ms=args.poll_interval_ms,
            database_url=args.database_url,
            invoicing_delay_ms=args.invoicing_delay_ms,
            shipping_delay_ms=args.shipping_delay_ms,
            workdir=workdir,
            startup_timeout_s=args.startup_timeout,
            on_progress=_say,
        )
        stack.enter_context(atom)
        return atom
    broker: Broker
    if args.kafka:
        broker = ExternalBroker(args.kafka, ready_timeout_s=10.0)
        _say(f"using the broker at {args.kafka}")
    else:
        registry = None
        if args.enforce_schemas:
            from accord.schemas import export_tansu_registry

            registry = workdir / "schema-registry"
            export_tansu_registry(args.contracts, registry)
        broker = EmbeddedBroker(schema_registry=registry, log_path=workdir / "broker.log")
        _say("starting the embedded broker" + (" with schema enforcement" if registry else ""))
    try:
        stack.enter_context(broker)
    except BrokerError as exc:
        if args.kafka:  # the user's address: a usage error, not a failure of the system
            raise UsageError(f"--kafka {args.kafka}: {exc}") from None
        raise
    pid = getattr(broker, "pid", None)
    _say(f"broker ready at {broker.bootstrap_servers}" + (f" (pid {pid})" if pid else ""))
    system = ReferenceSystem(
        broker,
        database_url=args.database_url,
        invoicing_delay_ms=args.invoicing_delay_ms,
        shipping_delay_ms=args.shipping_delay_ms,
        workdir=workdir,
        startup_timeout_s=args.startup_timeout,
        on_progress=_say,
    )
    stack.enter_context(system)
    return system


class ProgressPrinter:
    """Shows demo progress: one updating line on a terminal, a line every few seconds otherwise.

    Args:
        stream: where to write (stderr).
        tty: rewrite one line in place; default: whether ``stream`` is a terminal.
        every_s: without a terminal, the least time between two lines.
        clock: a monotonic clock.
    """

    def __init__(
        self,
        stream: TextIO,
        tty: bool | None = None,
        every_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.every_s = every_s
        self._clock = clock
        self._last_line = ""
        self._last_time: float | None = None
        self._open = False

    def __call__(self, progress: DemoProgress) -> None:
        from accord.system import format_progress

        line = format_progress(progress)
        if self.tty:
            self.stream.write("\r\x1b[K" + line)
            self._open = True
        else:
            now = self._clock()
            due = self._last_time is None or now - self._last_time >= self.every_s
            if not due or line == self._last_line:
                return
            self.stream.write(line + "\n")
            self._last_time = now
        self._last_line = line
        self.stream.flush()

    def finish(self, progress: DemoProgress | None = None) -> None:
        """Print the final state and end the line."""
        from accord.system import format_progress

        if progress is not None:
            line = format_progress(progress)
            if self.tty:
                self.stream.write("\r\x1b[K" + line)
                self._open = True
            elif line != self._last_line:
                self.stream.write(line + "\n")
        if self._open:
            self.stream.write("\n")
            self._open = False
        self.stream.flush()


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    if len(items) > _MAX_LISTED:
        shown += f", ... and {len(items) - _MAX_LISTED} more"
    return shown


def _orders(count: int) -> str:
    return f"{count} order" if count == 1 else f"{count} orders"


def _late(latency_s: float, within_s: float) -> str:
    return format_duration(latency_s, apart_from=within_s)


#: A run placing below this share of the asked rate says so.
_RATE_SHORTFALL = 0.9


def summary_lines(
    result: DemoResult, within_s: float, rate: float | None = None
) -> list[str]:
    """The short summary a demo prints: counts, latencies, slowest order, problems by id.

    With the ``rate`` that was asked, a run that placed its orders more slowly says so
    with the rate it reached.
    """
    summary = result.summary
    invoices = summary.arrived.get("invoice.created", 0)
    deliveries = summary.arrived.get("delivery.created", 0)
    lines = [
        f"orders {summary.orders} (placed in {format_duration(result.place_s)}), "
        f"invoices {invoices}, deliveries {deliveries}, limit {format_duration(within_s)}",
    ]
    if rate and result.placed and result.place_s > 0:
        reached = len(result.placed) / result.place_s
        if reached < rate * _RATE_SHORTFALL:
            lines.append(
                f"warning: orders were placed at {reached:.0f}/s, not the {rate:g}/s asked: "
                "the order service did not answer faster (see docs/performance.md)"
            )
    for kind, stats in summary.latency_s.items():
        if summary.arrived.get(kind):
            lines.append(
                f"  {kind:<17} "
                + "  ".join(
                    f"{name} {format_duration(stats.get(name))}"
                    for name in ("p50", "p90", "p99", "max")
                )
            )
    if summary.slowest is not None:
        slowest = summary.slowest
        lines.append(
            f"slowest order {slowest.order_id}: {slowest.event_type} after "
            f"{format_duration(slowest.latency_s)}"
        )
    if summary.missing:
        missing = [f"{key} ({', '.join(kinds)})" for key, kinds in summary.missing.items()]
        lines.append(f"missing for {_orders(len(missing))}: {_listed(missing)}")
    if summary.late:
        late = [
            f"{key} ({', '.join(f'{k} after {_late(s, within_s)}' for k, s in kinds)})"
            for key, kinds in summary.late.items()
        ]
        lines.append(f"late for {_orders(len(late))}: {_listed(late)}")
    for note in result.notes[:_MAX_LISTED]:
        lines.append(f"unusable event {note}")
    if result.undecodable:
        lines.append(f"{result.undecodable} records on the topics were not CloudEvents")
    if result.ok:
        lines.append(
            f"OK: every order got its invoice and delivery within {format_duration(within_s)}"
        )
    else:
        lines.append(
            f"FAILED: {_orders(len(summary.missing))} missing something, "
            f"{len(summary.late)} late (limit {format_duration(within_s)})"
        )
    return lines


class _RecordingChecker:
    """Feeds the consistency engine and writes each event it sees to a JSONL file.

    The file holds this run's events as structured CloudEvents, so the run can be checked
    again offline (``accord audit DIR/events.jsonl ...``, ``accord schema validate ...``).
    It is written beside itself and renamed into place by :meth:`close`: never half-written.
    """

    def __init__(self, inner: Any, path: Path) -> None:
        import orjson

        self._inner = inner
        self._dumps = orjson.dumps
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._partial = path.with_name(path.name + ".partial")
        self._file = self._partial.open("wb")

    def add(self, event: dict[str, Any]) -> None:
        self._file.write(self._dumps(event) + b"\n")
        self._inner.add(event)

    def report(self, until: Any = None, *, complete: bool = False) -> dict[str, Any]:
        return dict(self._inner.report(until=until, complete=complete))

    def close(self, keep: bool) -> None:
        self._file.close()
        if keep:
            self._partial.replace(self.path)
        else:
            self._partial.unlink(missing_ok=True)


def _now_rfc3339() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _demo(args: argparse.Namespace) -> int:
    _check_options(args)
    from accord.system import default_checker, run_demo

    started = time.monotonic()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="accord-demo-"))
    printer = ProgressPrinter(sys.stderr)
    last: list[DemoProgress] = []

    def on_progress(progress: DemoProgress) -> None:
        last[:] = [progress]
        printer(progress)

    ok = False
    try:
        with _terminate_as_interrupt(), ExitStack() as stack:
            system = _start_system(args, stack, workdir)
            recorder = _RecordingChecker(
                default_checker(args.within), Path(args.report_dir) / "events.jsonl"
            )
            stack.callback(recorder.close, keep=False)  # an interrupted run keeps no file
            _say(
                f"services up in {format_duration(system.startup_s or 0.0)}; placing "
                f"{args.orders} orders" + (f" at {args.rate:g}/s" if args.rate else "")
            )
            placed_from = _now_rfc3339()
            try:
                result = run_demo(
                    system, args.orders, within_s=args.within, rate=args.rate, seed=args.seed,
                    checker=recorder, on_progress=on_progress,
                )
            finally:
                printer.finish(last[0] if last else None)
            recorder.close(keep=True)
        ok = result.ok
        out = sys.stdout
        if result.report is not None:
            try:
                from accord.report import run_origin, terminal_table, write_reports
                from accord.system import TOPICS
            except ImportError:  # pragma: no cover - reports not installed
                _say("accord.report is not available: no report written")
            else:
                source = f"kafka://{system.bootstrap_servers}/{','.join(TOPICS)}"
                origin = run_origin(sources=[source], window_start=placed_from)
                paths = [
                    *write_reports(result.report, args.report_dir, origin=origin),
                    recorder.path,
                ]
                print(terminal_table(result.report), file=out)
                print(f"report: {', '.join(str(p) for p in paths)}", file=out)
        for line in summary_lines(result, args.within, args.rate):
            print(line, file=out)
        print(
            f"demo took {format_duration(time.monotonic() - started)} "
            f"(waited {format_duration(result.wait_s)} from the first order)",
            file=out,
            flush=True,
        )
        return 0 if ok else 1
    finally:
        if args.workdir is None and (ok or not any(workdir.iterdir())):
            shutil.rmtree(workdir, ignore_errors=True)
        elif workdir.exists():
            _say(f"logs of this run are in {workdir}")


def _up(args: argparse.Namespace) -> int:
    _check_options(args)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="accord-up-"))
    stop = threading.Event()
    running = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        if not running.is_set():
            raise KeyboardInterrupt  # still starting: unwind, stopping what was started
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with ExitStack() as stack:
            system = _start_system(args, stack, workdir)
            # From here a signal stops `up` in order (exit 0). Set before anything says the
            # system is up, so a signal sent on reading that line finds it set.
            running.set()
            out = sys.stdout
            atom = getattr(system, "transport", "kafka") == "atom"
            if not atom:
                print(f"bootstrap  {system.bootstrap_servers}", file=out)
            for name in sorted(system.urls, key=("order", "shipping", "invoicing").index):
                print(f"{name:<10} {system.urls[name]}  (log {system.log_paths[name]})", file=out)
            for feed in system.feeds.values() if atom else ():
                print(f"feed       atom+{feed}", file=out)
            out.flush()
            _say("reference system is up; Ctrl-C stops it")
            _say(f"status: {system.status_line()}")
            # Supervise: restart a service that died, report a dead broker, keep running.
            while not stop.wait(SUPERVISE_EVERY_S):
                if system.supervise():
                    _say(f"status: {system.status_line()}")
            _say("stopping")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _say(f"stopped; logs are in {workdir}")
    return 0
