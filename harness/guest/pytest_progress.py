"""pytest plugin for a job in the guest: each scenario's start, step and end on the
serial console, the Python stacks on the host's request, deadlines scaled.

The host runner (`harness.guest.watch`) reads the console as it comes, so these
lines are how it shows progress per scenario while the job runs, and how it
knows which scenario and which step a guest that stopped was in. The runner
loads the plugin in every pytest of a job (`-p harness.guest.pytest_progress` in
`PYTEST_ADDOPTS`); outside a guest it does nothing.

Lines, after `iqos-scenario: ` and the guest's uptime:

    session UPTIME COUNT SLOWNESS       collected, COUNT scenarios to run
    start UPTIME NODEID
    step UPTIME KEYWORD TEXT            (pytest-bdd steps)
    end UPTIME OUTCOME SECONDS NODEID
    finish UPTIME
    stacks UPTIME PATH                  the stacks asked for are in PATH

A guest cannot be reached from the host except through the results folder, so
the host asks for the stacks by creating `stacks.request` there; a thread of the
plugin looks for it once a second (one stat over 9p).
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import io
import os
import threading
import time
from pathlib import Path
from typing import Any, TextIO

import pytest

from harness.guest.speed import slowness_from
from harness.guest.watch import PREFIX, STACKS, STACKS_REQUEST

CONSOLE = Path("/dev/console")
POLL_SECONDS = 1.0


def uptime() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


def task_stacks() -> str:
    """Every unfinished asyncio task's coroutine stack: the thread stacks show only
    the loop's `select`, the tasks show which await each one is in."""
    out = io.StringIO()
    tasks = [each for each in gc.get_objects() if isinstance(each, asyncio.Task)]
    for task in tasks:
        if not task.done():
            out.write(f"\n{task!r}\n")
            task.print_stack(file=out)
    return out.getvalue()


class Progress:
    """Writes the console lines; serves the host's request for stacks."""

    def __init__(self, console: TextIO, results: Path, slowness: float) -> None:
        self.console = console
        self.results = results
        self.slowness = slowness
        self.began: dict[str, float] = {}
        self.outcomes: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._serve_stacks, daemon=True)

    def say(self, kind: str, *words: object) -> None:
        line = " ".join([f"{PREFIX}{kind} {uptime():.2f}", *map(str, words)])
        with self._lock:
            self.console.write(line.replace("\n", " ") + "\n")
            self.console.flush()

    def dump_stacks(self) -> Path:
        path = self.results / STACKS
        with path.open("w", encoding="utf-8") as out:
            out.write("Python threads of the job (faulthandler):\n")
            out.flush()
            faulthandler.dump_traceback(file=out, all_threads=True)
            out.write("\nasyncio tasks:\n" + task_stacks())
        return path

    def answer(self) -> bool:
        """Dump the stacks if the host asked for them; whether it had."""
        request = self.results / STACKS_REQUEST
        if not request.exists():
            return False
        request.unlink(missing_ok=True)
        self.say("stacks", self.dump_stacks())
        return True

    def _serve_stacks(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self.answer()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """pytest-timeout's limit per scenario scales with the guest's slowness, as
        the target's own deadlines do; a scenario with a limit of its own keeps it."""
        base = per_scenario_timeout(config)
        if base and self.slowness > 1.0:
            for item in items:
                if item.get_closest_marker("timeout") is None:
                    item.add_marker(pytest.mark.timeout(base * self.slowness))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.say("session", len(session.items), f"{self.slowness:g}")
        self._watcher.start()

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.began[nodeid] = time.monotonic()
        self.outcomes[nodeid] = "passed"
        self.say("start", nodeid)

    @pytest.hookimpl(optionalhook=True)
    def pytest_bdd_before_step(self, step: Any) -> None:
        self.say("step", step.keyword, step.name)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """The worst phase decides: a failed teardown fails a passed scenario, a skip
        in setup is the scenario's outcome."""
        if report.failed:
            failed = "failed" if report.when == "call" else "error"
            if self.outcomes.get(report.nodeid) != "failed":
                self.outcomes[report.nodeid] = failed
        elif report.skipped and self.outcomes.get(report.nodeid) == "passed":
            self.outcomes[report.nodeid] = "skipped"

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        seconds = time.monotonic() - self.began.pop(nodeid, time.monotonic())
        self.say("end", self.outcomes.pop(nodeid, "passed"), f"{seconds:.2f}", nodeid)

    def pytest_sessionfinish(self) -> None:
        self._stop.set()
        self.say("finish")


def per_scenario_timeout(config: pytest.Config) -> float:
    """pytest-timeout's limit from its option or ini setting; 0 without the plugin."""
    if not config.pluginmanager.hasplugin("timeout"):
        return 0.0
    value = config.getoption("timeout", None) or config.getini("timeout")
    return float(value or 0.0)


def pytest_configure(config: pytest.Config) -> None:
    results = os.environ.get("IQOS_GUEST_RESULTS")
    if os.environ.get("IQOS_HIL_IN_GUEST") != "1" or not results:
        return
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller reports the scenarios
    try:
        slowness = slowness_from(os.environ)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    console = CONSOLE.open("w", encoding="utf-8", errors="replace")
    config.add_cleanup(console.close)
    config.pluginmanager.register(Progress(console, Path(results), slowness), "iqos-guest-progress")
