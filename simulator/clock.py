"""Simulated time: minutes of charging or heating pass in one call, in order."""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class _Timer:
    due: float
    order: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class SimulatedClock:
    """Seconds since the device was switched on; advances only when told."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._timers: list[_Timer] = []
        self._order = itertools.count()

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer(self.now + max(0.0, delay), next(self._order), callback)
        heapq.heappush(self._timers, timer)
        return timer

    @staticmethod
    def cancel(timer: _Timer | None) -> None:
        if timer is not None:
            timer.cancelled = True

    def advance(self, seconds: float) -> None:
        """Run every timer due within `seconds`, each at its own time, then stop there."""
        if not math.isfinite(seconds):
            raise ValueError(f"time passes by a finite number of seconds, not {seconds}")
        if seconds < 0:
            raise ValueError("time does not run backwards")
        end = self.now + seconds
        while self._timers and self._timers[0].due <= end:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self.now = timer.due
            timer.callback()
        self.now = end
