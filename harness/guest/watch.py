"""Host side of a guest's progress: a line per finished scenario, and a guest that
stopped making progress told apart from one that is only slow.

A fixed limit for the whole boot either kills a slow guest that was still
passing scenarios (one shard at 900 s after 67 scenarios, on a day the host ran
at about half speed) or waits far too long for a stuck one. The watch reads the
scenarios' lines from the console (`harness.guest.pytest_progress`) and arms a
no-progress deadline from the first scenario on: no scenario finished for
`limit()` seconds, where the limit grows with the slowest scenario seen and the
guest's measured slowness. An overall cap still bounds the whole boot. Either
way the problem line names the scenario that was running, its step and for how
long, and the guest's Python stacks are asked for before QEMU is killed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: The lines of `harness.guest.pytest_progress` on the console start with this.
PREFIX = "iqos-scenario: "
#: The host creates it in the results folder to ask the job for its stacks...
STACKS_REQUEST = "stacks.request"
#: ... and the job writes them here, beside it.
STACKS = "stacks.txt"


@dataclass(frozen=True)
class Deadlines:
    """Seconds of host time; `floor` is multiplied by the guest's slowness."""

    #: No scenario finished for this long, at the least: beyond pytest-timeout's
    #: 120 s per scenario, so that a scenario stuck in a step fails by it first.
    floor: float = 180.0
    #: ... or this many times the slowest scenario so far, if that is longer.
    factor: float = 4.0
    #: The whole boot, however it progresses.
    cap: float = 3600.0
    #: How long the guest may take to dump its stacks once asked.
    stacks_grace: float = 20.0


@dataclass
class Scenario:
    name: str
    outcome: str
    seconds: float
    host_end: float
    #: Which pytest session of the job, from 1: a job may run several.
    session: int


@dataclass
class Running:
    name: str
    host_start: float
    step: str | None = None
    host_step: float | None = None


def short_name(nodeid: str) -> str:
    """The scenario's part of a pytest node id: the file is the same for every one."""
    return nodeid.rpartition("::")[2] or nodeid


@dataclass
class Watch:
    """Fed the console's lines with their host times; says when to give up."""

    label: str
    """The shard's name; empty for a single guest, whose lines the host log already
    marks as the guest's."""
    deadlines: Deadlines = field(default_factory=Deadlines)
    log: Callable[[str], None] = print
    total: int | None = None
    sessions: int = 0
    slowness: float = 1.0
    done: list[Scenario] = field(default_factory=list)
    running: Running | None = None
    #: Host time from which the no-progress deadline counts; None while not armed
    #: (boot, imports, collection, and any job that is not a pytest session).
    since: float | None = None
    stacks: Path | None = None
    stacks_dumped: threading.Event = field(default_factory=threading.Event)

    def feed(self, host: float, line: str) -> None:
        _, found, rest = line.partition(PREFIX)
        if not found:
            return
        kind, _, rest = rest.partition(" ")
        uptime, _, rest = rest.partition(" ")
        words = rest.split(" ")
        try:
            float(uptime)
            if kind == "session":
                self.total, self.slowness, self.since = int(words[0]), float(words[1]), host
                self.sessions += 1
            elif kind == "start":
                self.running = Running(short_name(rest), host)
            elif kind == "step" and self.running is not None:
                self.running.step, self.running.host_step = rest, host
            elif kind == "end":
                self.finished(host, short_name(" ".join(words[2:])), words[0], float(words[1]))
            elif kind == "finish":
                self.since = None
            elif kind == "stacks":
                self.stacks = Path(rest)
                self.stacks_dumped.set()
        except (ValueError, IndexError):
            self.log(self.named(f"unreadable progress line {line!r}"))

    def finished(self, host: float, name: str, outcome: str, seconds: float) -> None:
        self.done.append(Scenario(name, outcome, seconds, round(host, 3), self.sessions))
        self.running = None
        self.since = host
        count = sum(1 for scenario in self.done if scenario.session == self.sessions)
        total = f"/{self.total}" if self.total else ""  # an xdist controller collects none
        self.log(self.named(f"{count}{total} {name} {outcome} ({seconds:.1f} s)"))

    def named(self, text: str) -> str:
        return f"{self.label}: {text}" if self.label else text

    def limit(self) -> float:
        """The no-progress deadline: the floor scaled by the guest's slowness, or
        `factor` times the slowest scenario so far, if longer."""
        slowest = max((scenario.seconds for scenario in self.done), default=0.0)
        return max(self.deadlines.floor * self.slowness, self.deadlines.factor * slowest)

    def expired(self, now: float) -> str | None:
        """The problem line if the guest must be stopped at host time `now`, else None."""
        if now >= self.deadlines.cap:
            cap = f"stopped at the overall cap of {self.deadlines.cap:.0f} s"
            return self.named(cap + self.where(now))
        if self.since is None or now - self.since < self.limit():
            return None
        after = f" after {self.done[-1].name}" if self.done else ""
        return self.named(
            f"no scenario finished for {now - self.since:.0f} s{after} "
            f"(limit {self.limit():.0f} s)" + self.where(now)
        )

    def where(self, now: float) -> str:
        """What the guest was doing: the running scenario, its step, for how long."""
        if self.running is None:
            return "; no scenario was running"
        place = f"; {self.running.name} had been running for {now - self.running.host_start:.0f} s"
        if self.running.step is not None and self.running.host_step is not None:
            place += f", in step '{self.running.step}' for {now - self.running.host_step:.0f} s"
        return place


def ask_for_stacks(results: Path) -> Callable[[], None]:
    """How the host asks the job for its stacks: a file in the shared results folder."""
    return (results / STACKS_REQUEST).touch


def stop_stalled(
    watch: Watch, problem: str, ask: Callable[[], None], kill: Callable[[], None]
) -> str:
    """Ask the guest for its stacks, give it `stacks_grace` to write them, kill it;
    the problem line, with where the stacks are (or that they never came)."""
    ask()
    if watch.stacks_dumped.wait(watch.deadlines.stacks_grace) and watch.stacks is not None:
        told = f"; the job's Python stacks: {watch.stacks}"
    else:
        told = f"; the guest wrote no stacks within {watch.deadlines.stacks_grace:.0f} s"
    kill()
    return problem + told
