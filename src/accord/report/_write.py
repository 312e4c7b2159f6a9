"""Writing the report files: every format rendered first, then each file replaced atomically."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accord.errors import UsageError
from accord.report._html import render_html
from accord.report._junit import render_junit
from accord.report._markdown import render_markdown

__all__ = ["FILENAMES", "FORMATS", "parse_formats", "render_json", "run_origin", "write_reports"]

#: Every format :func:`write_reports` knows, in the order it writes them.
FORMATS: tuple[str, ...] = ("json", "junit", "html", "md")
#: The file each format is written to.
FILENAMES: dict[str, str] = {
    "json": "report.json",
    "junit": "junit.xml",
    "html": "report.html",
    "md": "report.md",
}


#: An indented JSON array of numbers only (strings hold quotes, so never match).
_NUMBER_ARRAY = re.compile(r"\[\n\s+(-?[0-9][0-9.eE+-]*(?:,\n\s+-?[0-9][0-9.eE+-]*)*)\n\s*\]")


def render_json(report: Mapping[str, Any]) -> str:
    """The report as indented JSON (``report.json``), keys in the engine's order.

    Arrays of numbers (histogram edges and counts, carried latencies) stay on one line: a
    report of thousands of keys remains a file a person can read.
    """
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
    return _NUMBER_ARRAY.sub(_one_line, text) + "\n"


def _one_line(match: re.Match[str]) -> str:
    return "[" + ", ".join(item.strip() for item in match.group(1).split(",")) + "]"


_RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "json": render_json,
    "junit": render_junit,
    "html": render_html,
    "md": render_markdown,
}


def parse_formats(formats: str | Iterable[str]) -> tuple[str, ...]:
    """Normalise formats given as ``"json,html"`` or ``["json", "html"]``.

    Names are case-insensitive; duplicates are dropped, the order is kept.

    Raises:
        UsageError: a format is unknown (the message names it and the valid ones), or none
            is given.
    """
    names = formats.split(",") if isinstance(formats, str) else list(formats)
    chosen: list[str] = []
    for raw in names:
        name = str(raw).strip().lower()
        if not name:
            continue
        if name not in _RENDERERS:
            raise UsageError(
                f"unknown report format {str(raw).strip()!r}: "
                f"use one or more of {', '.join(FORMATS)} (comma-separated)"
            )
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise UsageError(f"no report format given: use one or more of {', '.join(FORMATS)}")
    return tuple(chosen)


def _command_line(argv: Sequence[str]) -> str:
    """The command that is running, as a person would type it (``accord audit ...``)."""
    if not argv:
        return ""
    program = Path(argv[0])
    name = program.parent.name if program.name == "__main__.py" else program.name
    return shlex.join([name or str(program), *argv[1:]])


def run_origin(
    *,
    sources: Iterable[str] = (),
    command: str | None = None,
    window_start: str | None = None,
    argv: Sequence[str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Where a report comes from: what :func:`write_reports` adds as ``origin``.

    Args:
        sources: what the events were read from (files, ``kafka://`` URLs, topics).
        command: the command or plugin run; by default the running command line.
        window_start: when the audited window began, when the caller knows it.
        argv: the command line to describe (default ``sys.argv``).
        now: the generation time (default: the current time).

    Returns:
        ``{"command", "sources", "window_start", "generated_at", "accord_version"}``.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        accord_version = version("accord")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        accord_version = "unknown"
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "command": command
        if command is not None
        else _command_line(sys.argv if argv is None else argv),
        "sources": [str(source) for source in sources],
        "window_start": window_start,
        "generated_at": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "accord_version": accord_version,
    }


def _replace_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file next to ``path``, then rename it over ``path``.

    A reader sees the old file or the new one, never a part; a failure leaves no temp file.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8", errors="surrogateescape"))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_reports(
    report: Mapping[str, Any],
    directory: str | os.PathLike[str],
    formats: str | Iterable[str] = FORMATS,
    *,
    origin: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write the report in the chosen formats into ``directory``.

    ``json`` -> ``report.json``, ``junit`` -> ``junit.xml``, ``html`` -> ``report.html``,
    ``md`` -> ``report.md``. The directory is created when missing. Every format is rendered
    before anything is written, and each file is replaced atomically (temporary file in the
    same directory, then :func:`os.replace`), so no file is ever half-written and existing
    reports are replaced whole.

    Args:
        report: a report dict in the ``report.json`` shape.
        directory: where to write the files.
        formats: format names, as a sequence or a comma-separated string.
        origin: where the report comes from (see :func:`run_origin`); by default the
            report's own ``origin``, else the running command line, the generation time
            and the accord version. Every format shows it.

    Returns:
        The paths written, in the order of ``formats``.

    Raises:
        UsageError: an unknown format, or a directory that cannot be created or written.
    """
    chosen = parse_formats(formats)
    target = Path(directory)
    if origin is not None or not isinstance(report.get("origin"), Mapping):
        report = {**report, "origin": dict(origin) if origin is not None else run_origin()}
    rendered = [(FILENAMES[name], _RENDERERS[name](report)) for name in chosen]
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create report directory {str(target)!r}: {exc.strerror or exc}; "
            "choose another --report-dir"
        ) from None
    written: list[Path] = []
    for filename, text in rendered:
        path = target / filename
        try:
            _replace_atomically(path, text)
        except OSError as exc:
            raise UsageError(
                f"cannot write {str(path)!r}: {exc.strerror or exc}; "
                "check the report directory's permissions"
            ) from None
        written.append(path)
    return written
