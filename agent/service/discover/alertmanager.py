"""Alertmanager configuration (`route:` and `receivers:`, or an `AlertmanagerConfig` object): who
gets paged and where alerts go. Slack channels become `channel`s, PagerDuty / Opsgenie / VictorOps
receivers the `pager`, e-mail receivers `email`s; the route that matches an alert's severity is
kept as the qualifier. Keys, tokens and webhook URLs are never read."""

from __future__ import annotations

from typing import Any

from agent.service.discover.partial import Partial, Source
from agent.service.discover.yamlfile import Map, get

# receiver config key (both the file's snake_case and the CRD's camelCase) -> (person role, value)
_PAGERS = {"pagerduty_configs": "PagerDuty", "pagerdutyConfigs": "PagerDuty", "opsgenie_configs": "Opsgenie",
           "opsgenieConfigs": "Opsgenie", "victorops_configs": "VictorOps", "victoropsConfigs": "VictorOps"}


def _routes(route: Any, out: dict[str, str], depth: int = 0) -> None:
    """receiver -> matchers ("severity=critical") of the routes that send to it."""
    if not isinstance(route, dict) or depth > 20:
        return
    receiver = route.get("receiver")
    matchers: list[str] = []
    for key in ("matchers",):
        for item in route.get(key) or []:
            if isinstance(item, str):
                matchers.append(item.replace(" ", ""))
            elif isinstance(item, dict) and item.get("name"):
                matchers.append(f"{item['name']}{'=~' if item.get('matchType') == '=~' else '='}{item.get('value')}")
    for key in ("match", "match_re"):
        if isinstance(route.get(key), dict):
            matchers += [f"{k}={'~' if key == 'match_re' else ''}{v}" for k, v in route[key].items()]
    if receiver and matchers:
        out.setdefault(str(receiver), ",".join(matchers))
    for child in route.get("routes") or []:
        _routes(child, out, depth + 1)


def read_config(doc: Map, src: Source, part: Partial, *, crd: bool = False) -> None:
    base = doc.get("spec") if crd else doc
    if not isinstance(base, dict):
        return
    routed: dict[str, str] = {}
    _routes(base.get("route"), routed)
    for receiver in base.get("receivers") or []:
        if not isinstance(receiver, Map):
            continue
        name = str(receiver.get("name") or "")
        qualifier = routed.get(name, "")
        line = receiver.line_of("name")
        for key, label in _PAGERS.items():
            if receiver.get(key):
                part.person("pager", label, src, receiver.line_of(key), qualifier=f"receiver {name}"
                            + (f" ({qualifier})" if qualifier else ""))
        for key in ("slack_configs", "slackConfigs"):
            for item in receiver.get(key) or []:
                channel = get(item, "channel")
                if isinstance(channel, str) and channel:
                    part.person("channel", channel if channel.startswith("#") else f"#{channel}", src,
                                item.line_of("channel") if isinstance(item, Map) else line,
                                qualifier=f"receiver {name}" + (f" ({qualifier})" if qualifier else ""))
        for key in ("email_configs", "emailConfigs"):
            for item in receiver.get(key) or []:
                to = get(item, "to")
                if isinstance(to, str) and "@" in to and "{{" not in to:
                    part.person("email", to, src, item.line_of("to") if isinstance(item, Map) else line,
                                qualifier=f"receiver {name}")
