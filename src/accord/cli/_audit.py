"""``accord audit`` and ``accord report merge``: the consistency engine on the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.errors import UsageError
from accord.report import FORMATS as REPORT_FORMATS

if TYPE_CHECKING:
    from accord.consistency import ConsistencyEngine
    from accord.sources import Source

_EPOCH_MIN = datetime.min.replace(tzinfo=UTC)
_CONFIG_KEYS = {
    "trigger", "expect", "key", "agree", "formats", "format", "report-dir", "report_dir",
    "p99-tolerance", "p99_tolerance", "sources", "lateness", "complete", "allow-empty",
    "allow_empty", "fail-on-pending", "fail_on_pending",
}
#: Orders asked for per page of the order service's ``GET /orders``.
_PAGE_SIZE = 500
#: Events per chunk when several sources are read interleaved by time.
_CHUNK = 4096


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``audit`` and ``report merge``."""
    audit = sub.add_parser(
        "audit",
        help="check that every trigger event led to each expected event in time",
        description="Read CloudEvents from files, stdin or Kafka topics and check that every "
        "trigger (e.g. order.accepted) led to exactly one of each expected event type within "
        "its limit. Exit 0 when consistent, 1 when not (or regressed against --baseline, or "
        "nothing was decided), 2 for unusable input. Settings may also come from "
        "[tool.accord.audit] in ./pyproject.toml; options given here override them.",
    )
    audit.add_argument(
        "sources", nargs="*", metavar="SOURCE",
        help="a .jsonl file, - for stdin, kafka://HOST:PORT/TOPIC[,TOPIC], or "
        "atom+http://HOST:PORT/feed[,atom+http://HOST:PORT/feed] (read from the oldest "
        "archive page to the head)",
    )
    audit.add_argument(
        "--trigger", help="the event type that starts a promise, e.g. order.accepted"
    )
    audit.add_argument(
        "--expect", action="append", default=[], metavar="TYPE=DURATION",
        help="an event type each trigger must produce within DURATION (repeatable), "
        "e.g. invoice.created=60s",
    )
    audit.add_argument(
        "--key", action="append", default=[], metavar="TYPE=POINTER",
        help="JSON pointer to the correlation key of TYPE (default: its partitionkey), "
        "e.g. invoice.created=/data/orderId",
    )
    audit.add_argument(
        "--agree", action="append", default=[], metavar="TYPE:/PTR=/PTR",
        help="the value at the first pointer in the first TYPE event must equal the value at "
        "the second pointer in the trigger, e.g. delivery.created:/data/address=/data/"
        "shippingAddress",
    )
    audit.add_argument(
        "--until", metavar="RFC3339",
        help="window end (default: the latest event time read)",
    )
    audit.add_argument(
        "--lateness", metavar="DURATION", default=None,
        help="how far an event's time may lag the latest time read before it (default 5m); "
        "complete keys older than that are finalized, so memory follows the undecided keys; "
        "events later than that which would change a finalized key count in "
        "beyond_lateness; 'inf' keeps every key until the end (exact for any order)",
    )
    audit.add_argument(
        "--complete", action="store_true", default=None,
        help="the sources are the whole history (a finished file, topics read to their end, "
        "a stopped run): a key still without a match is missing, not pending; not for a live "
        "--follow of a running system",
    )
    audit.add_argument(
        "--allow-empty", action="store_true", default=None,
        help="exit 0 when nothing was decided (no trigger, or every key of an expectation "
        "pending); by default that is NOTHING DECIDED, exit 1",
    )
    audit.add_argument(
        "--fail-on-pending", action="store_true", default=None,
        help="exit 1 when any key is still pending at the window end",
    )
    audit.add_argument(
        "--accepted", metavar="SOURCE", default=None,
        help="reconcile with the system of record: the order service's paged list "
        "(http://HOST:PORT/orders) or a JSONL file of accepted ids; an accepted order "
        "without a trigger is an untriggered violation",
    )
    _output_options(audit)
    audit.add_argument(
        "--baseline", metavar="OLD.json", help="mark regressions against this report"
    )
    audit.add_argument(
        "--p99-tolerance", metavar="PERCENT", default=None,
        help="p99 may grow this much over the baseline before it is a regression (default 10%%)",
    )
    audit.add_argument(
        "--follow", action="store_true",
        help="keep reading a Kafka or Atom source until Ctrl-C or SIGTERM, then report "
        "(Atom: conditional GETs of each feed's head)",
    )
    audit.add_argument(
        "--group-id", metavar="G",
        help="read Kafka as a member of consumer group G, so several auditors split partitions",
    )
    audit.add_argument(
        "--partial", action="store_true",
        help="write a partial report (with every latency and pending key) for accord report merge",
    )
    audit.set_defaults(handler=_audit)

    report = sub.add_parser("report", help="work with report.json files")
    report_sub = report.add_subparsers(dest="report_command", metavar="COMMAND")
    merge = report_sub.add_parser(
        "merge",
        help="combine partial reports of auditors that split a consumer group",
        description="Combine the reports of auditors that split a consumer group (accord "
        "audit --partial, or ordinary reports) into one report: counts exactly, quantiles "
        "exactly from the latencies reports carry (else estimated from histograms, marked ~ "
        "with the error stated). Exit 0 when consistent, 1 when not, 2 for unusable input.",
    )
    merge.add_argument("partials", nargs="+", metavar="PARTIAL.json")
    merge.add_argument("--until", metavar="RFC3339", help="window end of the merged report")
    _output_options(merge)
    merge.add_argument(
        "--partial", action="store_true", help="keep latencies and pending keys in the result"
    )
    merge.add_argument(
        "--allow-empty", action="store_true",
        help="exit 0 when the merged report decided nothing (default: NOTHING DECIDED, exit 1)",
    )
    merge.add_argument(
        "--fail-on-pending", action="store_true",
        help="exit 1 when any key is still pending at the merged window end",
    )
    merge.set_defaults(handler=_merge)
    report.set_defaults(handler=lambda args: (report.print_help(sys.stderr), 2)[1])


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report-dir", metavar="DIR", default=None,
        help="write reports here (default: none unless --format is given, then .)",
    )
    parser.add_argument(
        "--format", metavar="FORMATS", default=None,
        help=f"comma-separated report formats out of {','.join(REPORT_FORMATS)} (default: all)",
    )


# -- configuration ---------------------------------------------------------------------------


def _load_config(path: Path) -> dict[str, Any]:
    """``[tool.accord.audit]`` of ``path`` (empty when the file or table is absent)."""
    import tomllib

    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    table = data.get("tool", {}).get("accord", {}).get("audit", {})
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.accord.audit] must be a table")
    unknown = sorted(set(table) - _CONFIG_KEYS)
    if unknown:
        raise UsageError(
            f"{path}: [tool.accord.audit] has unknown key(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_CONFIG_KEYS))}"
        )
    return table


def _config_pairs(config: Mapping[str, Any], name: str, where: str) -> list[str]:
    """A config table ``{TYPE = VALUE}`` as ``TYPE=VALUE`` strings (CLI syntax)."""
    value = config.get(name, {})
    if not isinstance(value, dict):
        raise UsageError(f"{where}: '{name}' must be a table like {{ \"invoice.created\" = ... }}")
    return [f"{k}={v}" for k, v in value.items()]


def _split(text: str, sep: str, option: str, example: str) -> tuple[str, str]:
    left, found, right = text.partition(sep)
    if not found or not left or not right:
        raise UsageError(f"{option} {text!r}: expected {example}")
    return left.strip(), right.strip()


def _parse_agree(text: str) -> tuple[str, str, str]:
    type_, found, rest = text.partition(":/")
    match_pointer, eq, trigger_pointer = ("/" + rest).partition("=")
    if not found or not type_ or not eq or not trigger_pointer.startswith("/"):
        raise UsageError(
            f"--agree {text!r}: expected TYPE:/POINTER=/TRIGGER_POINTER, e.g. "
            "delivery.created:/data/shippingAddress=/data/shippingAddress"
        )
    return type_, trigger_pointer, match_pointer


def _parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """The report's own format parsing, with the option named in its error."""
    from accord.report import parse_formats

    try:
        return parse_formats(text)
    except UsageError as exc:
        raise UsageError(f"--format: {exc}") from None


def _parse_tolerance(value: Any) -> float:
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise UsageError(f"--p99-tolerance {text!r}: give a percentage like 10% or 0.1") from None
    if number < 0:
        raise UsageError(f"--p99-tolerance {text!r}: must not be negative")
    return number


def _parse_until(text: str | None) -> datetime | None:
    if text is None:
        return None
    from accord.consistency import parse_time

    try:
        return parse_time(text)
    except UsageError as exc:
        raise UsageError(f"--until: {exc}") from None


def parse_lateness(text: Any) -> float | None:
    """``--lateness``: a duration, or ``inf`` (None: never finalize)."""
    from accord._durations import parse_duration

    value = str(text).strip()
    if value.lower() in ("inf", "infinity", "none"):
        return None
    try:
        return parse_duration(value)
    except UsageError as exc:
        raise UsageError(f"--lateness: {exc}, or inf") from None


def build_engine(
    trigger: str | None,
    expect: Sequence[str],
    keys: Sequence[str],
    agree: Sequence[str],
    lateness: str | None = None,
) -> ConsistencyEngine:
    """The engine for CLI-style settings (``TYPE=DURATION``, ``TYPE=POINTER``, agree specs).

    ``lateness``: a duration or ``inf`` (default: the engine's default, 5 minutes).
    """
    from accord._durations import parse_duration
    from accord.consistency import DEFAULT_LATENESS_S, ConsistencyEngine, Expectation

    if not trigger:
        raise UsageError("name the trigger: --trigger order.accepted (or trigger = in pyproject)")
    expectations = []
    for item in expect:
        type_, duration = _split(item, "=", "--expect", "TYPE=DURATION, e.g. invoice.created=60s")
        try:
            within = parse_duration(duration)
        except UsageError as exc:
            raise UsageError(f"--expect {item}: {exc}") from None
        expectations.append(Expectation(type_, within))
    if not expectations:
        raise UsageError("expect at least one event type: --expect invoice.created=60s")
    pointers = dict(
        _split(item, "=", "--key", "TYPE=POINTER, e.g. invoice.created=/data/orderId")
        for item in keys
    )
    return ConsistencyEngine(
        trigger, expectations, key_pointers=pointers, agree=[_parse_agree(a) for a in agree],
        lateness_s=DEFAULT_LATENESS_S if lateness is None else parse_lateness(lateness),
    )


# -- reading ---------------------------------------------------------------------------------


def feed(engine: ConsistencyEngine, source: Source) -> None:
    """Add every event of ``source``; a bad event becomes a UsageError naming where it is."""
    from functools import partial

    from accord.consistency import EventError
    from accord.sources import JsonlSource, KafkaSource

    try:
        if isinstance(source, JsonlSource):
            # Decode only what the engine reads: four attributes and what its pointers reach.
            envelope = engine.envelope_type
            source.feed(
                partial(engine.add_located, pause_gc=True, envelopes=envelope is not None),
                envelope=envelope,
            )
        elif isinstance(source, KafkaSource):
            # The same from Kafka, a fetch at a time; `where` is the record itself.
            envelope = engine.envelope_type
            for batch, dead in source.batches(envelope, pause_gc=True):
                engine.add_located(batch, envelopes=envelope is not None)
                if dead:  # dead-lettered copies (.dlq topics), always whole events
                    engine.add_located(dead_letters(dead))
        else:
            engine.add_located(dead_letters(source))
    except EventError as exc:
        raise UsageError(f"{_where(source, exc.where)}: {exc}") from None


def dead_letters(pairs: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """``pairs`` with each dead-lettered copy (a record of a ``.dlq`` topic, its reason in a
    header) turned into the event the engine counts as ``dead_lettered``, said on stderr at
    once (a followed audit may run long before it reports)."""
    from accord.events import dead_letter_event, is_dead_lettered

    for event, where in pairs:
        if isinstance(event, dict) and is_dead_lettered(event):
            event = dead_letter_event(event, str(where))
            data = event["data"]
            print(
                f"accord: dead-lettered: {data['type']} key={event.get('partitionkey')} "
                f"({data['origin']}, in {where}): {data['reason']}",
                file=sys.stderr,
                flush=True,
            )
        yield event, where


def _where(source: Source, where: Any) -> str:
    if isinstance(where, int):
        return f"{getattr(source, 'name', source)}:{where}"
    if hasattr(where, "partition") and hasattr(where, "topic") and callable(where.topic):
        from accord.sources import record_location

        return str(record_location(where))  # a confluent_kafka.Message
    return str(where)


def feed_interleaved(
    engine: ConsistencyEngine, sources: Sequence[Source], chunk: int = _CHUNK
) -> None:
    """Add the events of several sources interleaved by event time, a chunk at a time.

    Reading ``order.jsonl`` to its end before ``invoice.jsonl`` would hold every order
    until the invoices come and lag the invoices far behind the latest time read. Instead
    the source whose last chunk ended earliest (by the ``time`` of its last timed event)
    is read next, so events lag one another by at most about one chunk's span of time.
    """
    import heapq
    from itertools import count, islice

    from accord.consistency import EventError
    from accord.sources import JsonlSource

    all_jsonl = all(isinstance(s, JsonlSource) for s in sources)
    envelope = engine.envelope_type if all_jsonl else None

    def chunks(source: Source) -> Iterator[list[Any]]:
        if isinstance(source, JsonlSource):
            return source.chunks(chunk, envelope=envelope)
        it = dead_letters(source)
        return iter(lambda: list(islice(it, chunk)), [])

    streams = [chunks(source) for source in sources]
    heap: list[tuple[datetime, int, int, list[Any]]] = []
    order = count()  # ties: the source read least recently first
    frontiers = [_EPOCH_MIN] * len(sources)

    def advance(i: int) -> None:
        pairs = next(streams[i], None)
        if pairs is None:
            return
        frontiers[i] = max(frontiers[i], _last_time(pairs, frontiers[i]))
        heapq.heappush(heap, (frontiers[i], next(order), i, pairs))

    for i in range(len(sources)):
        advance(i)
    while heap:
        _, _, i, pairs = heapq.heappop(heap)
        try:
            engine.add_located(pairs, pause_gc=all_jsonl, envelopes=envelope is not None)
        except EventError as exc:
            raise UsageError(f"{_where(sources[i], exc.where)}: {exc}") from None
        advance(i)


def _last_time(pairs: list[Any], default: datetime) -> datetime:
    """The time of the last event of a chunk that has a usable one (looking back 64)."""
    from accord.consistency import parse_time
    from accord.events import Envelope

    for event, _ in reversed(pairs[-64:]):
        raw = event.get("time") if isinstance(event, (dict, Envelope)) else None
        if raw is None:
            continue
        try:
            return parse_time(raw)
        except UsageError:
            continue
    return default


def _read_all(engine: ConsistencyEngine, sources: Sequence[Source], follow: bool) -> bool:
    """Feed every source; with ``follow``, until Ctrl-C/SIGTERM. True if interrupted."""
    import signal

    if not follow:
        if len(sources) == 1:
            feed(engine, sources[0])
        else:
            feed_interleaved(engine, sources)
        return False

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        feed(engine, sources[0])
    except KeyboardInterrupt:
        return True
    finally:
        signal.signal(signal.SIGTERM, previous)
    return False


# -- output ----------------------------------------------------------------------------------


def emit(
    report: dict[str, Any], report_dir: str | None, formats: Sequence[str] | None
) -> list[Path]:
    """Print the terminal table (and regressions) and write the requested report files."""
    from accord.report import terminal_table, write_reports

    print(terminal_table(report))
    regressions = report.get("regressions") or []
    if regressions:
        print(f"\nREGRESSED against {report.get('baseline', 'the baseline')}:")
        for item in regressions:
            print(f"  {item['detail']}")
    if report_dir is None and formats is None:
        return []
    formats = REPORT_FORMATS if formats is None else _parse_formats(formats)
    written = list(write_reports(report, Path(report_dir or "."), formats=formats))
    for path in written:
        print(f"accord: wrote {path}", file=sys.stderr)
    return written


def _read_report(path: str) -> dict[str, Any]:
    import orjson

    try:
        data = orjson.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (expected a report.json)") from None
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{path}: not JSON ({exc}); expected a report.json") from None
    if not isinstance(data, dict) or "expectations" not in data:
        raise UsageError(f"{path}: not an accord report (no 'expectations')")
    return data


def _audit(args: argparse.Namespace) -> int:
    from accord.consistency import regressions
    from accord.sources import open_source

    config_path = Path("pyproject.toml")
    config = _load_config(config_path)
    where = f"{config_path} [tool.accord.audit]"
    trigger = args.trigger or config.get("trigger")
    expect = args.expect or _config_pairs(config, "expect", where)
    keys = args.key or _config_pairs(config, "key", where)
    configured_agree = config.get("agree", [])
    if isinstance(configured_agree, str):
        configured_agree = [configured_agree]
    agree = args.agree or [str(item) for item in configured_agree]
    report_dir = args.report_dir or config.get("report-dir") or config.get("report_dir")
    formats = args.format or config.get("formats") or config.get("format")
    if formats is None and report_dir is not None:
        formats = list(REPORT_FORMATS)
    if formats is not None:
        _parse_formats(formats)
    tolerance = _parse_tolerance(
        args.p99_tolerance
        if args.p99_tolerance is not None
        else config.get("p99-tolerance", config.get("p99_tolerance", "10%"))
    )
    configured_sources = config.get("sources", [])
    if isinstance(configured_sources, str):
        configured_sources = [configured_sources]
    specs = list(args.sources) or [str(item) for item in configured_sources]
    if not specs:
        raise UsageError(
            "give at least one SOURCE: a .jsonl file, -, kafka://HOST:PORT/TOPICS or "
            "atom+http://HOST:PORT/feed"
        )
    if args.follow and len(specs) > 1:
        raise UsageError(
            "--follow reads one source: name all topics (or feeds) in one argument, "
            "e.g. kafka://HOST:PORT/order,invoice,delivery"
        )
    if args.group_id and not all(s.startswith("kafka://") for s in specs):
        raise UsageError("--group-id applies to kafka:// sources only")
    if args.follow and not all(s.startswith(("kafka://", "atom+")) for s in specs):
        raise UsageError("--follow applies to kafka:// and atom+http:// sources only")
    until = _parse_until(args.until)
    lateness = args.lateness if args.lateness is not None else config.get("lateness")
    engine = build_engine(trigger, expect, keys, agree, lateness)
    baseline = _read_report(args.baseline) if args.baseline else None
    accepted = read_accepted(args.accepted) if args.accepted else None
    sources = [open_source(s, follow=args.follow, group_id=args.group_id) for s in specs]
    if args.follow:
        for source in sources:
            if hasattr(source, "on_incomplete"):
                source.on_incomplete = _warn_incomplete
    interrupted = _read_all(engine, sources, args.follow)
    for source in sources:
        skipped = getattr(source, "undecodable", None)
        if skipped:
            first_where, reason = skipped[0]
            print(
                f"accord: warning: skipped {len(skipped)} record(s) that are not CloudEvents, "
                f"first at {first_where}: {reason}",
                file=sys.stderr,
            )
    report = engine.report(
        until,
        partial=args.partial,
        complete=_flag(args.complete, config, "complete"),
        accepted=accepted,
        allow_empty=_flag(args.allow_empty, config, "allow-empty"),
        fail_on_pending=_flag(args.fail_on_pending, config, "fail-on-pending"),
    )
    if interrupted:
        report["interrupted"] = True
    reasons = [r for source in sources for r in getattr(source, "incomplete", [])]
    if reasons:
        # The topics cannot vouch for what was read: no verdict, whatever the counts.
        report["incomplete"] = reasons
        report["consistent"] = False
        if "verdict" in report:
            report["verdict"] = "not_consistent"
    if baseline is not None:
        report["baseline"] = args.baseline
        report["regressions"] = regressions(report, baseline, p99_tolerance=tolerance)
    report["origin"] = _origin(specs)
    emit(report, report_dir, formats)
    return 0 if report["consistent"] and not report.get("regressions") else 1


def _warn_incomplete(reason: str) -> None:
    print(f"accord: warning: the report will be incomplete: {reason}", file=sys.stderr, flush=True)


def _origin(sources: Sequence[str]) -> dict[str, Any]:
    """Where the report comes from (shown by every report format)."""
    from accord.report import run_origin

    return run_origin(sources=sources)


def _flag(given: bool | None, config: Mapping[str, Any], name: str) -> bool:
    """A boolean option, else its ``[tool.accord.audit]`` key (``a-b`` or ``a_b``)."""
    if given is not None:
        return given
    value = config.get(name, config.get(name.replace("-", "_"), False))
    if not isinstance(value, bool):
        raise UsageError(f"pyproject.toml [tool.accord.audit]: '{name}' must be true or false")
    return value


def read_accepted(spec: str) -> dict[str, datetime | None]:
    """The accepted order ids (with their acceptance time when known) of ``--accepted``.

    ``http(s)://HOST:PORT/orders``: the order service's paged list (``items``, ``total``;
    each item's ``orderId`` and ``acceptedAt``). Else a JSONL file: per line an id (a JSON
    string) or an object with ``orderId`` (or ``id``) and optionally ``acceptedAt``.

    Raises:
        UsageError: the source cannot be read or is not of that shape.
    """
    if spec.startswith(("http://", "https://")):
        return _accepted_from_api(spec)
    import orjson

    path = Path(spec)
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise UsageError(f"--accepted {spec}: cannot read it ({exc.strerror})") from None
    out: dict[str, datetime | None] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise UsageError(
                f"{spec}:{number}: not JSON; expected an order id (\"o-1\") or "
                '{"orderId": ..., "acceptedAt": ...}'
            ) from None
        key, moment = _accepted_item(item, f"{spec}:{number}")
        out.setdefault(key, moment)
    return out


def _accepted_item(item: Any, where: str) -> tuple[str, datetime | None]:
    from accord.consistency import parse_time

    if isinstance(item, (str, int)) and not isinstance(item, bool):
        return str(item), None
    if isinstance(item, dict):
        key = item.get("orderId", item.get("id"))
        if isinstance(key, (str, int)) and not isinstance(key, bool):
            raw = item.get("acceptedAt")
            try:
                return str(key), parse_time(raw) if raw is not None else None
            except UsageError as exc:
                raise UsageError(f"{where}: acceptedAt: {exc}") from None
    raise UsageError(f"{where}: expected an order id or an object with 'orderId'")


def _accepted_from_api(url: str) -> dict[str, datetime | None]:
    import requests

    out: dict[str, datetime | None] = {}
    page = seen = 0
    session = requests.Session()
    try:
        while True:
            try:
                response = session.get(
                    url, params={"page": page, "size": _PAGE_SIZE}, timeout=30
                )
            except requests.RequestException as exc:
                raise UsageError(f"--accepted {url}: {exc}") from None
            if response.status_code != 200:
                raise UsageError(
                    f"--accepted {url}?page={page}: answered {response.status_code}: "
                    f"{response.text[:200]}"
                )
            try:
                body = response.json()
            except ValueError:
                body = None
            items = body.get("items") if isinstance(body, dict) else None
            total = body.get("total") if isinstance(body, dict) else None
            if not isinstance(items, list) or not isinstance(total, int):
                raise UsageError(
                    f"--accepted {url}: not a page of orders (expected 'items' and 'total')"
                )
            for item in items:
                key, moment = _accepted_item(item, f"{url}?page={page}")
                out.setdefault(key, moment)
            seen += len(items)
            page += 1
            # A server may page smaller than asked: count items, not pages.
            if not items or seen >= total:
                return out
    finally:
        session.close()


def _merge(args: argparse.Namespace) -> int:
    from accord.consistency import merge_reports

    reports = [_read_report(path) for path in args.partials]
    merged = merge_reports(
        reports,
        until=_parse_until(args.until),
        partial=args.partial,
        allow_empty=args.allow_empty,
        fail_on_pending=args.fail_on_pending,
    )
    merged["origin"] = _origin(args.partials)
    formats = args.format
    if formats is None and args.report_dir is not None:
        formats = ",".join(REPORT_FORMATS)
    emit(merged, args.report_dir, formats)
    return 0 if merged["consistent"] else 1
