"""The counts of ``accord audit`` (ok, late, missing, duplicated, redelivered) in DuckDB SQL.

``python bench/duckdb_audit.py FILE.jsonl`` with one thread; prints events, CPU seconds,
peak RSS (KiB) and the counts as JSON, as bench_audit.py's other subprocesses do. The
semantics are those of docs/consistency.md for invoice.created within 60 s and
delivery.created within 4.95 s: the earliest trigger per key, the earliest match per key and
type, missing once the window end (the latest time read) is past T0 + limit.
"""

import json
import resource
import sys
import time

import duckdb

LIMITS = (("invoice.created", 60_000_000), ("delivery.created", 4_950_000))
LOAD = """
CREATE TEMP TABLE e AS SELECT type, id, partitionkey AS k,
    epoch_us(CAST(time AS TIMESTAMPTZ)) AS t
FROM read_json(?, format = 'newline_delimited', columns = {
    'type': 'VARCHAR', 'id': 'VARCHAR', 'partitionkey': 'VARCHAR', 'time': 'VARCHAR'})
"""
COUNTS = """
WITH trig AS (SELECT k, min(t) AS t0 FROM e WHERE type = 'order.accepted' GROUP BY k),
     we AS (SELECT max(t) AS w FROM e),
     m AS (SELECT k, min(t) AS first, count(DISTINCT id) AS ids
           FROM e WHERE type = $1 GROUP BY k)
SELECT
  count(*) FILTER (WHERE m.first IS NOT NULL AND m.first - trig.t0 <= $2),
  count(*) FILTER (WHERE m.first IS NOT NULL AND m.first - trig.t0 > $2),
  count(*) FILTER (WHERE m.first IS NULL AND we.w >= trig.t0 + $2),
  count(*) FILTER (WHERE m.ids > 1)
FROM trig LEFT JOIN m USING (k), we
"""
COPIES = "SELECT count(*) - count(DISTINCT (k, id)) FROM e WHERE type = $1"

start = time.process_time()
con = duckdb.connect()
con.execute("SET threads = 1")
con.execute(LOAD, [sys.argv[1]])
events = con.execute("SELECT count(*) FROM e").fetchone()[0]
summary = {}
for kind, limit in LIMITS:
    ok, late, missing, duplicated = con.execute(COUNTS, [kind, limit]).fetchone()
    redelivered = con.execute(COPIES, [kind]).fetchone()[0]
    summary[kind] = {
        "ok": ok,
        "late": late,
        "missing": missing,
        "duplicated": duplicated,
        "redelivered": redelivered,
    }
elapsed = time.process_time() - start
# one token: bench_audit.py splits the line at blanks
print(
    events,
    elapsed,
    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    json.dumps(summary, separators=(",", ":")),
)
