"""Virtual time for the session loop: idle waits on a simulated radio pass at once.

On the virtual target the devices, the radio and the client are all coroutines on
the one session loop. When none of them can run, a stock loop sleeps until its next
timer (an advertising event, the end of a scan window, an answer timeout): wall time
that buys nothing, because nothing outside the loop is going to happen meanwhile.
This loop jumps its clock to that timer instead. Its clock is the real monotonic
clock plus every second skipped, so it never runs backwards, timers fire in their
order and at their loop time, and a wait keeps its meaning (a 2 s answer timeout is
still 2 s of loop time, and the work done before it counts towards it as before);
only the idle wall time goes.

A skip must not change what a scenario sees, so the loop skips only while
- a step is in flight (`fast_forward`): between steps, when nothing waits for the
  loop, it sleeps in real time, and timers left running (a scan, a notification
  listener) do not spin a core;
- no thread-pool job is running (`run_in_executor`, `asyncio.to_thread`): a thread
  takes real time, and a skip would fire its caller's timeout before it finishes;
- no file descriptor besides the loop's own wake-up pipe is registered: a socket or
  a pipe may bring data from another process at any real moment.
Work on threads that the loop did not start (a bare `threading.Thread` calling back
with `call_soon_threadsafe`, asyncio's child watcher reporting a subprocess's exit) is
invisible to it, and a step must not rely on it.

Device time is not this clock's: each simulated device runs on its own
`SimulatedClock`, which moves only when a step passes time on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class _SkippingSelector(selectors.BaseSelector):
    """The loop's selector: where the loop would sleep, and so where a sleep can be skipped.

    asyncio's loop asks its selector for events with the time left until its next
    timer; when skipping is allowed and no event is there already, this answers
    "nothing" at once and adds that time to the clock's skipped seconds.
    """

    def __init__(self, may_skip: Callable[[], bool]) -> None:
        self._selector = selectors.DefaultSelector()
        self._may_skip = may_skip
        self.skipped = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None or timeout <= 0 or not self._may_skip():
            return self._selector.select(timeout)
        ready = self._selector.select(0)
        if not ready:
            self.skipped += timeout
        return ready

    def register(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._selector.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._selector.unregister(fileobj)

    def modify(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._selector.modify(fileobj, events, data)

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._selector.get_map()

    def close(self) -> None:
        self._selector.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose idle waits pass in virtual time while a step is in flight."""

    def __init__(self) -> None:
        self._steps = 0
        self._jobs: set[asyncio.Future[Any]] = set()
        self._idle = _SkippingSelector(self._may_skip)
        super().__init__(self._idle)
        self._own_files = frozenset(self._idle.get_map())
        """What the loop registered while it was made: its wake-up pipe, which only
        other threads of this process write to, never another process."""

    def time(self) -> float:
        return super().time() + self._idle.skipped

    @property
    def skipped(self) -> float:
        """Seconds of idle waiting that passed in virtual time instead of wall time."""
        return self._idle.skipped

    @contextlib.contextmanager
    def fast_forward(self) -> Iterator[None]:
        """While inside, idle waits pass in virtual time: a step's coroutine runs in here."""
        self._steps += 1
        try:
            yield
        finally:
            self._steps -= 1

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*Ts], T], *args: *Ts
    ) -> asyncio.Future[T]:
        """Keeps each job until it is done: while one runs, time passes in real time."""
        job = super().run_in_executor(executor, func, *args)
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        return job

    def _may_skip(self) -> bool:
        return self._steps > 0 and not self._jobs and self._idle.get_map().keys() <= self._own_files
