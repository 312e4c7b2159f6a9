"""``accord atom check``: is a served Atom feed what its readers may rely on?"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``atom check``."""
    atom = sub.add_parser("atom", help="check Atom feeds a system serves")
    atom_sub = atom.add_subparsers(dest="atom_command", metavar="COMMAND")
    check = atom_sub.add_parser(
        "check",
        help="check a feed: RFC 4287 elements, archive links, caching, event payloads",
        description="Read each feed twice from its head to the oldest archive page and check "
        "the RFC 4287 elements (feed and entry id, title, updated), unique and stable entry "
        "ids, archive pages unchanged between the reads and linked both ways (prev-archive, "
        "next-archive, current), order by position, ETag and Last-Modified on the head, 304 "
        "on an unchanged conditional GET, caching headers, and every entry's CloudEvent "
        "against the event schemas. Exit 0 when every feed passes, 1 when one does not, 2 "
        "when a feed cannot be reached or the contracts cannot be read.",
    )
    check.add_argument(
        "urls",
        nargs="+",
        metavar="URL",
        help="a feed's head, http://HOST:PORT/feed (atom+http:// is accepted too)",
    )
    check.add_argument(
        "--contracts",
        default="contracts",
        metavar="DIR",
        help="contracts directory with schemas/<type>/vN.json (default: %(default)s)",
    )
    check.add_argument(
        "--links-only",
        action="store_true",
        help='check the "links only" representation (Accept: application/atom+xml; '
        'profile="urn:accord:feed:links"): entries without content, data behind the link',
    )
    check.add_argument(
        "--no-payloads",
        action="store_true",
        help="do not validate the entries' CloudEvents (a feed of other content)",
    )
    check.set_defaults(handler=_check)
    atom.set_defaults(handler=lambda args: (atom.print_help(sys.stderr), 2)[1])


def _check(args: argparse.Namespace) -> int:
    from accord.atom import check_feed
    from accord.schemas import SchemaRegistry
    from accord.sources._atom import ATOM_TYPE, LINKS_ONLY_ACCEPT, FeedClient

    registry = None if args.no_payloads else SchemaRegistry.from_directory(args.contracts)
    failed = False
    for url in args.urls:
        client = FeedClient(accept=LINKS_ONLY_ACCEPT if args.links_only else ATOM_TYPE)
        try:
            report = check_feed(url, registry, client=client)
        finally:
            client.close()
        for line in report.lines():
            print(line)
        failed = failed or not report.ok
    return 1 if failed else 0
