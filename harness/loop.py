"""One asyncio event loop for a whole test session, on its own thread.

pytest-bdd steps are synchronous, while the radio, the simulator and the client
are asyncio and must stay on the loop that created them (bumble objects are
bound to it). So the harness owns a single loop thread and every step hands
its coroutine over and waits for the result, with a timeout so that nothing
can hang a run.

Where everything a scenario waits for lives on this loop (the virtual target), the
loop keeps virtual time (`harness.virtual_time`): a step's idle waits pass at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from harness.virtual_time import VirtualTimeLoop

T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0
CANCEL_GRACE = 10.0
"""How long a cancelled coroutine may take to unwind before the step gives up on it."""


class StepTimeout(TimeoutError):
    """A step's coroutine did not finish in time; the coroutine was cancelled."""


class SessionLoop:
    """Runs coroutines on a private loop thread until `close()`.

    With `virtual_time`, a step's idle waits pass in virtual time; between steps, and
    without it, the loop keeps real time.
    """

    def __init__(self, name: str = "iqos-hil-loop", *, virtual_time: bool = False) -> None:
        self._loop: asyncio.AbstractEventLoop
        self._in_step: Callable[[], AbstractContextManager[None]]
        if virtual_time:
            self._loop = virtual = VirtualTimeLoop()
            self._in_step = virtual.fast_forward
        else:
            self._loop = asyncio.new_event_loop()
            self._in_step = contextlib.nullcontext
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        self._loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = DEFAULT_TIMEOUT) -> T:
        """Run `coroutine` on the session loop and return its result.

        The timeout runs on the loop (`asyncio.wait_for`), so the coroutine is
        cancelled and its cancellation awaited before the step sees the error:
        nothing keeps running behind the next step's back. It is in the loop's time,
        so in virtual time a step stuck on a wait that nothing will end fails at once.
        """
        __tracebackhide__ = True
        if threading.current_thread() is self._thread:
            raise RuntimeError("SessionLoop.run called from the loop thread itself")
        if self._loop.is_closed():
            coroutine.close()
            raise RuntimeError("the session loop is closed")
        future = asyncio.run_coroutine_threadsafe(self._step(coroutine, timeout), self._loop)
        try:
            return future.result(timeout + CANCEL_GRACE)
        except TimeoutError:
            future.cancel()
            raise StepTimeout(f"step did not finish within {timeout:g} s") from None

    async def _step(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        with self._in_step():
            return await asyncio.wait_for(coroutine, timeout)

    def close(self) -> None:
        """Cancel what is still pending, stop the loop and join its thread."""
        if self._loop.is_closed():
            return

        async def _cancel_pending() -> None:
            current = asyncio.current_task()
            pending = [task for task in asyncio.all_tasks() if task is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(_cancel_pending(), self._loop).result(10.0)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10.0)
            self._loop.close()

    def __enter__(self) -> SessionLoop:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
