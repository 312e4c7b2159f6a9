"""Latency statistics: nearest-rank quantiles, log-spaced histograms, consistent-within.

Latencies are integers of microseconds inside the engine, so that comparisons with a limit
and quantiles are exact; reports show seconds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, islice, repeat
from typing import Any

__all__ = [
    "BUCKETS_PER_DECADE",
    "EXACT_DISTINCT",
    "HISTOGRAM_ERROR",
    "QUANTILES",
    "WITHIN",
    "bucket_of",
    "histogram",
    "histogram_buckets",
    "histogram_quantiles",
    "latency_counts",
    "latency_values",
    "quantiles",
    "sorted_latencies",
    "within_counts",
]

#: ``consistent_within`` thresholds: report label and limit in microseconds.
WITHIN: tuple[tuple[str, int], ...] = (
    ("0.1s", 100_000),
    ("1s", 1_000_000),
    ("1min", 60_000_000),
    ("1h", 3_600_000_000),
    ("1d", 86_400_000_000),
)
#: Reported quantiles as (name, percent).
QUANTILES: tuple[tuple[str, int], ...] = (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99))
#: Histogram resolution: bucket edges at 10**(k/10) seconds.
BUCKETS_PER_DECADE = 10
#: Bucket index of latencies below 1 ms (edges [0, 0.001)).
_BELOW_MS = -3 * BUCKETS_PER_DECADE - 1
#: What a quantile read from merged histograms may be off by.
HISTOGRAM_ERROR = (
    f"quantiles estimated from histograms ({BUCKETS_PER_DECADE} log-spaced buckets per decade):"
    f" within {math.ceil(1000 * (10 ** (1 / (2 * BUCKETS_PER_DECADE)) - 1)) / 10}% of the"
    " true value,"
    " or within 0.5 ms below 1 ms; max is exact"
)


def _seconds(us: int) -> float:
    return us / 1_000_000


def quantiles(sorted_us: Sequence[int]) -> dict[str, Any]:
    """``count``, nearest-rank ``p50/p90/p95/p99`` and ``max`` in seconds (zeros when empty).

    The nearest-rank p-quantile of n sorted values is the value at rank ceil(p * n / 100).
    """
    n = len(sorted_us)
    out: dict[str, Any] = {"count": n}
    for name, percent in QUANTILES:
        out[name] = _seconds(sorted_us[-(-percent * n // 100) - 1]) if n else 0
    out["max"] = _seconds(sorted_us[-1]) if n else 0
    return out


#: How many latencies :func:`sorted_latencies` looks at before choosing how to sort.
_SAMPLE = 65_536


def sorted_latencies(*parts: Iterable[int]) -> list[int]:
    """Every value of ``parts`` in one ascending list.

    Latencies of a whole audit are often of a coarse resolution (event times in whole
    milliseconds) and repeat a lot: then counting them (``Counter`` counts in C) and
    spelling the sorted distinct values out again is several times faster than sorting a
    million of them. When the first ``_SAMPLE`` values are mostly distinct, it sorts instead
    (the count only cost that sample).
    """
    values = chain.from_iterable(parts)
    counts: Counter[int] = Counter(islice(values, _SAMPLE))
    if 2 * len(counts) > counts.total():
        out = _spelled_out(counts)
        out.extend(values)
        out.sort()
        return out
    counts.update(values)
    return _spelled_out(counts)


def _spelled_out(counts: Mapping[int, int]) -> list[int]:
    """The values of a multiset in ascending order, each as often as it is counted."""
    distinct = sorted(counts)
    return list(chain.from_iterable(map(repeat, distinct, map(counts.__getitem__, distinct))))


def bucket_of(us: int) -> int:
    """The histogram bucket index of a latency in microseconds."""
    if us < 1000:
        return _BELOW_MS
    k = math.floor(BUCKETS_PER_DECADE * math.log10(us / 1_000_000))
    # Edges are rounded to 6 digits: settle the bucket by the edges themselves.
    while us >= _edge_us(k + 1):
        k += 1
    while k > _BELOW_MS + 1 and us < _edge_us(k):
        k -= 1
    return k


def _edge(k: int) -> float:
    if k <= _BELOW_MS:
        return 0.0
    return float(f"{10 ** (k / BUCKETS_PER_DECADE):.6g}")


def histogram(sorted_us: Sequence[int]) -> dict[str, Any]:
    """A log-spaced histogram of sorted latencies, trimmed to the populated range.

    Returns:
        ``{"edges_s": [...], "counts": [...], "buckets_per_decade": 10}`` with
        ``len(edges_s) == len(counts) + 1``; bucket i counts latencies in
        ``[edges_s[i], edges_s[i+1])``. The first edge is 0 when latencies below 1 ms occur.
        Empty lists when there are no latencies.
    """
    import bisect

    if not sorted_us:
        return _histogram_from({})
    low, high = bucket_of(sorted_us[0]), bucket_of(sorted_us[-1])
    counts: dict[int, int] = {}
    # One bisection per bucket instead of a logarithm per latency.
    start = 0
    for k in range(low, high + 1):
        end = bisect.bisect_left(sorted_us, _edge_us(k + 1)) if k < high else len(sorted_us)
        if end > start:
            counts[k] = end - start
        start = end
    return _histogram_from(counts)


def _edge_us(k: int) -> int:
    """The smallest latency in microseconds that falls in bucket ``k`` or above."""
    return math.ceil(_edge(k) * 1_000_000 - 1e-6)


def _histogram_from(counts: Mapping[int, int]) -> dict[str, Any]:
    if not counts:
        return {"edges_s": [], "counts": [], "buckets_per_decade": BUCKETS_PER_DECADE}
    low, high = min(counts), max(counts)
    return {
        "edges_s": [_edge(k) for k in range(low, high + 2)],
        "counts": [counts.get(k, 0) for k in range(low, high + 1)],
        "buckets_per_decade": BUCKETS_PER_DECADE,
    }


def histogram_buckets(hist: Mapping[str, Any]) -> dict[int, int]:
    """Bucket index to count of a histogram from :func:`histogram` (for merging)."""
    edges = hist.get("edges_s") or []
    counts = hist.get("counts") or []
    out: dict[int, int] = {}
    for edge, count in zip(edges, counts, strict=False):
        k = _BELOW_MS if edge <= 0 else round(BUCKETS_PER_DECADE * math.log10(edge))
        if count:
            out[k] = out.get(k, 0) + int(count)
    return out


def merge_histograms(buckets: Iterable[Mapping[int, int]]) -> dict[str, Any]:
    """One histogram from several bucket maps."""
    total: Counter[int] = Counter()
    for b in buckets:
        total.update(b)
    return _histogram_from(total)


def histogram_quantiles(buckets: Mapping[int, int], max_s: float) -> dict[str, Any]:
    """Quantiles estimated from bucket counts: the geometric middle of the rank's bucket.

    ``max_s`` is exact (partial reports carry their maximum); estimates never exceed it.
    """
    n = sum(buckets.values())
    out: dict[str, Any] = {"count": n}
    order = sorted(buckets)
    for name, percent in QUANTILES:
        if not n:
            out[name] = 0
            continue
        rank = -(-percent * n // 100)
        seen = 0
        for k in order:
            seen += buckets[k]
            if seen >= rank:
                middle = 0.0005 if k == _BELOW_MS else math.sqrt(_edge(k) * _edge(k + 1))
                out[name] = min(round(middle, 6), max_s)
                break
    out["max"] = max_s if n else 0
    return out


#: A report carries its latencies as (value, count) pairs when it has at most this many
#: distinct values (in microseconds), so that merging reports is exact; a few kB of JSON.
EXACT_DISTINCT = 4096


def latency_counts(sorted_us: Sequence[int], limit: int = EXACT_DISTINCT) -> dict[str, Any] | None:
    """The sorted latencies as distinct values and their counts, or ``None`` when there are
    more than ``limit`` distinct values (then a merge estimates from the histogram).

    At most one bisection per distinct value and at most ``limit + 1`` distinct values
    looked at, whatever the number of latencies: a few milliseconds for millions of keys.
    """
    import bisect

    values: list[int] = []
    counts: list[int] = []
    start, n = 0, len(sorted_us)
    while start < n:
        if len(values) == limit:
            return None
        value = sorted_us[start]
        if start + 1 < n and sorted_us[start + 1] != value:
            end = start + 1  # a value seen once: no bisection
        else:
            end = bisect.bisect_right(sorted_us, value, start)
        values.append(value)
        counts.append(end - start)
        start = end
    return {"values_us": values, "counts": counts}


def latency_values(carried: Mapping[str, Any]) -> list[int]:
    """The sorted latencies in microseconds that :func:`latency_counts` describes."""
    values = carried.get("values_us") or []
    counts = carried.get("counts") or []
    return list(chain.from_iterable(map(repeat, map(int, values), map(int, counts))))


def within_counts(latencies_us: Sequence[int]) -> dict[str, int]:
    """How many of the (sorted) latencies are at most each ``consistent_within`` threshold."""
    import bisect

    return {label: bisect.bisect_right(latencies_us, limit) for label, limit in WITHIN}
