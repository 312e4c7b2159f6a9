"""Nearest-rank quantiles, histograms and consistent-within, on lists small enough to check."""

from __future__ import annotations

import pytest

from accord.consistency._stats import (
    EXACT_DISTINCT,
    bucket_of,
    histogram,
    histogram_buckets,
    histogram_quantiles,
    latency_counts,
    latency_values,
    quantiles,
    sorted_latencies,
    within_counts,
)

pytestmark = pytest.mark.unit

S = 1_000_000  # microseconds per second


def test_nearest_rank_on_one_to_ten() -> None:
    # ranks: p50 -> ceil(5) = 5, p90 -> ceil(9) = 9, p95 -> ceil(9.5) = 10, p99 -> 10
    assert quantiles([n * S for n in range(1, 11)]) == {
        "count": 10, "p50": 5.0, "p90": 9.0, "p95": 10.0, "p99": 10.0, "max": 10.0,
    }


def test_nearest_rank_on_a_hundred_and_on_one() -> None:
    values = [n * S for n in range(1, 101)]
    assert quantiles(values)["p99"] == 99.0 and quantiles(values)["p95"] == 95.0
    assert quantiles([S // 2]) == {
        "count": 1, "p50": 0.5, "p90": 0.5, "p95": 0.5, "p99": 0.5, "max": 0.5,
    }


def test_nearest_rank_on_three_values() -> None:
    # p50 -> ceil(1.5) = rank 2; p90 -> ceil(2.7) = rank 3
    assert quantiles([1, 2, 3 * S])["p50"] == 0.000002
    assert quantiles([1, 2, 3 * S])["p90"] == 3.0


def test_within_counts_are_inclusive() -> None:
    values = [0, 100_000, 100_001, S, 60 * S, 3600 * S + 1, 86_400 * S]
    assert within_counts(values) == {"0.1s": 2, "1s": 4, "1min": 5, "1h": 5, "1d": 7}


def test_histogram_buckets_are_log_spaced_and_round_trip() -> None:
    values = sorted([0, 999, 1000, 1_000_000, 1_258_929, 1_258_930, 9 * S])
    hist = histogram(values)
    assert len(hist["edges_s"]) == len(hist["counts"]) + 1
    assert hist["edges_s"][:3] == [0.0, 0.001, 0.00125893]
    assert sum(hist["counts"]) == len(values)
    buckets = histogram_buckets(hist)
    assert buckets[-31] == 2  # below 1 ms
    assert buckets[-30] == 1  # [1 ms, 1.26 ms)
    assert buckets[0] == 2  # [1 s, 1.25893 s)
    assert buckets[1] == 1  # [1.25893 s, 1.58489 s)
    assert bucket_of(1_258_929) == 0 and bucket_of(1_258_930) == 1


def test_histogram_quantiles_stay_within_the_stated_error() -> None:
    values = sorted(int(1.07**n * 1000) for n in range(200))
    exact = quantiles(values)
    estimate = histogram_quantiles(histogram_buckets(histogram(values)), exact["max"])
    for name in ("p50", "p90", "p95", "p99"):
        assert abs(estimate[name] - exact[name]) <= 0.123 * exact[name]
    assert estimate["max"] == exact["max"]


@pytest.mark.parametrize("resolution", [1, 1000], ids=["distinct-us", "repeating-ms"])
def test_sorted_latencies_is_sorted_whatever_the_resolution(resolution: int) -> None:
    import random
    from array import array

    rng = random.Random(7)
    # more than the 65,536 values looked at before choosing; clock skew (negatives) too
    live = [rng.randrange(-2000, 5000) * 1000 // resolution * resolution for _ in range(3000)]
    residue = array("q", (rng.randrange(-20, 5_000_000) // resolution * resolution
                          for _ in range(80_000)))
    got = sorted_latencies(live, residue)
    assert got == sorted([*live, *residue])
    assert sorted_latencies([], array("q")) == []
    assert sorted_latencies([3, 1, 3, 3], array("q", [2])) == [1, 2, 3, 3, 3]


def test_latency_counts_round_trip_and_give_up_beyond_the_limit() -> None:
    values = sorted([5, 5, 5, 9, 1000, 1000, 7_000_000])
    carried = latency_counts(values)
    assert carried == {"values_us": [5, 9, 1000, 7_000_000], "counts": [3, 1, 2, 1]}
    assert latency_values(carried) == values
    assert latency_counts([]) == {"values_us": [], "counts": []}
    assert latency_counts(list(range(EXACT_DISTINCT))) is not None
    assert latency_counts(list(range(EXACT_DISTINCT + 1))) is None
    # a million latencies of few distinct values are carried in a few entries
    many = sorted([n % 100 * 1000 for n in range(1_000_000)])
    assert len(latency_counts(many)["values_us"]) == 100  # type: ignore[index]
