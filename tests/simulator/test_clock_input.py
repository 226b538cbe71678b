"""Simulated time takes only finite, forward steps: a NaN would stall every later read."""

from __future__ import annotations

import math

import pytest

from simulator.clock import SimulatedClock


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf, -1.0])
def test_time_refuses_a_step_that_is_not_finite_and_forward(seconds: float) -> None:
    clock = SimulatedClock()
    with pytest.raises(ValueError):
        clock.advance(seconds)
    assert clock.now == 0.0


def test_time_still_passes_after_a_refused_step() -> None:
    clock = SimulatedClock()
    fired: list[float] = []
    clock.call_later(5, lambda: fired.append(clock.now))
    with pytest.raises(ValueError):
        clock.advance(math.nan)
    clock.advance(10)
    assert fired == [5.0] and clock.now == 10.0
