from __future__ import annotations

import pytest

from agent.render import cell, duration, latency


@pytest.mark.parametrize(("ms", "text"), [(200, "200ms"), (999.5, "999.5ms"), (1500, "1.5 s"), (3_600_000, "60 min")])
def test_latency(ms: float, text: str) -> None:
    assert latency(ms) == text


@pytest.mark.parametrize(("minutes", "text"), [(1, "1 minute"), (15, "15 minutes"), (60, "1 hour"), (240, "4 hours"),
                                               (1440, "1 day"), (0, "0 minutes")])
def test_duration(minutes: int, text: str) -> None:
    assert duration(minutes) == text


def test_table_cells_keep_pipes_and_lines_inside() -> None:
    assert cell("a | b\nc") == "a \\| b<br>c"
