"""Text from a description (or a model) can never add structure to a runbook, nor reach a command that runs
(issue #14, item 7): property tests with hostile text, checked with a real Markdown parser."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pydantic import BaseModel

from agent.answers import from_mapping
from agent.errors import UsageError
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import inline, render_markdown
from agent.rule import load_rule
from agent.runbook import Command, Runbook

RULE = load_rule()
ANSWERS = from_mapping(RULE, {"type": "api", "env": "kubernetes", "criticality": "high", "monitoring": "prometheus",
                              "oncall": "24x7"}, "test")
MODEL = OfflineModel()
PARSER = MarkdownIt("commonmark").enable("table")

# Pieces of Markdown and HTML that would add structure if they reached the document as they are.
HOSTILE = ["#", "# ", "\n# ", "## Injected", "```", "\n```bash\n", "~~~", "<script>", "</div>", "<!--", "<?x",
           "<img src=x onerror=alert(1)>", "\n", "\n\n", "\r", "    ", "\t", "- ", "* ", "+ ", "1. ", "2) ", "> ",
           "---", "***", "___", "===", "|", "| a | b |\n|---|---|", "[x]: /url", "`", "\\", "&lt;", "<br>",
           "$(", ")", ";", "word", "orders", " ", "ZQX"]
hostile = st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=12).map("".join)
CODE_FIELDS = {(Command, "code"), (Command, "language")}


def _map_prose(node: Any, fn: Any, owner: type | None = None, name: str = "") -> Any:
    """`node` with every prose string (not code, not a diagram, not an enum-like value) passed through fn."""
    if isinstance(node, BaseModel):
        update = {field: _map_prose(getattr(node, field), fn, type(node), field) for field in type(node).model_fields}
        return node.model_copy(update=update)
    if isinstance(node, list):
        return [_map_prose(item, fn, owner, name) for item in node]
    if isinstance(node, str) and node and (owner, name) not in CODE_FIELDS and name not in (
            "diagram", "severity", "criticality", "last_updated", "language"):
        return fn(node)
    return node


def structure(markdown: str) -> list[tuple[str, str]]:
    """The block structure of a document: every block token, without its text."""
    tokens = PARSER.parse(markdown)
    html = [t for t in tokens if t.type == "html_block"]
    html += [c for t in tokens if t.children for c in t.children if c.type == "html_inline" and c.content != "<br>"]
    assert not html, [t.content for t in html]
    return [(t.type, t.tag) for t in tokens if t.type != "inline"]


@cache
def generated() -> Runbook:
    request = GenerationRequest(rule=RULE, description="Orders API on EKS in namespace orders with RDS PostgreSQL "
                                "orders and a Redis cache", answers=ANSWERS, now=datetime(2026, 1, 1))
    return MODEL.generate(request).runbook


def _harmless(text: str) -> str:
    """The same shape without the markup: every character that is not white space becomes 'x'."""
    return re.sub(r"\S", "x", text)


@cache
def _structure_with(before: str, after: str) -> list[tuple[str, str]]:
    return structure(render_markdown(_map_prose(generated(), lambda s: f"{before}{s}{after}")))


@settings(max_examples=40, deadline=None)
@given(before=hostile, after=hostile)
def test_hostile_prose_anywhere_leaves_the_structure_alone(before: str, after: str) -> None:
    # The page's shape depends on how names relate (which entry answers which alert, which command is
    # shown where), so the comparison wraps every string the same way, once in markup, once in x's.
    attacked = _structure_with(before, after)
    assert attacked == _structure_with(_harmless(before), _harmless(after)), (before, after)


@settings(max_examples=25, deadline=None)
@given(payload=hostile)
def test_backticks_in_code_never_close_its_fence(payload: str) -> None:
    runbook = generated()
    def attack(node: Any) -> Any:
        if isinstance(node, Command):
            return node.model_copy(update={"code": f"{node.code}\n# {payload.replace(chr(13), ' ')}"})
        if isinstance(node, BaseModel):
            return node.model_copy(update={f: attack(getattr(node, f)) for f in type(node).model_fields})
        if isinstance(node, list):
            return [attack(x) for x in node]
        return node

    assert structure(render_markdown(attack(runbook))) == structure(render_markdown(runbook)), payload


@given(text=st.text(max_size=60))
def test_inline_is_one_line_and_starts_no_block(text: str) -> None:
    out = inline(text)
    assert "\n" not in out and "\r" not in out
    rendered = PARSER.parse(f"- {out}\n\n{out}\n")
    assert [t.type for t in rendered if t.type != "inline"] in (
        ["bullet_list_open", "list_item_open", "paragraph_open", "paragraph_close", "list_item_close",
         "bullet_list_close", "paragraph_open", "paragraph_close"],
        ["bullet_list_open", "list_item_open", "list_item_close", "bullet_list_close"],  # blank text
    )


def _generate(description: str) -> Runbook | None:
    request = GenerationRequest(rule=RULE, description=description, answers=ANSWERS, now=datetime(2026, 1, 1))
    try:
        return MODEL.generate(request).runbook
    except UsageError:
        return None


DESCRIBED = st.sampled_from([
    "Orders API on EKS in namespace {p}", "a worker consuming queue {p} on ECS", "PostgreSQL database {p} on RDS",
    "deployment {p} in namespace orders", "Redis cache {p}", "Kafka topic {p} and bucket {p}",
    "{p} service on Kubernetes", "systemd unit {p} on VMs", "region {p}; cluster {p}",
])
PAYLOADS = st.sampled_from([
    "x$(touch /tmp/ZQXPWN)", "x`touch /tmp/ZQXPWN`", "x;touch /tmp/ZQXPWN", "x|touch /tmp/ZQXPWN",
    "x&&touch /tmp/ZQXPWN", "x'$(touch /tmp/ZQXPWN)'", 'x"$(touch /tmp/ZQXPWN)"', "x>/tmp/ZQXPWN",
    "x\ntouch /tmp/ZQXPWN", "x${IFS}touch${IFS}/tmp/ZQXPWN", "x<(touch /tmp/ZQXPWN)",
])


@settings(max_examples=80, deadline=None)
@given(template=DESCRIBED, payload=PAYLOADS, extra=hostile)
def test_description_text_never_reaches_a_command_as_code(template: str, payload: str, extra: str) -> None:
    runbook = _generate(template.format(p=payload) + " " + extra)
    if runbook is None:
        return
    for command in runbook.commands():
        code = command.code
        assert "touch /tmp/ZQXPWN" not in code and "touch${IFS}" not in code, code
        for found in re.finditer(r"ZQXPWN", code):
            window = code[max(0, found.start() - 12): found.end()]
            assert not re.search(r"[$`;|&<>(]", window.split("/tmp/")[-1]), code
    markdown = render_markdown(runbook)
    for block in re.findall(r"(?ms)^(`{3,})\w*\n(.*?)^\1$", markdown):
        assert "touch /tmp/ZQXPWN" not in block[1]


def test_execute_never_runs_a_description_payload(tmp_path: Path) -> None:
    """End to end: a description full of shell payloads, generated, then `agent test --execute` on it."""
    sentinel = tmp_path / "pwned"
    payloads = [f"x$(touch {sentinel})", f"x`touch {sentinel}`", f"x;touch {sentinel}", f"x|touch {sentinel}"]
    description = ("Orders API on EKS in namespace {0}, PostgreSQL database {1} on RDS, queue {2}, "
                   "deployment {3}, Redis cache {0}\n```bash\ntouch {4}\n```\n").format(*payloads, sentinel)
    env = {**os.environ, "NO_COLOR": "1", "PATH": os.environ.get("PATH", "")}
    done = subprocess.run([sys.executable, "-m", "agent", "generate", description, "--name", "orders-api",
                           "--type", "api", "--env", "k8s", "--criticality", "high", "--monitoring", "prometheus",
                           "--oncall", "24x7", "--no-tool-checks"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=180, env=env)
    assert done.returncode == 0, done.stderr
    runbook = tmp_path / "tasks" / "runbook-orders-api.md"
    text = runbook.read_text()
    assert f"touch {sentinel}" in text  # the description is in the prose (escaped) ...
    for _, code in re.findall(r"(?ms)^(`{3,})\w*\n(.*?)^\1$", text):
        assert "touch" not in code or str(sentinel) not in code  # ... and in no code block
    subprocess.run([sys.executable, "-m", "agent", "test", str(runbook), "--execute", "--no-tools", "--timeout", "2"],
                   cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env)
    assert not sentinel.exists()
