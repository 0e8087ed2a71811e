"""A loop over the hosts, declared once: `on_hosts CMD` / `rolling CMD` instead of the same five lines per
command (issue 11: each procedure once).

The engine writes each host command as a loop of its own (a command must stand alone as data):

    HOSTS='a b c'
    for HOST in $HOSTS; do
      echo "== $HOST"
      ssh "$HOST" 'CMD'          # `... || break` when it must stop at the first failure
    done

Before rendering, every such loop that uses the runbook's most common `HOSTS=` line and ssh form becomes
one call, and the runbook gets one setup block (HOSTS and the two functions) to paste once per terminal.
The checks read through the functions (`agent/checks/functions.py`), so a mutating or destructive CMD
passed to them is classified as if it were written out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel

from agent.checks.danger import classify
from agent.runbook import Command, Runbook

_LOOP = re.compile(
    r"^(?P<hosts>HOSTS=.*)\nfor HOST in \$HOSTS; do\n  echo \"== \$HOST\"\n  (?P<body>.+)\n"
    r"done(?P<after>(?: [^\n]*)?)$",
    re.M)  # `after`: what the loop's output goes to (`done 2>&1 | awk ...`), kept after the call
_SSH = re.compile(r"^(?P<ssh>ssh \"\$HOST\"|gcloud compute ssh \"\$HOST\" [^'\"]*?--command) (?P<rest>.+)$")
_STOP = " || break"
EACH, ROLLING = "on_hosts", "rolling"


@dataclass(frozen=True)
class Setup:
    code: str  # the block to paste once

    @property
    def command(self) -> Command:
        return Command(purpose="Once per terminal: the hosts, and the two functions the host commands below call",
                       language="bash", code=self.code,
                       expect=f"nothing printed; then `{EACH} CMD` runs CMD on every host, `{ROLLING} CMD` one "
                              "host at a time, stopping at the first that fails",
                       warning=None)


def _commands(node: object) -> list[Command]:
    """Every Command in a runbook, in field order."""
    if isinstance(node, Command):
        return [node]
    if isinstance(node, BaseModel):
        return [c for name in type(node).model_fields for c in _commands(getattr(node, name))]
    if isinstance(node, list):
        return [c for item in node for c in _commands(item)]
    return []


def _loops(code: str) -> list[tuple[str, str, str, bool]]:
    """(HOSTS line, ssh form, remote argument, stops at the first failure) of each loop in `code`."""
    out = []
    for m in _LOOP.finditer(code):
        s = _SSH.match(m.group("body"))
        if s is None:
            continue
        rest = s.group("rest")
        stop = rest.endswith(_STOP)
        out.append((m.group("hosts"), s.group("ssh"), rest.removesuffix(_STOP), stop))
    return out


def factor(runbook: Runbook) -> tuple[Runbook, Setup | None]:
    """The runbook with its host loops as calls, and the setup block they need (None: nothing to factor)."""
    forms = Counter((hosts, ssh) for c in _commands(runbook) if c.language == "bash"
                    for hosts, ssh, _, _ in _loops(c.code))
    if not forms:
        return runbook, None
    (hosts, ssh), _ = forms.most_common(1)[0]
    out = runbook.model_copy(deep=True)
    for command in _commands(out):
        if command.language != "bash" or not _loops(command.code):
            continue
        was_destructive = classify(command.code, "bash") == "destructive"

        def call(m: re.Match[str]) -> str:
            s = _SSH.match(m.group("body"))
            if m.group("hosts") != hosts or s is None or s.group("ssh") != ssh:
                return m.group(0)
            rest = s.group("rest")
            return f"{ROLLING if rest.endswith(_STOP) else EACH} {rest.removesuffix(_STOP)}{m.group('after')}"

        command.code = _LOOP.sub(call, command.code)
        if was_destructive and not command.warning:  # the renderer's own test reads the text, not the functions
            command.warning = "this command changes or removes data on every host; check the target first."
    # an empty HOSTS stops the call with a message (a loop over nothing would print nothing, like a healthy fleet)
    each = "for HOST in ${HOSTS:?set HOSTS: paste the Shell Setup first}; do echo \"== $HOST\""
    code = (f"{hosts}\n"
            f"{EACH}() {{ {each}; {ssh} \"$@\"; done; }}\n"
            f"{ROLLING}() {{ {each}; {ssh} \"$@\" || return; done; }}")
    return out, Setup(code)
