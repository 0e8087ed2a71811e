"""The live runner's parts (`agent test --execute`): which commands may run (`shell_plan`,
`sql_gate`, `redis_gate`, all reading the catalogue's live allowlist), how they run (`drivers` for
PostgreSQL and Redis, `sandbox` for programs)."""

from __future__ import annotations


class Refused(Exception):
    """Why a command is not run (one line). Control flow inside the live runner, never shown as an error."""
