"""write_reports: the four files, atomically, and a clear error for an unknown format."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from accord.errors import UsageError
from accord.report import (
    FORMATS,
    _write,
    parse_formats,
    render_html,
    render_json,
    render_junit,
    render_markdown,
    write_reports,
)

pytestmark = pytest.mark.unit


def test_writes_every_format(tmp_path: Path, violations_report: dict[str, Any]) -> None:
    target = tmp_path / "new" / "reports"

    written = write_reports(violations_report, target)

    assert FORMATS == ("json", "junit", "html", "md")
    assert [path.name for path in written] == [
        "report.json", "junit.xml", "report.html", "report.md",
    ]  # fmt: skip
    written_report = json.loads((target / "report.json").read_text("utf-8"))
    # write_reports adds where the report comes from (the running command, time, version)
    assert written_report.pop("origin")["command"].startswith("pytest")
    assert written_report == violations_report
    with_origin = {
        **violations_report,
        "origin": json.loads((target / "report.json").read_text())["origin"],
    }
    assert (target / "junit.xml").read_text("utf-8") == render_junit(with_origin)
    assert (target / "report.html").read_text("utf-8") == render_html(with_origin)
    assert (target / "report.md").read_text("utf-8") == render_markdown(with_origin)
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in written)


def test_formats_as_a_string(tmp_path: Path, consistent_report: dict[str, Any]) -> None:
    written = write_reports(consistent_report, tmp_path, formats="md, JSON,md")

    assert [path.name for path in written] == ["report.md", "report.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.md"]


def test_unknown_format_names_it_and_the_valid_ones(
    tmp_path: Path, consistent_report: dict[str, Any]
) -> None:
    with pytest.raises(UsageError) as caught:
        write_reports(consistent_report, tmp_path / "out", formats=("json", "pdf"))

    assert str(caught.value) == (
        "unknown report format 'pdf': use one or more of json, junit, html, md (comma-separated)"
    )
    assert not (tmp_path / "out").exists()  # nothing written, not even the json
    with pytest.raises(UsageError, match="no report format given"):
        parse_formats(" , ")


def test_existing_files_are_replaced(
    tmp_path: Path, consistent_report: dict[str, Any], violations_report: dict[str, Any]
) -> None:
    write_reports(violations_report, tmp_path)
    before = (tmp_path / "report.html").stat().st_ino

    write_reports(consistent_report, tmp_path)

    assert json.loads((tmp_path / "report.json").read_text("utf-8"))["consistent"] is True
    assert '<h1 id="verdict">CONSISTENT</h1>' in (tmp_path / "report.html").read_text("utf-8")
    assert (tmp_path / "report.html").stat().st_ino != before  # a new file renamed over
    assert len(list(tmp_path.iterdir())) == 4


def test_a_failing_renderer_leaves_old_reports_untouched(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    consistent_report: dict[str, Any],
    violations_report: dict[str, Any],
) -> None:
    write_reports(consistent_report, tmp_path)
    old = {path.name: path.read_bytes() for path in tmp_path.iterdir()}

    def broken(report: Any) -> str:
        raise RuntimeError("renderer bug")

    monkeypatch.setitem(_write._RENDERERS, "md", broken)
    with pytest.raises(RuntimeError, match="renderer bug"):
        write_reports(violations_report, tmp_path)

    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == old


def test_a_failing_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, violations_report: dict[str, Any]
) -> None:
    (tmp_path / "report.json").write_text("old", encoding="utf-8")

    def refuse(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(UsageError, match=r"cannot write .*report.json.*No space left on device"):
        write_reports(violations_report, tmp_path)

    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]
    assert (tmp_path / "report.json").read_text("utf-8") == "old"


def test_directory_that_is_a_file(tmp_path: Path, consistent_report: dict[str, Any]) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("", encoding="utf-8")

    with pytest.raises(UsageError, match="cannot create report directory"):
        write_reports(consistent_report, blocker)


def test_report_json_keeps_arrays_of_numbers_on_one_line() -> None:
    report = {
        "histogram": {"edges_s": [0.1, 0.125893, 1e-05], "counts": [3, -1]},
        "keys": ["[1,\n 2]", "b"],
        "nested": [[1, 2], []],
    }
    text = render_json(report)
    assert json.loads(text) == report
    assert '"edges_s": [0.1, 0.125893, 1e-05],' in text and '"counts": [3, -1]' in text
    assert '"keys": [\n' in text  # strings keep one per line
