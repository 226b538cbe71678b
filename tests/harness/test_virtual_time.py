"""The session loop in virtual time: a step's idle waits pass at once, and nothing a
scenario could see changes (timeouts fire in loop time, threads and sockets get their
real time, and between steps the loop sleeps)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.loop import SessionLoop, StepTimeout
from harness.targets.bluez import CLIENT_ADAPTER, DEVICE_ADAPTERS
from harness.targets.registry import TargetOptions, build
from harness.targets.virtual import ANSWER_TIMEOUT
from harness.virtual_time import VirtualTimeLoop
from iqos.protocol.transcript import Transcript

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def session() -> Iterator[SessionLoop]:
    with SessionLoop(virtual_time=True) as virtual:
        yield virtual


def test_a_long_sleep_in_a_step_passes_in_virtual_time(session: SessionLoop) -> None:
    async def sleep_ten_seconds() -> float:
        loop = asyncio.get_running_loop()
        began = loop.time()
        await asyncio.sleep(10)
        return loop.time() - began

    began = time.perf_counter()
    assert session.run(sleep_ten_seconds()) >= 10
    assert time.perf_counter() - began < 0.5


def test_timers_fire_in_their_order_at_their_loop_time(session: SessionLoop) -> None:
    async def three_sleepers() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        began = loop.time()
        woke: list[tuple[str, float]] = []

        async def sleeper(name: str, seconds: float) -> None:
            await asyncio.sleep(seconds)
            woke.append((name, loop.time() - began))

        await asyncio.gather(sleeper("c", 3.0), sleeper("a", 1.0), sleeper("b", 2.0))
        return woke

    woke = session.run(three_sleepers())
    assert [name for name, _ in woke] == ["a", "b", "c"]
    for (_, at), due in zip(woke, (1.0, 2.0, 3.0), strict=True):
        assert due <= at < due + 0.2


def test_a_timeout_still_fires_in_virtual_time(session: SessionLoop) -> None:
    async def wait_for_nothing() -> float:
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.Event().wait()
        return loop.time() - began

    began = time.perf_counter()
    assert 5 <= session.run(wait_for_nothing()) < 5.2
    assert time.perf_counter() - began < 0.5


def test_a_stuck_step_fails_by_its_timeout_without_waiting_it_out(session: SessionLoop) -> None:
    began = time.perf_counter()
    with pytest.raises(StepTimeout, match="30 s"):
        session.run(asyncio.Event().wait(), timeout=30)
    assert time.perf_counter() - began < 0.5


def test_a_thread_job_gets_real_time_and_no_premature_timeout(session: SessionLoop) -> None:
    """The thread takes 0.3 s of wall time; a skip would fire the 1 s timeout first."""

    async def read_in_a_thread() -> str:
        async with asyncio.timeout(1.0):
            await asyncio.to_thread(time.sleep, 0.3)
        return "read"

    assert session.run(read_in_a_thread()) == "read"


def test_a_socket_gets_real_time_and_no_premature_timeout(session: SessionLoop) -> None:
    """Another party answers on a socket after 0.3 s of wall time."""
    ours, theirs = socket.socketpair()
    answer = threading.Timer(0.3, theirs.sendall, (b"answer",))

    async def ask() -> bytes:
        reader, writer = await asyncio.open_connection(sock=ours)
        answer.start()
        try:
            async with asyncio.timeout(1.0):
                return await reader.read(6)
        finally:
            writer.close()

    try:
        assert session.run(ask()) == b"answer"
    finally:
        answer.join()
        theirs.close()


def test_between_steps_the_loop_sleeps_in_real_time(session: SessionLoop) -> None:
    """A timer left running by a step (a scan, a listener) would spin a core if
    time jumped between steps; in real time it wakes a few times and costs nothing."""
    ticks: list[float] = []

    async def start_ticking() -> None:
        async def tick() -> None:
            while True:
                await asyncio.sleep(0.01)
                ticks.append(time.perf_counter())

        asyncio.get_running_loop().create_task(tick())

    async def loop_thread_cpu() -> float:
        return time.thread_time()

    session.run(start_ticking())
    cpu_before = session.run(loop_thread_cpu())
    time.sleep(0.5)
    cpu_spent = session.run(loop_thread_cpu()) - cpu_before
    assert cpu_spent < 0.1
    assert 10 <= len(ticks) <= 60


def test_a_transcript_on_the_loop_clock_shows_the_wait_that_was_skipped(
    session: SessionLoop,
) -> None:
    transcript = Transcript(clock=session.loop.time)

    async def ask_and_wait() -> None:
        transcript.note("request")
        await asyncio.sleep(2)
        transcript.note("timed out")

    session.run(ask_and_wait())
    request, timed_out = transcript.entries
    assert 2 <= timed_out.at - request.at < 2.2


def test_the_clock_is_real_time_plus_what_was_skipped() -> None:
    loop = VirtualTimeLoop()
    try:
        assert loop.skipped == 0
        assert abs(loop.time() - time.monotonic()) < 0.01

        async def step() -> None:
            with loop.fast_forward():
                await asyncio.sleep(4)

        loop.run_until_complete(step())
        assert 3.9 < loop.skipped <= 4
        assert abs(loop.time() - (time.monotonic() + loop.skipped)) < 0.01
    finally:
        loop.close()


def test_without_virtual_time_a_sleep_takes_its_wall_time() -> None:
    with SessionLoop() as real:
        began = time.perf_counter()
        real.run(asyncio.sleep(0.2))
        assert time.perf_counter() - began >= 0.2


def test_only_a_target_whose_waits_are_all_in_this_process_keeps_virtual_time() -> None:
    assert build("virtual", TargetOptions(environment={})).virtual_time
    another_process = TargetOptions(environment={"IQOS_HIL_HCI": "tcp-client:127.0.0.1:1"})
    assert not build("virtual", another_process).virtual_time
    adapters = TargetOptions(environment={DEVICE_ADAPTERS: "hci0", CLIENT_ADAPTER: "hci1"})
    assert not build("bluez", adapters).virtual_time
    lab = TargetOptions(bench=ROOT / "fixtures" / "benches" / "lab.yaml")
    assert not build("hardware", lab).virtual_time


@pytest.mark.parametrize("real_time", [False, True])
def test_the_features_wait_out_a_missing_answer_only_in_real_time(
    tmp_path: Path, real_time: bool
) -> None:
    """The scenario waits ANSWER_TIMEOUT for an answer that never comes: wall time
    only with --real-time. Not a benchmark: virtual time takes a fraction of it."""
    junit = tmp_path / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "features",
         "--target", "virtual", "-k", "stops_answering and DUO", "--junitxml", str(junit),
         *(["--real-time"] if real_time else [])],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
        env={key: value for key, value in os.environ.items() if key != "IQOS_HIL_HCI"},
    )  # fmt: skip
    (case,) = ElementTree.parse(junit).getroot().iter("testcase")
    assert (float(case.get("time", "0")) >= ANSWER_TIMEOUT) is real_time
