"""Regenerate redis_commands.json from a real redis-server (run once; the JSON is committed).

    redis-server --port 56399 --save '' --daemonize yes
    .venv/bin/python agent/checks/data/dump_redis_commands.py 56399
    redis-cli -p 56399 shutdown nosave

Keeps, per command and subcommand: arity, flags, ACL categories and the argument names from
COMMAND DOCS; plus redis-cli's own options parsed from `redis-cli --help`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [_text(v) for v in value]
    if isinstance(value, dict):
        return {_text(k): _text(v) for k, v in value.items()}
    return value


def _entry(info: list[Any]) -> dict[str, Any]:
    # COMMAND INFO reply: name, arity, flags, first key, last key, step, acl categories, tips, key specs, subcommands
    name, arity, flags = _text(info[0]), int(info[1]), _text(info[2])
    cats = _text(info[6]) if len(info) > 6 else []
    entry: dict[str, Any] = {"name": name, "arity": arity, "flags": sorted(flags), "acl_categories": sorted(cats)}
    subs = info[9] if len(info) > 9 else []
    if subs:
        entry["subcommands"] = {_text(s[0]): _entry(s) for s in subs}
    return entry


def main(port: int) -> None:
    client = redis.Redis(port=port)
    conn = client.connection_pool.get_connection("COMMAND")  # raw reply: redis-py would reshape it
    conn.send_command("COMMAND")  # type: ignore[no-untyped-call]
    raw = conn.read_response()
    commands = {}
    for info in raw:
        entry = _entry(info)
        commands[entry["name"]] = entry
    version = client.info("server")["redis_version"]
    help_text = subprocess.run(["redis-cli", "--help"], capture_output=True, text=True, check=False)
    options: dict[str, bool] = {}
    for line in (help_text.stdout + help_text.stderr).splitlines():
        m = re.match(r"^\s+(-{1,2}[\w-]+)(?:\s+(<[^>]+>))?", line)
        if m:
            options[m.group(1)] = bool(m.group(2))
    out = {"redis_version": version, "commands": commands, "redis_cli_options": options}
    path = Path(__file__).with_name("redis_commands.json")
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{path}: {len(commands)} commands from redis {version}, {len(options)} redis-cli options")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6379)
