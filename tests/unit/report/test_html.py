"""report.html: self-contained, escaped, and its SVG plots say what the report says."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest

from accord.report import render_html
from accord.report._svg import histogram_svg, staircase_svg, timeline_svg

pytestmark = pytest.mark.unit

SVG = "{http://www.w3.org/2000/svg}"


class Tags(HTMLParser):
    """Collects the tags and the text of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def tags_of(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    parser.close()
    return parser


def svgs(page: str) -> dict[str, ET.Element]:
    """Every inline SVG of the page, parsed as XML (so each is well-formed), by plot class."""
    found = {}
    for match in re.finditer(r"<svg .*?</svg>", page, flags=re.S):
        element = ET.fromstring(match.group())
        classes = element.get("class", "").split()
        found.setdefault(classes[1], element) if len(classes) > 1 else None
    return found


def test_page_is_self_contained(violations_report: dict[str, Any]) -> None:
    page = render_html(violations_report)
    tags = tags_of(page)

    names = {tag for tag, _ in tags.tags}
    assert "script" not in names and "link" not in names and "img" not in names
    assert not re.search(r"(src|href)=", page)
    assert "http://www.w3.org/2000/svg" in page  # the SVG namespace, not a fetch
    assert set(re.findall(r"https?://[^\s\"']*", page)) == {"http://www.w3.org/2000/svg"}
    assert "url(" not in page and "@import" not in page
    csp = [attrs for tag, attrs in tags.tags if attrs.get("http-equiv")]
    assert csp and "default-src 'none'" in (csp[0].get("content") or "")


def test_header_and_summary(violations_report: dict[str, Any]) -> None:
    page = render_html(violations_report)

    assert '<h1 id="verdict">NOT CONSISTENT</h1>' in page
    assert '<header class="bad">' in page
    text = " ".join(tags_of(page).text)
    assert "11 violations (5 late, 2 missing" in text
    # Summary row: counts in order, non-zero violations marked.
    row = re.search(r"<tr><td class=\"text name\"><code>invoice.created</code>.*?</tr>", page)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group())
    assert cells[1:10] == ["60s", "190", "5", "1", "4", "0", "1", "0", "420ms"]
    assert '<td class="bad">5</td>' in row.group()


def test_consistent_page(consistent_report: dict[str, Any]) -> None:
    page = render_html(consistent_report)

    assert '<h1 id="verdict">CONSISTENT</h1>' in page
    assert '<header class="ok">' in page
    assert "No violations." in page
    plots = svgs(page)
    assert set(plots) == {"histogram", "timeline", "staircase"}
    assert "no violations" in "".join(plots["timeline"].itertext())


def test_histogram_bars_sit_on_the_right_side_of_the_limit(
    violations_report: dict[str, Any],
) -> None:
    stats = violations_report["expectations"]["invoice.created"]
    svg = ET.fromstring(histogram_svg("invoice.created", stats["histogram"], 60.0, 130.5))

    bars = svg.findall(f"{SVG}rect[@class='bar']")
    (limit,) = svg.findall(f"{SVG}line[@class='limit']")
    limit_x = float(limit.get("x1", "nan"))
    labels = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert "limit 60s" in labels and "p99 2m10s" in labels
    assert sum(int(bar.findtext(f"{SVG}title", "").rsplit(": ", 1)[1]) for bar in bars) == 195
    by_color: dict[str, list[tuple[float, float]]] = {}
    for bar in bars:
        x, width = float(bar.get("x", "nan")), float(bar.get("width", "nan"))
        by_color.setdefault(bar.get("fill", ""), []).append((x, x + width))
    ok, late = by_color.pop("#3f8f6b"), by_color.pop("#d0453e")
    assert max(right for _, right in ok) <= limit_x
    assert min(left for left, _ in late) >= limit_x
    # The one bucket that holds 60s straddles the line.
    ((left, right),) = by_color.pop("#e0a040")
    assert left < limit_x < right
    assert not by_color


def test_histogram_without_data_says_so() -> None:
    empty = ET.fromstring(histogram_svg("x", {"edges_s": [], "counts": []}, 60.0))
    broken = ET.fromstring(histogram_svg("x", {"edges_s": [1, 2], "counts": [1, 2, 3]}, 60.0))

    assert "no matching events yet" in "".join(empty.itertext())
    assert "no latency histogram" in "".join(broken.itertext())


def test_histogram_from_zero_and_a_limit_outside_the_data() -> None:
    # The engine's first edge is 0 when a latency is below 1 ms; the limit is far right.
    svg = ET.fromstring(
        histogram_svg("x", {"edges_s": [0, 0.001, 0.00126], "counts": [3, 1]}, 3600)
    )

    bars = svg.findall(f"{SVG}rect[@class='bar']")
    limit_x = float(svg.findall(f"{SVG}line[@class='limit']")[0].get("x1", "nan"))
    assert len(bars) == 2
    assert all(float(b.get("x", "nan")) + float(b.get("width", "nan")) < limit_x for b in bars)
    assert all(float(b.get("x", "nan")) >= 52 for b in bars)


def test_timeline_counts_every_timed_violation(violations_report: dict[str, Any]) -> None:
    svg = ET.fromstring(timeline_svg(violations_report["violations"]))

    per_kind: dict[str, int] = {}
    for bar in svg.findall(f"{SVG}rect[@class='bar']"):
        count, kind = bar.findtext(f"{SVG}title", "").rsplit(": ", 1)[1].split(" ", 1)
        per_kind[kind] = per_kind.get(kind, 0) + int(count)
    assert per_kind == {
        "late": 5, "missing": 2, "duplicated": 1, "orphaned": 1, "mismatched": 1,
        "duplicate_trigger": 1,
    }  # fmt: skip
    legend = ["".join(t.itertext()) for t in svg.findall(f"{SVG}text[@class='legend']")]
    assert legend[:2] == ["late (5)", "missing (2)"]


def test_staircase_has_a_step_line_per_expectation(violations_report: dict[str, Any]) -> None:
    series = [
        (name, s["consistent_within"]) for name, s in violations_report["expectations"].items()
    ]
    svg = ET.fromstring(staircase_svg(series))

    paths = svg.findall(f"{SVG}path[@class='step']")
    assert len(paths) == 2
    dots = [c.findtext(f"{SVG}title") for c in svg.iter(f"{SVG}circle")]
    assert "invoice.created: 71.0% within 1s" in dots
    assert "delivery.created: 99.5% within 1d" in dots
    assert len(dots) == 10


def test_hostile_strings_are_escaped(hostile_report: dict[str, Any]) -> None:
    page = render_html(hostile_report)
    tags = tags_of(page)

    names = [tag for tag, _ in tags.tags]
    assert "script" not in names and "img" not in names and "b" not in names and "i" not in names
    assert not any(name.startswith("on") for _, attrs in tags.tags for name in attrs)
    text = "".join(tags.text)
    assert "<script>alert('key')</script>" in text
    assert '"><img src=x onerror=alert(1)>' in text
    assert "<b>invoice</b>.created" in text
    assert "\x1b" not in page and "\x00" not in page
    for svg in svgs(page).values():  # still well-formed XML
        assert svg.tag == f"{SVG}svg"


def test_thousands_of_violations_are_capped(many_violations_report: dict[str, Any]) -> None:
    page = render_html(many_violations_report)

    section = page[page.index('<section id="violations">') :]
    assert section.count("<tr>") == 1 + 200
    assert "... and 4800 more violations not listed here" in section
    assert len(page) < 400_000
    timeline = svgs(page)["timeline"]
    total = sum(
        int(bar.findtext(f"{SVG}title", "").rsplit(": ", 1)[1].split(" ", 1)[0])
        for bar in timeline.findall(f"{SVG}rect[@class='bar']")
    )
    assert total == 5000
    assert len(timeline.findall(f"{SVG}rect[@class='bar']")) <= 61


def test_regressions_section(regressions_report: dict[str, Any]) -> None:
    page = render_html(regressions_report)

    assert "Regressions against the baseline (2)" in page
    assert "invoice.created p99 worse: 1.92s -&gt; 130.5s (tolerance 10%)" in page
    assert "Regressions" not in render_html({**regressions_report, "regressions": None})


def test_a_sparse_report_still_renders() -> None:
    page = render_html({"expectations": ["not", "a", "mapping"], "violations": [{"kind": "x"}]})

    assert '<h1 id="verdict">NOT CONSISTENT</h1>' in page
    assert "no violation has a time" in page
    assert "This report has no expectations." in page
