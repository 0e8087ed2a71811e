"""Datadog monitors as JSON (an exported monitor, a list of them, or `{"monitors": [...]}`): each
becomes an alert with its query, priority and notification handles (`@slack-…`, `@pagerduty-…`,
`@opsgenie-…`, `@team@example.com`) as people. Terraform `datadog_monitor` resources use the same
functions (see terraform.py)."""

from __future__ import annotations

import re
from typing import Any

from agent.service.discover.partial import Partial, Source
from agent.service.discover.yamlfile import Map, Seq

_HANDLE = re.compile(r"(?<![\w@])@([\w.+-]+(?:@[\w.-]+)?)")


def severity_of(priority: Any, tags: Any) -> str:
    if isinstance(priority, int) or (isinstance(priority, str) and priority.isdigit()):
        return {1: "critical", 2: "critical", 3: "warning", 4: "warning", 5: "info"}.get(int(priority), "")
    for tag in tags or []:
        m = re.match(r"severity:(\w+)", str(tag))
        if m:
            return m.group(1)
    return ""


def people_in(part: Partial, message: str, src: Source, line: int) -> None:
    for handle in _HANDLE.findall(message or ""):
        if handle.startswith("slack-"):
            channel = handle.removeprefix("slack-")
            if channel[:1].isupper() and "-" in channel:  # @slack-Workspace-channel
                channel = channel.split("-", 1)[1]
            part.person("channel", "#" + channel, src, line, qualifier="Datadog notification")
        elif handle.startswith("pagerduty"):
            part.person("pager", "PagerDuty", src, line, qualifier=handle.removeprefix("pagerduty-") or "")
        elif handle.startswith("opsgenie"):
            part.person("pager", "Opsgenie", src, line, qualifier=handle.removeprefix("opsgenie-") or "")
        elif "@" in handle:
            part.person("email", handle, src, line)


def read(docs: list[Any], src: Source) -> Partial:
    part = Partial()
    for doc in docs:
        monitors: list[Any]
        if isinstance(doc, list):
            monitors = doc
        elif isinstance(doc, dict) and isinstance(doc.get("monitors"), list):
            monitors = doc["monitors"]
        else:
            monitors = [doc]
        for index, monitor in enumerate(monitors):
            if not isinstance(monitor, dict) or not monitor.get("name") or not isinstance(monitor.get("query"), str):
                continue
            line = monitor.line if isinstance(monitor, Map) else (monitors.line_of(index)
                                                                  if isinstance(monitors, Seq) else 1)
            name_line = monitor.line_of("name") if isinstance(monitor, Map) else line
            message = str(monitor.get("message") or "")
            thresholds = (monitor.get("options") or {}).get("thresholds") if isinstance(monitor.get("options"),
                                                                                         dict) else None
            labels = {str(k): str(v) for k, v in (thresholds or {}).items()} if isinstance(thresholds, dict) else {}
            window = (monitor.get("options") or {}).get("evaluation_delay") if isinstance(monitor.get("options"),
                                                                                          dict) else None
            found = re.search(r"https?://\S*runbook\S*", message, re.I)
            part.alert(src, name_line, name=str(monitor["name"]), expr=str(monitor["query"]),
                       duration=f"{window}s" if isinstance(window, int) and window else "",
                       severity=severity_of(monitor.get("priority"), monitor.get("tags")),
                       labels={f"threshold.{k}": v for k, v in labels.items()},
                       summary=message.strip().splitlines()[0][:200] if message.strip() else "",
                       runbook_url=found.group(0).rstrip(").,") if found else "", source_format="datadog")
            people_in(part, message, src, monitor.line_of("message") if isinstance(monitor, Map) and
                      "message" in monitor else name_line)
    return part
