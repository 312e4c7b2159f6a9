"""Export each service's OpenAPI document to ``contracts/openapi/<service>.json``.

``python -m reference_services.export_openapi [--check] [DIRECTORY]``; ``--check`` exits 1 and
names the stale files instead of writing them (a unit test runs the same comparison).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_DIRECTORY", "openapi_document", "render", "stale_documents", "write_documents"]

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "contracts" / "openapi"


def openapi_document(service: str) -> dict[str, Any]:
    """The OpenAPI document FastAPI generates for ``service``."""
    from reference_services.bootstrap import bootstrap

    runtime = bootstrap(service)
    try:
        document: dict[str, Any] = runtime.app.openapi()
        return document
    finally:
        runtime.stop()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_documents(directory: Path = DEFAULT_DIRECTORY) -> list[Path]:
    """Write ``<service>.json`` for every service; return the paths."""
    from reference_services.bootstrap import SERVICES

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for service in SERVICES:
        path = directory / f"{service}.json"
        path.write_text(render(openapi_document(service)), encoding="utf-8")
        written.append(path)
    return written


def stale_documents(directory: Path = DEFAULT_DIRECTORY) -> list[Path]:
    """The exported documents that are missing or differ from what the apps generate."""
    from reference_services.bootstrap import SERVICES

    stale = []
    for service in SERVICES:
        path = directory / f"{service}.json"
        if not path.is_file() or path.read_text(encoding="utf-8") != render(
            openapi_document(service)
        ):
            stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_services.export_openapi")
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIRECTORY)
    parser.add_argument("--check", action="store_true", help="only report stale documents")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_documents(args.directory)
        for path in stale:
            print(f"{path}: out of date; run python -m reference_services.export_openapi",
                  file=sys.stderr)
        return 1 if stale else 0
    for path in write_documents(args.directory):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
