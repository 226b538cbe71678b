"""Command line of the guest runner.

    python -m harness.guest run [--timeout S] [--results DIR] -- COMMAND...
    python -m harness.guest smoke

`run` exits with the command's exit code, or 125 when the guest never got to
run it; `smoke` prints PASS or FAIL with timings and exits 0 or 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.guest.host import ProvisionError, stderr_log
from harness.guest.runner import (
    SETUP_FAILED,
    GuestConfig,
    Outcome,
    new_results_dir,
    run_in_guest,
    run_shards,
    vcpus_for,
)


def smoke_report(outcome: Outcome, results: Path) -> tuple[bool, str]:
    """The verdict line and the timing table of a smoke run."""
    report_file = results / "smoke.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    passed = outcome.exit_code == 0 and report.get("verdict") == "PASS"
    host = outcome.summary.get("host_seconds", {})
    rows = [
        ("host preparation", outcome.summary.get("prepare_seconds")),
        ("boot until bluetoothd on D-Bus", host.get("bluetoothd_ready")),
        ("boot until both controllers powered", host.get("adapters_powered")),
        *((f"smoke: {step}", seconds) for step, seconds in report.get("steps", {}).items()),
        ("smoke total (in guest)", report.get("total")),
        ("whole boot, QEMU start to exit", outcome.summary.get("wall_seconds")),
    ]
    lines = [f"  {name:<38} {seconds:8.3f} s" for name, seconds in rows if seconds is not None]
    verdict = "PASS" if passed else "FAIL"
    reason = "" if passed else f": {outcome.problem or 'see ' + str(results / 'stderr.txt')}"
    return passed, "\n".join([f"smoke {verdict}{reason}", *lines, f"  results: {results}"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.guest", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run COMMAND in a guest with BlueZ ready")
    smoke = commands.add_parser("smoke", help="check bless + stock bleak over BlueZ in a guest")
    for sub in (run, smoke):
        sub.add_argument(
            "--results", type=Path, help="results folder (default reports/guest/STAMP)"
        )
        sub.add_argument(
            "--timeout",
            type=float,
            default=GuestConfig.timeout,
            help="overall cap in seconds for the whole boot, job included; a pytest job "
            "that stops finishing scenarios is stopped sooner (docs/bluez-lane.md, Progress)",
        )
        sub.add_argument(
            "--stall-floor",
            type=float,
            default=GuestConfig.stall_floor,
            help="seconds without a finished scenario after which a pytest job is stopped, "
            "at the least (times the guest's slowness; more after slow scenarios)",
        )
        sub.add_argument("--memory", type=int, default=GuestConfig.memory_mb, help="guest MiB")
        sub.add_argument(
            "--cpus",
            type=int,
            help="vCPUs of each guest (default: the host's cores shared among the guests)",
        )
        sub.add_argument(
            "--controllers",
            type=int,
            default=GuestConfig.controllers,
            help="linked LE controllers (2 or more): one per simulated device, then the clients'",
        )
        sub.add_argument(
            "--clients",
            type=int,
            default=GuestConfig.clients,
            help="how many of the controllers are the client's (one per pytest-xdist worker)",
        )
        sub.add_argument(
            "--bluetoothd-debug",
            action="store_true",
            help="bluetoothd -d: its debug log in RESULTS/bluetoothd.log",
        )
    run.add_argument(
        "--shards",
        type=int,
        default=1,
        help="boot N guests side by side, each running COMMAND with IQOS_HIL_SHARD=I/N "
        "and results in RESULTS/shard-I (the feature suite then runs every Nth scenario)",
    )
    run.add_argument("job", nargs="+", metavar="-- COMMAND", help="command and its arguments")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.controllers < args.clients + 1:
        parser.error("--controllers: at least one more than --clients (a device's and a client's)")
    guests = args.shards if args.command == "run" else 1
    if args.cpus is not None and args.cpus < 1:
        parser.error("--cpus: at least 1")
    config = GuestConfig(
        memory_mb=args.memory,
        cpus=args.cpus if args.cpus is not None else vcpus_for(guests),
        timeout=args.timeout,
        stall_floor=args.stall_floor,
        controllers=args.controllers,
        clients=args.clients,
        bluetoothd_debug=args.bluetoothd_debug,
    )
    try:
        if args.command == "run" and args.shards > 1:
            return run_shards(args.job, config, args.results, args.shards)
        if args.command == "run":
            return run_in_guest(args.job, config, args.results).exit_code
        folder = args.results.resolve() if args.results is not None else new_results_dir()
        outcome = run_in_guest([config.python, "-m", "harness.guest.smoke"], config, folder)
    except ProvisionError as error:
        stderr_log(str(error))
        return SETUP_FAILED
    passed, report = smoke_report(outcome, folder)
    print(report, flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
