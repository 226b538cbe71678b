import asyncio
import threading

import pytest

from harness.loop import SessionLoop, StepTimeout


def test_runs_coroutines_on_one_thread_and_returns_results() -> None:
    with SessionLoop() as session:
        threads = {session.run(_thread_name()) for _ in range(3)}
        assert threads == {"iqos-hil-loop"}
        assert session.run(_add(2, 3)) == 5


def test_errors_propagate_to_the_step() -> None:
    with SessionLoop() as session, pytest.raises(ValueError, match="boom"):
        session.run(_fail())


def test_timeout_cancels_the_coroutine_and_the_loop_stays_usable() -> None:
    cancelled = threading.Event()

    async def never_finishes() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with SessionLoop() as session:
        with pytest.raises(StepTimeout, match=r"0\.05 s"):
            session.run(never_finishes(), timeout=0.05)
        assert cancelled.is_set()
        assert session.run(_add(1, 1)) == 2


def test_close_cancels_background_tasks() -> None:
    cancelled = threading.Event()

    async def start_background() -> None:
        async def background() -> None:
            try:
                await asyncio.Event().wait()
            finally:
                cancelled.set()

        asyncio.get_running_loop().create_task(background())

    session = SessionLoop()
    session.run(start_background())
    session.close()
    assert cancelled.is_set()
    with pytest.raises(RuntimeError, match="closed"):
        session.run(_add(1, 1))


async def _thread_name() -> str:
    return threading.current_thread().name


async def _add(a: int, b: int) -> int:
    return a + b


async def _fail() -> None:
    raise ValueError("boom")
