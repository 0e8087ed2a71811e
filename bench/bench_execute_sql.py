"""Median wall time of one allowed SELECT through `agent test --execute`'s SQL path (gate, the database
checks of sql_reach and sql_implicit, the statement), against the PostgreSQL in PGHOST/PGPORT/PGUSER.

    source /tmp/runbook-agent-services/env && .venv/bin/python bench/bench_execute_sql.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from agent.checks.execute import execute_markdown

STATEMENTS = ["SELECT 1", "SELECT count(*) FROM pg_stat_activity",
              "SELECT relname, n_live_tup FROM pg_stat_user_tables ORDER BY n_live_tup DESC LIMIT 5"]


def main() -> int:
    if not os.environ.get("PGHOST"):
        print("set PGHOST/PGPORT/PGUSER (source /tmp/runbook-agent-services/env)", file=sys.stderr)
        return 2
    variables = {k: os.environ[k] for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE") if k in os.environ}
    for sql in STATEMENTS:
        times = []
        for _ in range(15):
            start = time.perf_counter()
            run = execute_markdown(f"# t\n\n## s\n\n```sql\n{sql}\n```\n", "t.md", variables, timeout=10)
            times.append(time.perf_counter() - start)
            assert run.results[0].status == "passed", run.results[0].reason
        print(f"{statistics.median(times) * 1000:7.1f} ms  {sql}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
