"""The lane under load, on the host without QEMU: the guest's progress lines from a
real pytest session, the host's progress and no-progress deadline fed from a fake
console, and the deadlines scaled by the guest's measured slowness."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path

import pytest

import harness.app
from harness.evidence import Evidence
from harness.guest import __main__ as command
from harness.guest.bringup import Adapter, guest_env
from harness.guest.pytest_progress import Progress
from harness.guest.runner import Boot, GuestConfig, Outcome, collect, guard, read_console
from harness.guest.speed import MOST, SLOWNESS, calibrate, slowness_from, slowness_of
from harness.guest.watch import PREFIX, STACKS, STACKS_REQUEST, Deadlines, Watch, stop_stalled
from harness.loop import SessionLoop
from harness.targets.base import Target, TargetError
from harness.targets.bluez import (
    ANSWER_TIMEOUT,
    CLIENT_ADAPTER,
    DEVICE_ADAPTERS,
    SCAN_WINDOW,
    BluezTarget,
)

pytest_plugins = ("pytester",)

SCENARIOS = """
import pytest

def test_pairs():
    pass

def test_refuses():
    assert False, "refused"

def test_needs_two_devices():
    pytest.skip("one device adapter")

def test_limit(request):
    assert request.node.get_closest_marker("timeout").args[0] == 240.0

@pytest.mark.timeout(7)
def test_own_limit(request):
    assert request.node.get_closest_marker("timeout").args[0] == 7
"""


def test_a_guest_pytest_session_is_read_as_progress_per_scenario(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """The plugin's lines from a real session, fed to the host's watch, give one
    progress line per scenario with its outcome, and the per-scenario limit of
    pytest-timeout doubled for a guest twice as slow."""
    pytester.makepyfile(test_lane=SCENARIOS)
    pytester.makeini("[pytest]\ntimeout = 120\nasyncio_default_fixture_loop_scope = function\n")
    console = io.StringIO()
    progress = Progress(console, tmp_path, slowness=2.0)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", plugins=[progress])
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    logged: list[str] = []
    watch = Watch("shard-1", log=logged.append)
    for second, line in enumerate(console.getvalue().splitlines()):
        assert line.startswith(PREFIX)
        watch.feed(float(second), line)
    assert (watch.total, watch.slowness) == (5, 2.0)
    assert [line.rsplit(" (", 1)[0] for line in logged] == [
        "shard-1: 1/5 test_pairs passed",
        "shard-1: 2/5 test_refuses failed",
        "shard-1: 3/5 test_needs_two_devices skipped",
        "shard-1: 4/5 test_limit passed",
        "shard-1: 5/5 test_own_limit passed",
    ]
    assert watch.since is None and watch.running is None  # finished: nothing to watch


def test_the_stacks_the_host_asks_for_show_which_await_each_task_is_in(tmp_path: Path) -> None:
    console = io.StringIO()
    progress = Progress(console, tmp_path, slowness=1.0)
    assert not progress.answer()

    async def pairing_never_answered(never: asyncio.Event) -> None:
        await never.wait()

    async def stuck() -> None:
        task = asyncio.create_task(pairing_never_answered(asyncio.Event()))
        await asyncio.sleep(0)
        (tmp_path / STACKS_REQUEST).touch()
        assert progress.answer()
        task.cancel()

    asyncio.run(stuck())
    dumped = (tmp_path / STACKS).read_text()
    assert "Python threads of the job" in dumped and "pairing_never_answered" in dumped
    assert "never.wait()" in dumped
    assert not (tmp_path / STACKS_REQUEST).exists()
    watch = Watch("shard-0")
    watch.feed(3.0, console.getvalue().strip())
    assert watch.stacks_dumped.is_set() and watch.stacks == tmp_path / STACKS


def session(watch: Watch, host: float, count: int = 80, slowness: float = 1.0) -> None:
    watch.feed(host, f"{PREFIX}session 30.00 {count} {slowness:g}")


def scenario(watch: Watch, began: float, seconds: float, name: str = "test_pairs[duo]") -> None:
    watch.feed(began, f"{PREFIX}start 40.00 features/test_features.py::{name}")
    watch.feed(began + 0.5, f"{PREFIX}step 40.50 When the app pairs")
    watch.feed(began + seconds, f"{PREFIX}end 41.00 passed {seconds:.2f} features/x.py::{name}")


def test_nothing_is_stopped_before_the_session_or_after_it_while_under_the_cap() -> None:
    watch = Watch("shard-0", Deadlines(floor=180, cap=3600))
    assert watch.expired(3000.0) is None  # booting, or a job that is not pytest
    session(watch, 10.0)
    scenario(watch, 11.0, 3.0)
    watch.feed(15.0, f"{PREFIX}finish 50.00")
    assert watch.expired(3000.0) is None


def test_the_stall_deadline_names_the_scenario_its_step_and_how_long() -> None:
    watch = Watch("shard-1", Deadlines(floor=180, factor=4, cap=3600), log=lambda _: None)
    session(watch, 10.0)
    scenario(watch, 12.0, 3.0, "test_battery[duo]")
    watch.feed(20.0, f"{PREFIX}start 49.00 features/test_features.py::test_reset[iluma]")
    watch.feed(25.0, f"{PREFIX}step 54.00 When the holder is reset")
    assert watch.limit() == 180.0
    assert watch.expired(15.0 + 179.0) is None
    assert watch.expired(15.0 + 181.0) == (
        "shard-1: no scenario finished for 181 s after test_battery[duo] (limit 180 s); "
        "test_reset[iluma] had been running for 176 s, in step 'When the holder is reset' "
        "for 171 s"
    )


def test_the_stall_deadline_grows_with_the_slowest_scenario_and_the_guests_slowness() -> None:
    watch = Watch("shard-0", Deadlines(floor=180, factor=4), log=lambda _: None)
    session(watch, 0.0, slowness=1.5)
    assert watch.limit() == 270.0  # the floor, for a guest 1.5 times slower
    scenario(watch, 1.0, 90.0)
    assert watch.limit() == 360.0  # four times the slowest scenario
    assert watch.expired(91.0 + 359.0) is None
    assert watch.expired(91.0 + 361.0) is not None


def test_the_overall_cap_stops_a_guest_that_still_progresses() -> None:
    watch = Watch("shard-0", Deadlines(floor=180, cap=600), log=lambda _: None)
    session(watch, 5.0)
    for began in range(10, 600, 5):
        scenario(watch, float(began), 4.0)
    watch.feed(598.0, f"{PREFIX}start 600.00 features/test_features.py::test_diagnose[duo]")
    assert watch.expired(599.0) is None
    assert watch.expired(600.0) == (
        "shard-0: stopped at the overall cap of 600 s; test_diagnose[duo] had been running for 2 s"
    )


def test_a_stalled_guest_is_asked_for_its_stacks_then_killed() -> None:
    """The guard, driven by a fake clock: the guest answers the request (as the plugin
    does, through the console), is killed, and the problem line says where to look."""
    watch = Watch("shard-1", Deadlines(floor=180, stacks_grace=5), log=lambda _: None)
    session(watch, 10.0)
    outcome = Boot(Path("/r"), None, 0.0, watch=watch)
    killed: list[str] = []
    times = iter([100.0, 191.0])

    def guest_answers() -> None:
        watch.feed(192.0, f"{PREFIX}stacks 220.00 /r/stacks.txt")

    guard(watch, lambda: next(times), guest_answers, lambda: killed.append("kill"),
          threading.Event(), outcome, tick=0)  # fmt: skip
    assert killed == ["kill"]
    assert outcome.stopped == (
        "shard-1: no scenario finished for 181 s (limit 180 s); no scenario was running; "
        "the job's Python stacks: /r/stacks.txt"
    )


def test_a_guest_that_never_dumps_its_stacks_is_killed_all_the_same() -> None:
    watch = Watch("shard-0", Deadlines(stacks_grace=0))
    killed: list[bool] = []
    problem = stop_stalled(
        watch, "shard-0: stuck", ask=lambda: None, kill=lambda: killed.append(True)
    )
    assert killed == [True]
    assert problem == "shard-0: stuck; the guest wrote no stacks within 0 s"


def test_console_lines_go_to_the_log_the_markers_and_the_watch() -> None:
    lines = [
        b"[    1.9] iqos-guest: initramfs 1.50\r\n",
        b"iqos-guest: FATAL insmod 9p.ko\n",
        f"{PREFIX}session 20.00 2 1\n".encode(),
        f"{PREFIX}start 20.10 features/t.py::test_pairs\n".encode(),
        f"{PREFIX}end 23.20 passed 3.10 features/t.py::test_pairs\n".encode(),
    ]
    ticks = iter([4.0, 5.0, 22.0, 22.1, 25.2])
    logged: list[str] = []
    watch = Watch("shard-1", log=logged.append)
    outcome = Boot(Path("/r"), None, 0.0, watch=watch)
    console = io.StringIO()
    read_console(lines, lambda: next(ticks), console, outcome, watch)
    assert outcome.markers["initramfs"].host == 4.0 and outcome.fatal == ["insmod 9p.ko"]
    assert console.getvalue().splitlines()[0] == "[    4.000] [    1.9] iqos-guest: initramfs 1.50"
    assert logged == ["shard-1: 1/2 test_pairs passed (3.1 s)"]


def test_summary_keeps_each_scenarios_time_and_the_problem_of_a_stopped_guest(
    tmp_path: Path,
) -> None:
    watch = Watch("shard-0", log=lambda _: None)
    session(watch, 10.0)
    scenario(watch, 11.0, 3.0)
    (tmp_path / "ready.json").write_text('{"times": {}, "slowness": 1.4}')
    boot = Boot(tmp_path, -9, 400.0, stopped="shard-0: no scenario finished", watch=watch)
    outcome = collect(boot)
    assert outcome.problem == "shard-0: no scenario finished"
    assert outcome.summary["slowness"] == 1.4
    assert outcome.summary["scenarios"] == [
        {"name": "test_pairs[duo]", "outcome": "passed", "seconds": 3.0, "host_end": 14.0,
         "session": 1}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("measured", "slowness"), [(0.055, 1.0), (0.03, 1.0), (0.11, 2.0), (0.0825, 1.5), (9.0, MOST)]
)
def test_slowness_is_measured_over_reference_between_one_and_the_most(
    measured: float, slowness: float
) -> None:
    assert slowness_of(measured, reference=0.055) == slowness


def test_calibration_times_the_workload() -> None:
    assert 0 < calibrate(rounds=1) < 5


def test_the_slowness_reaches_the_job_and_scales_the_bluez_targets_deadlines() -> None:
    adapters = [
        Adapter("/org/bluez/hci0", "00:AA", True),
        Adapter("/org/bluez/hci1", "00:AB", True),
    ]
    exports = guest_env(adapters, slowness=2.5)
    assert f"export {SLOWNESS}=2.5\n" in exports
    environment = {DEVICE_ADAPTERS: "hci0", CLIENT_ADAPTER: "hci1", SLOWNESS: "2.5"}
    target = BluezTarget.from_environment(environment)
    assert target.client_options()["timeout"] == ANSWER_TIMEOUT * 2.5
    assert target.patience == Target.patience * 2.5
    plain = BluezTarget.from_environment({DEVICE_ADAPTERS: "hci0", CLIENT_ADAPTER: "hci1"})
    assert plain.client_options()["timeout"] == ANSWER_TIMEOUT


@pytest.mark.parametrize("value", ["fast", "0.5", "4.5"])
def test_a_bad_slowness_is_one_clear_line(value: str) -> None:
    with pytest.raises(ValueError, match=SLOWNESS):
        slowness_from({SLOWNESS: value})
    environment = {DEVICE_ADAPTERS: "hci0", CLIENT_ADAPTER: "hci1", SLOWNESS: value}
    with pytest.raises(TargetError, match=SLOWNESS):
        BluezTarget.from_environment(environment)


def test_a_garbled_progress_line_is_one_line_of_log_and_changes_nothing() -> None:
    logged: list[str] = []
    watch = Watch("shard-0", log=logged.append)
    session(watch, 10.0)
    watch.feed(11.0, f"{PREFIX}end 41.00 passed")
    assert logged == [f"shard-0: unreadable progress line '{PREFIX}end 41.00 passed'"]
    assert watch.done == [] and watch.since == 10.0


def test_the_command_line_sets_the_stall_floor_and_the_overall_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configs: list[GuestConfig] = []

    def run_in_guest(argv: list[str], config: GuestConfig, results: Path | None) -> Outcome:
        configs.append(config)
        return Outcome(0, None, {})

    monkeypatch.setattr(command, "run_in_guest", run_in_guest)
    assert command.main(["run", "--stall-floor", "30", "--timeout", "600", "--", "true"]) == 0
    assert command.main(["run", "--", "true"]) == 0
    assert [(c.stall_floor, c.timeout) for c in configs] == [(30.0, 600.0), (180.0, 3600.0)]


def test_the_apps_scan_lasts_longer_on_a_slower_target(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan that ends before a slow guest's stack reports the device fails the step;
    its windows (SCAN_WINDOW) grow alike."""
    scans: list[tuple[float, float | None]] = []

    async def discover(
        scan_seconds: float, scan_window: float | None = None, **_: object
    ) -> list[object]:
        scans.append((scan_seconds, scan_window))
        return []

    monkeypatch.setattr(harness.app, "discover", discover)
    target = BluezTarget.from_environment(
        {DEVICE_ADAPTERS: "hci0", CLIENT_ADAPTER: "hci1", SLOWNESS: "2.5"}
    )
    loop = SessionLoop()
    try:
        harness.app.App(loop, target, Evidence(), set()).scan()
    finally:
        loop.close()
    assert scans == [(harness.app.SCAN_SECONDS * 2.5, SCAN_WINDOW * 2.5)]
