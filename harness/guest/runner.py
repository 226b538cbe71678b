"""Boot the guest under QEMU, run one job in it, and bring back what it left.

The guest's root is the host's own `/`, read-only over virtio-9p, so the job
runs the host's venv and the work tree as they are, with no image to build or
keep in sync. Only the results folder is shared writable; the job's command
line, environment and working folder travel as a script in it (job.sh), and
its exit code, output, btmon capture and the daemons' logs come back in it.

The serial console is read here line by line and stamped with host time, so
the markers that stage 1 and 2 print (`iqos-guest: NAME UPTIME`) give both the
guest's own clock and the wall clock a user waits on; the job's pytest prints
its scenarios there too, and `harness.guest.watch` turns them into progress
lines and the no-progress deadline.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from harness.guest.host import (
    Kernel,
    ProvisionError,
    fetch_kernel,
    install_packages,
    stderr_log,
)
from harness.guest.initramfs import build_initramfs
from harness.guest.watch import Deadlines, Watch, ask_for_stacks, stop_stalled
from harness.targets.btmon import btsnoop, records

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "guest"
RESULTS_PARENT = ROOT / "reports" / "guest"
BUSYBOX = Path("/bin/busybox")
STAGE2 = Path(__file__).resolve().with_name("stage2.sh")
MONITOR_CAPTURE = "monitor.pcap"
"""tcpdump's capture of the HCI monitor, from stage 2; the results keep it as btmon.snoop."""
MARKER = "iqos-guest: "
#: Exit code of the runner when the guest never got to run the job.
SETUP_FAILED = 125
#: pytest's exit code for a session that selected nothing.
NO_TESTS_COLLECTED = 5

#: Host variables the job sees; the rest (the coding client's, the host's HOME
#: and its caches) would point at places the read-only guest cannot write.
PASSED_PREFIXES = ("IQOS_", "PYTHON", "PYTEST_", "LC_")
PASSED_NAMES = ("PATH", "LANG", "TERM", "TZ", "CI", "VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR")
#: Loaded into every pytest of a job: scenario progress on the console, stacks on request.
PROGRESS_PLUGIN = "-p harness.guest.pytest_progress"


@dataclass(frozen=True)
class GuestConfig:
    """Sizes and limits of one boot; the defaults are what the bench measured."""

    memory_mb: int = 256
    #: vCPUs; see `vcpus_for` for how many guests side by side may have.
    cpus: int = 2
    #: Whole boot, job included, however it progresses; past it QEMU is killed. A
    #: stalled job is stopped long before, by the no-progress deadline (`Deadlines`).
    timeout: float = Deadlines.cap
    #: No scenario finished for this long (times the guest's slowness, at the least)
    #: and the job is stopped: `harness.guest.watch`.
    stall_floor: float = Deadlines.floor
    #: From bring-up's start until both controllers are Powered.
    ready_timeout: float = 180.0
    #: Linked LE controllers: the last is the client's, the others one simulated device each.
    controllers: int = 2
    #: Of those, the client's: one per pytest-xdist worker of the job.
    clients: int = 1
    #: The guest's Python (the bring-up daemon needs dbus-fast): the one running the
    #: runner, so a tox environment's runner boots a guest with that environment.
    python: str = sys.executable
    #: bluetoothd's debug log (`-d`) in bluetoothd.log: every mgmt command and event,
    #: D-Bus call and GATT step, to read a failure by; it slows bluetoothd a little.
    bluetoothd_debug: bool = False


def vcpus_for(guests: int, host_cores: int | None = None) -> int:
    """vCPUs per guest so that guests side by side have no more vCPUs than the host
    has cores. Under TCG each vCPU is a host thread, and vCPUs that outnumber the
    cores wait on each other: two guests of two vCPUs on two cores ran the bluez
    lane in 220 and 227 s, two guests of one vCPU in 129 and 130 s."""
    cores = host_cores if host_cores is not None else (os.cpu_count() or 1)
    return max(1, cores // max(1, guests))


def qemu_argv(kernel: Kernel, initrd: Path, results: Path, config: GuestConfig) -> list[str]:
    """The QEMU command line: TCG with `config.cpus` vCPUs, two 9p shares, console on stdio."""
    for path in (results, STAGE2, ROOT):
        if any(char.isspace() for char in str(path)):
            raise ValueError(f"{path} has white space, which the kernel command line cannot carry")
    append = " ".join(
        (
            "console=ttyS0",
            "mitigations=off",
            "panic=-1",
            "loglevel=4",
            f"iqos.results={results}",
            f"iqos.stage2={STAGE2}",
            f"iqos.project={ROOT}",
        )
    )
    ninep = "local,security_model=none,multidevs=remap"
    return [
        "qemu-system-x86_64",
        "-accel", "tcg,thread=multi",
        "-cpu", "max",
        "-smp", str(config.cpus),
        "-m", f"{config.memory_mb}M",
        "-nodefaults",
        "-no-user-config",
        "-no-reboot",
        "-display", "none",
        "-monitor", "none",
        "-serial", "stdio",
        "-kernel", str(kernel.image),
        "-initrd", str(initrd),
        "-append", append,
        "-virtfs", f"{ninep},path=/,mount_tag=hostroot,readonly=on",
        "-virtfs", f"{ninep},path={results},mount_tag=results",
    ]  # fmt: skip


def job_environment(host: Mapping[str, str], results: Path) -> dict[str, str]:
    """The job's environment: the host's relevant variables, and the guest's own."""
    env = {
        name: value
        for name, value in host.items()
        if name in PASSED_NAMES or name.startswith(PASSED_PREFIXES)
    }
    env.update(HOME="/tmp/home", IQOS_HIL_IN_GUEST="1", IQOS_GUEST_RESULTS=str(results))
    env["PYTEST_ADDOPTS"] = f"{env.get('PYTEST_ADDOPTS', '')} {PROGRESS_PLUGIN}".strip()
    return env


def job_script(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> str:
    """job.sh: the command with its folder and variables, quoted for /bin/sh."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in sorted(env.items())]
    lines += [f"cd {shlex.quote(str(cwd))} || exit 126", f"exec {shlex.join(argv)}"]
    return "\n".join(lines) + "\n"


def guest_conf(config: GuestConfig, kernel: Kernel) -> str:
    """guest.conf: what stage2.sh needs to know of the host, as shell assignments."""
    values = {
        "PYTHON": config.python,
        "READY_TIMEOUT": f"{config.ready_timeout:g}",
        "CONTROLLERS": str(config.controllers),
        "CLIENTS": str(config.clients),
        "KERNEL_ROOT": str(kernel.root),
        "BLUETOOTHD_OPTIONS": "-n -d" if config.bluetoothd_debug else "-n",
    }
    return "".join(f"{name}={shlex.quote(value)}\n" for name, value in values.items())


def parse_marker(line: str) -> tuple[str, float] | None:
    """`iqos-guest: NAME UPTIME` from the console, or None for any other line."""
    _, found, rest = line.partition(MARKER)
    if not found:
        return None
    words = rest.split()
    if len(words) != 2:
        return None
    try:
        return words[0], float(words[1])
    except ValueError:
        return None


@dataclass
class Marker:
    host: float
    uptime: float


@dataclass
class Boot:
    """What the host saw of one boot."""

    results: Path
    returncode: int | None
    wall: float
    #: Why the host stopped the guest (no progress, or the overall cap), if it did.
    stopped: str | None = None
    markers: dict[str, Marker] = field(default_factory=dict)
    fatal: list[str] = field(default_factory=list)
    watch: Watch | None = None


def read_console(
    lines: Iterable[bytes],
    clock: Callable[[], float],
    console: TextIO,
    outcome: Boot,
    watch: Watch,
) -> None:
    """Stamp each console line with host seconds into console.log, and hand it to
    the markers and to the watch."""
    for raw in lines:
        elapsed = clock()
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        console.write(f"[{elapsed:9.3f}] {line}\n")
        marker = parse_marker(line)
        if marker is not None:
            outcome.markers.setdefault(marker[0], Marker(elapsed, marker[1]))
        elif MARKER + "FATAL" in line:
            outcome.fatal.append(line.partition(MARKER + "FATAL ")[2])
        else:
            watch.feed(elapsed, line)


def guard(
    watch: Watch,
    clock: Callable[[], float],
    ask: Callable[[], None],
    kill: Callable[[], None],
    done: threading.Event,
    outcome: Boot,
    tick: float = 1.0,
) -> None:
    """Until `done`, check the watch's deadlines every `tick`; on expiry, get the
    stacks, kill the guest and keep the problem line in `outcome.stopped`."""
    while not done.wait(tick):
        problem = watch.expired(clock())
        if problem is not None:
            outcome.stopped = stop_stalled(watch, problem, ask, kill)
            return


def progress_log(line: str) -> None:
    """A line per scenario, named by its shard if there are several, on stderr as it
    happens."""
    print(line, file=sys.stderr, flush=True)


def new_results_dir(parent: Path = RESULTS_PARENT) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = parent / f"{stamp}-{os.getpid()}"
    path.mkdir(parents=True)
    return path


def boot(
    argv: Sequence[str],
    kernel: Kernel,
    initrd: Path,
    results: Path,
    config: GuestConfig,
    cwd: Path,
    environ: Mapping[str, str],
    label: str = "",
) -> Boot:
    """Run the job in a fresh guest; block until the guest powers off or is stopped
    (no progress, or the overall cap: `harness.guest.watch`)."""
    (results / "job.sh").write_text(job_script(argv, cwd, job_environment(environ, results)))
    (results / "guest.conf").write_text(guest_conf(config, kernel))
    command = qemu_argv(kernel, initrd, results, config)
    (results / "qemu.cmdline").write_text(shlex.join(command) + "\n")
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    watch = Watch(label, Deadlines(floor=config.stall_floor, cap=config.timeout), log=progress_log)
    outcome = Boot(results, None, 0.0, watch=watch)

    def clock() -> float:
        return time.monotonic() - started

    finished = threading.Event()
    watchdog = threading.Thread(
        target=guard,
        args=(watch, clock, ask_for_stacks(results), process.kill, finished, outcome),
        daemon=True,
    )
    watchdog.start()
    assert process.stdout is not None
    with (results / "console.log").open("w", encoding="utf-8") as console:
        read_console(process.stdout, clock, console, outcome, watch)
    outcome.returncode = process.wait()
    finished.set()
    watchdog.join()
    outcome.wall = clock()
    return outcome


@dataclass
class Outcome:
    """The job's result as the user sees it, and the summary written beside it."""

    exit_code: int
    problem: str | None
    summary: dict[str, Any]


def host_time(boot: Boot, uptime: float) -> float | None:
    """Wall seconds since QEMU started for a guest uptime, via the first marker."""
    if not boot.markers:
        return None
    first = min(boot.markers.values(), key=lambda marker: marker.uptime)
    return uptime + first.host - first.uptime


def collect(boot: Boot) -> Outcome:
    """Read the results folder: exit code, readiness times; write summary.json."""
    results = boot.results
    ready_file = results / "ready.json"
    ready: dict[str, Any] = json.loads(ready_file.read_text()) if ready_file.exists() else {}
    exit_file = results / "exit_code"
    exit_code = int(exit_file.read_text()) if exit_file.exists() else SETUP_FAILED
    problem: str | None = None
    if boot.stopped is not None:
        problem = boot.stopped
    elif (results / "setup_failed").exists():
        problem = "guest setup failed: " + (results / "setup_failed").read_text().strip()
    elif boot.fatal:
        problem = "guest setup failed: " + "; ".join(boot.fatal)
    elif not exit_file.exists():
        problem = f"guest stopped (QEMU exit {boot.returncode}) before the job finished"
    timings = {
        name: round(seconds, 3)
        for name, uptime in ready.get("times", {}).items()
        if (seconds := host_time(boot, uptime)) is not None
    }
    summary = {
        "exit_code": exit_code,
        "problem": problem,
        "qemu_returncode": boot.returncode,
        "wall_seconds": round(boot.wall, 3),
        "host_seconds": timings,
        "markers": {
            name: {"host": round(marker.host, 3), "uptime": marker.uptime}
            for name, marker in boot.markers.items()
        },
        "ready": ready,
        "slowness": ready.get("slowness"),
        "scenarios": [asdict(scenario) for scenario in boot.watch.done] if boot.watch else [],
    }
    (results / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    capture = results / MONITOR_CAPTURE
    if capture.exists():
        (results / "btmon.snoop").write_bytes(btsnoop(records(capture.read_bytes())))
        capture.unlink()
    return Outcome(exit_code, problem, summary)


def reuse_results_dir(folder: Path) -> None:
    """An empty results folder: a previous guest's files would mislead this one
    (stage 2 starts the job as soon as guest.env exists). Anything else in the
    way is refused rather than deleted."""
    if folder.exists() and any(folder.iterdir()):
        if not any(folder.glob("qemu.cmdline")) and not any(folder.glob("shard-*/qemu.cmdline")):
            raise ProvisionError(f"{folder} is not empty and not a guest's results folder")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)


def run_shards(argv: Sequence[str], config: GuestConfig, results: Path | None, shards: int) -> int:
    """Boot `shards` guests side by side, each running argv with IQOS_HIL_SHARD=I/N
    and its own results folder (results/shard-I); the worst exit code wins
    (`worst_exit_code`).

    A guest spends much of its time waiting on the radio, so guests side by side
    overlap well, as long as their vCPUs do not outnumber the cores (`vcpus_for`)."""
    install_packages(stderr_log)
    kernel = fetch_kernel(CACHE / "kernels", stderr_log)
    build_initramfs(BUSYBOX, kernel.modules, CACHE)  # once, before the guests race for it
    folder = results.resolve() if results is not None else new_results_dir()
    reuse_results_dir(folder)

    def shard(index: int) -> Outcome:
        environ = {**os.environ, "IQOS_HIL_SHARD": f"{index}/{shards}"}
        return run_in_guest(argv, config, folder / f"shard-{index}", environ, f"shard-{index}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=shards) as pool:
        outcomes = list(pool.map(shard, range(shards)))
    return worst_exit_code([outcome.exit_code for outcome in outcomes])


def worst_exit_code(codes: Sequence[int]) -> int:
    """The worst shard's exit code, where pytest's "no tests collected" counts only if
    every shard says it: a selection smaller than the shards leaves some shards idle,
    and a failure in another must not read as an empty selection."""
    counted = [code for code in codes if code != NO_TESTS_COLLECTED]
    return max(counted) if counted else NO_TESTS_COLLECTED


def run_in_guest(
    argv: Sequence[str],
    config: GuestConfig,
    results: Path | None,
    environ: Mapping[str, str] = os.environ,
    label: str = "",
) -> Outcome:
    """Provision (idempotently), boot, run argv, collect; progress goes to stderr."""
    started = time.monotonic()
    install_packages(stderr_log)
    kernel = fetch_kernel(CACHE / "kernels", stderr_log)
    initrd = build_initramfs(BUSYBOX, kernel.modules, CACHE)
    prepared = time.monotonic() - started
    folder = results.resolve() if results is not None else new_results_dir()
    reuse_results_dir(folder)
    stderr_log(f"booting {kernel.release} (host ready in {prepared:.1f} s), results in {folder}")
    outcome = collect(boot(argv, kernel, initrd, folder, config, Path.cwd(), environ, label))
    outcome.summary["prepare_seconds"] = round(prepared, 3)
    (folder / "summary.json").write_text(json.dumps(outcome.summary, indent=2) + "\n")
    for name, stream in (("stdout.txt", sys.stdout), ("stderr.txt", sys.stderr)):
        output = folder / name
        if output.exists():
            stream.write(output.read_text(errors="replace"))
            stream.flush()
    if outcome.problem is not None:
        stderr_log(outcome.problem)
        stderr_log(f"guest console: {folder / 'console.log'}")
        stderr_log(f"btmon capture: {folder / 'btmon.snoop'}")
        stderr_log(f"daemon logs:   {folder}/{{bringup,bluetoothd,btvirt}}.log")
    return outcome
