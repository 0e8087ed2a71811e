"""How many of a workload may run, from the service model's given values: the stated count, the
autoscaler's range (HPA / KEDA min and max, an Auto Scaling group's or ECS service auto scaling's min
and max), and the connections each instance opens against the downstream limit. Scaling advice takes
its numbers from here, so a command never sets a minimum above the maximum the user gave, never leaves
that range, and never passes the instance count the downstream's connection limit allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.knowledge.base import Context
from agent.service.model import Component, Setting


def _int(setting: Setting | None) -> int | None:
    match = re.match(r"\s*(\d+)", setting.value) if setting is not None else None
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Capacity:
    count: int | None = None  # the count the description states
    low: int | None = None  # the autoscaler's minimum
    high: int | None = None  # its maximum
    pool: int | None = None  # connections each instance opens to the downstream
    limit: int | None = None  # the downstream's connection limit (max_connections)

    @property
    def ceiling(self) -> int | None:
        """The most instances whose pools fit the downstream's connection limit."""
        return self.limit // self.pool if self.limit and self.pool else None

    def bounded(self, wanted: int) -> int:
        """`wanted` kept inside what the user gave: the autoscaler's range, and the connection ceiling (when
        that ceiling is not itself below the minimum the user runs)."""
        value = wanted
        if self.high is not None:
            value = min(value, self.high)
        ceiling = self.ceiling
        if ceiling is not None and ceiling >= (self.low or 1):
            value = min(value, ceiling)
        if self.low is not None:
            value = max(value, self.low)
        return max(value, 1)

    def scale_out(self, default: int) -> int:
        """The count (an autoscaler's new minimum) a scale-out asks for: double what runs, inside the range."""
        base = self.low if self.high is not None and self.low is not None else self.count
        return self.bounded(base * 2 if base else default)

    def range_text(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low}–{self.high}"
        return f"up to {self.high}" if self.high is not None else ""

    def multiplies(self) -> str:
        """What a new instance adds downstream, and where the connection limit caps the count ("" if unknown)."""
        if not self.pool:
            return ""
        text = f"each instance opens up to {self.pool} connections"
        if self.limit and self.ceiling is not None:
            text += (f": at most {self.ceiling} instances keep {self.pool} × instances within the downstream's "
                     f"limit of {self.limit}")
        return text


def capacity_of(ctx: Context, component: Component | None = None) -> Capacity:
    """The given counts of `component` (the service's own workload when None), from the service model."""
    model = ctx.model
    target = component if component is not None else (model.app if model is not None else None)
    count = ctx.facts.replicas if component is None else None
    if target is None or model is None:
        return Capacity(count=count)
    count = _int(target.setting("replicas")) or count
    low, high = _int(target.setting("replicas_min")), _int(target.setting("replicas_max"))
    rng = target.setting("replicas_range")
    if rng is not None:
        nums = [int(n) for n in re.findall(r"\d+", rng.value)]
        if len(nums) >= 2:
            low, high = min(nums), max(nums)
    if low is not None and high is not None and low > high:
        low, high = high, low  # a range read backwards is still the range the user gave
    if count is not None and high is not None and count == high and low is not None and low != high:
        count = None  # "between 2 and 12 replicas" states the range, not a count of 12
    # the workload's own pool ("a connection pool of 15 to PostgreSQL" may sit on the database it opens to);
    # behind a pooler the instances count against the pooler's client limit, not the database's
    pool = _int(target.setting("pool_size"))
    databases = [c for c in model.components if c.kind == "database"]
    if pool is None:
        pool = next((v for c in databases if (v := _int(c.setting("pool_size")))), None)
    poolers = [c for c in model.components if c.kind == "pooler"]
    limit = next((v for c in (poolers or databases) if (v := _int(c.setting("max_connections")))), None)
    return Capacity(count=count, low=low, high=high, pool=pool, limit=limit)
