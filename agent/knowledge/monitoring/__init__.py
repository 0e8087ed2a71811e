"""How the service is watched: monitoring stacks that render typed signals (`agent.knowledge.signals`)
in their own language — PromQL, Datadog monitor queries, CloudWatch Metrics/Logs Insights, NRQL, or bash
probes for custom monitoring.

- `scope.py`: what a stack sees of the platform (tags and names), read in one place;
- `stack.py`: the `Stack` base, its catalogue lookup and the registry (a new stack is one subclass);
- `stacks.py`: the shipped stacks; `metrics/<key>.yaml`: what each one measures, by signal key.
"""

from __future__ import annotations

from agent.knowledge.base import Context
from agent.knowledge.environments import Platform, platform_for
from agent.knowledge.monitoring.scope import Scope, scope_of
from agent.knowledge.monitoring.stack import Metric, Stack, register, registered, unregister
from agent.knowledge.monitoring.stacks import CloudWatch, Custom, Datadog, NewRelic, Prometheus
from agent.knowledge.signals import Signal
from agent.runbook import Alert, Command


def stacks_for(platform: Platform) -> list[Stack]:
    """The stacks the monitoring answer names, in its order; custom monitoring when it names none."""
    classes = registered()
    answered = list(platform.ctx.answers.monitoring)
    chosen = [v for v in answered if v in classes] or ["custom"]
    stacks = [classes[v](platform) for v in dict.fromkeys(chosen)]
    for unknown in (v for v in answered if v not in classes and v not in ("multiple", "other")):
        stacks[0].note(f"monitoring '{unknown}' is not one the offline engine knows: its alerts are written for "
                       f"{stacks[0].label}")
    return stacks


def render(signal: Signal, stacks: list[Stack], fallback: Stack) -> Command | None:
    """The query in the first stack that can express the signal, `fallback` (bash probes) last. With several
    stacks on AWS, a metric AWS publishes itself comes from CloudWatch."""
    order = list(stacks)
    if len(order) > 1 and order[0].platform.cloud == "aws":
        native = [s for s in order if (m := s.metric(signal)) is not None and m.native]
        order = native + [s for s in order if s not in native]
    for stack in (*order, fallback):
        found = stack.render(signal)
        if found is not None:
            return found
    return None


def alert(signal: Signal, stacks: list[Stack], fallback: Stack, entry: str | None = None) -> Alert | None:
    """The alert row for `signal`, or None when no stack (nor a probe) can measure it here. `entry` is the
    troubleshooting entry's title as it will appear (default: the signal's)."""
    query = render(signal, stacks, fallback)
    if query is None:
        return None
    entry = entry if entry is not None else signal.entry
    response = signal.response
    if entry and entry not in response:
        response += f" → Troubleshooting: {entry}"
    return Alert(name=signal.name, condition=signal.condition, query=query, severity=signal.severity,
                 response=response)


def alerts_for(ctx: Context, signals: list[Signal]) -> list[Alert]:
    """`signals` rendered for the context's platform and monitoring answer (a pack shown on its own)."""
    platform = platform_for(ctx)
    stacks = stacks_for(platform)
    rows = (alert(s, stacks, Custom(platform)) for s in signals)
    return [row for row in rows if row is not None]


def _structural(signal: Signal) -> bool:
    """A threshold that is the definition rather than a tuning choice: any failure, nothing up."""
    t = signal.threshold
    return (t.value == 0 and t.op == ">") or (t.value == 1 and t.op in ("<", ">="))


def defaults_note(signals: list[Signal]) -> str | None:
    """One assumption line naming the alert thresholds the engine chose (the user gave none for them)."""
    chosen = [f"{s.name} {s.threshold.text()}" for s in signals if s.assumed and not _structural(s)]
    if not chosen:
        return None
    return ("Alert thresholds not given in the description are defaults (tune them to a week of normal "
            "traffic): " + "; ".join(chosen))


__all__ = ["CloudWatch", "Custom", "Datadog", "Metric", "NewRelic", "Prometheus", "Scope", "Signal", "Stack",
           "alert", "alerts_for", "defaults_note", "register", "registered", "render", "scope_of", "stacks_for",
           "unregister"]
