"""A `--var` named as a credential (PGPASSWORD, API_TOKEN, DB_PASS …) is never substituted into a command's
arguments: `curl …/$PGPASSWORD`, `curl -u postgres:$PGPASSWORD`, `psql "postgresql://u:$PGPASSWORD@elsewhere"`,
`redis-cli -a "$PGPASSWORD"` and `cat /x/$PGPASSWORD` (whose error would print it) are not run, and the value
appears nowhere in the report (red team round 3, F1–F3). The SQL driver still uses PGPASSWORD from --var for
the server it was given for. Property-based: random secret names, values and command shapes.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.checks.live import Refused
from agent.checks.live.shell_plan import plan_line

_NAMES = st.sampled_from(["PGPASSWORD", "API_TOKEN", "DB_PASS", "REDIS_PASSWORD", "GITHUB_TOKEN", "AWS_SECRET",
                          "SERVICE_API_KEY", "MYSQL_PWD_PASSWD", "BASIC_AUTH"])
_VALUE = st.text(alphabet=string.ascii_letters + string.digits, min_size=6, max_size=16)
_SHAPES = ["curl -s http://127.0.0.1:9/x/${V}", 'curl -s -u "postgres:${V}" http://127.0.0.1:9/',
           'psql "postgresql://postgres:${V}@127.0.0.1:9/x" -c "SELECT 1"',
           'redis-cli -h 127.0.0.1 -p 9 -a "${V}" PING',
           "cat /nonexistent/${V}", 'grep "${V}" /etc/hostname']


@settings(max_examples=60, deadline=None)
@given(name=_NAMES, value=_VALUE, shape=st.sampled_from(_SHAPES))
def test_a_secret_is_never_put_into_arguments(name: str, value: str, shape: str) -> None:
    line = shape.replace("${V}", f"${name}" if "/x/" in shape or "cat" in shape else "${" + name + "}")
    with pytest.raises(Refused) as refused:
        plan_line(line, {name: value})
    assert "secret" in str(refused.value) and value not in str(refused.value)


@settings(max_examples=20, deadline=None)
@given(value=_VALUE)
def test_plain_connection_values_still_substitute(value: str) -> None:
    plan = plan_line('curl -s "http://$HOST:8080/healthz"', {"HOST": value.lower()})
    assert plan.kind == "program" and plan.argvs[0][-1] == f"http://{value.lower()}:8080/healthz", plan
