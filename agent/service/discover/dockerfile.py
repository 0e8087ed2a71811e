"""Dockerfiles: the runtime (from the base image of the stage that runs), `EXPOSE`d ports, the
`HEALTHCHECK`, and the command. Multi-stage builds read the last stage, or the stage a Compose
`build.target` names. Line continuations and `ARG` defaults in `FROM` are followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.service.discover.partial import Source
from agent.service.discover.vocabulary import Runtime, runtime_of


@dataclass
class Instruction:
    keyword: str  # upper case
    args: str
    line: int  # where the instruction starts


@dataclass
class Stage:
    name: str
    image: str
    line: int
    instructions: list[Instruction] = field(default_factory=list)


@dataclass
class Image:
    """What a Dockerfile says about the container it builds."""

    rel: str
    stage: Stage | None
    runtime: Runtime | None
    ports: list[tuple[str, int]]  # (port, line)
    healthcheck: tuple[str, int] | None
    command: tuple[str, int] | None
    src: Source


def instructions(text: str) -> list[Instruction]:
    out: list[Instruction] = []
    lines = text.splitlines()
    i = 0
    escape = "\\"
    directive = re.match(r"^#\s*escape\s*=\s*(\S)", text)
    if directive:
        escape = directive.group(1)
    while i < len(lines):
        row = lines[i]
        start = i + 1
        i += 1
        if not row.strip() or row.lstrip().startswith("#"):
            continue
        body = row.rstrip()
        while body.endswith(escape) and i < len(lines):
            body = body[:-1] + " "
            nxt = lines[i]
            i += 1
            if nxt.lstrip().startswith("#"):
                continue
            body += nxt.strip()
        m = re.match(r"^\s*([A-Za-z]+)\s*(.*)$", body)
        if m:
            out.append(Instruction(m.group(1).upper(), m.group(2).strip(), start))
    return out


def stages(text: str) -> list[Stage]:
    args: dict[str, str] = {}
    out: list[Stage] = []
    for ins in instructions(text):
        if ins.keyword == "ARG" and not out:
            name, _, default = ins.args.partition("=")
            args[name.strip()] = default.strip().strip("\"'")
        elif ins.keyword == "FROM":
            parts = [p for p in ins.args.split() if not p.startswith("--")]
            image = _expand(parts[0], args) if parts else ""
            name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else str(len(out))
            known = {s.name: s for s in out}
            if image in known:  # FROM builder: inherits the earlier stage's base
                image = known[image].image
            out.append(Stage(name, image, ins.line))
        elif out:
            out[-1].instructions.append(ins)
    return out


def _expand(value: str, args: dict[str, str]) -> str:
    """`${PYTHON_VERSION:-3.12}` in FROM, from the ARGs declared before the first FROM."""

    def sub(m: re.Match[str]) -> str:
        return args.get(m.group(1) or m.group(3)) or m.group(2) or ""

    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)", sub, value)


def read(rel: str, text: str, target: str = "") -> Image:
    src = Source.of(rel, text)
    all_stages = stages(text)
    stage = next((s for s in all_stages if s.name == target), None) if target else None
    stage = stage or (all_stages[-1] if all_stages else None)
    ports: list[tuple[str, int]] = []
    health: tuple[str, int] | None = None
    command: tuple[str, int] | None = None
    if stage is not None:
        for ins in stage.instructions:
            if ins.keyword == "EXPOSE":
                for token in ins.args.split():
                    port = token.split("/", 1)[0]
                    if port.isdigit():
                        ports.append((port, ins.line))
            elif ins.keyword == "HEALTHCHECK" and not ins.args.upper().startswith("NONE"):
                cmd = re.sub(r"^(?:--\S+\s+)*CMD\s+", "", ins.args, flags=re.I)
                health = (_exec_form(cmd), ins.line)
            elif ins.keyword in ("CMD", "ENTRYPOINT"):
                command = (_exec_form(ins.args), ins.line)
    runtime = _runtime(stage, all_stages)
    return Image(rel, stage, runtime, ports, health, command, src)


def _runtime(stage: Stage | None, all_stages: list[Stage]) -> Runtime | None:
    """The runtime of the stage that runs; a distroless / scratch final stage takes its builder's."""
    if stage is None:
        return None
    found = runtime_of(stage.image)
    if found is not None:
        return found
    for earlier in reversed(all_stages[: all_stages.index(stage)]):
        found = runtime_of(earlier.image)
        if found is not None:
            return found
    return None


def _exec_form(args: str) -> str:
    text = args.strip()
    if text.startswith("["):
        items = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
        if items:
            return " ".join(items)
    return text
