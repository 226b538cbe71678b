"""`iqos-hil`: device commands on any registered target, and the scenario writer's tools.

The device commands live in `iqos.cli`; this wraps them with target selection
(a simulated device on `virtual` and `bluez`, the bench on `hardware`), which
the client stack itself must not know about. The targets are the registry's,
and each decides what a command needs of it (`Target.ready_for_command`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import NoReturn

from bleak.exc import BleakError

from harness.targets.base import Target, TargetError
from harness.targets.registry import TargetOptions, build, described, names
from iqos.cli import add_device_arguments, execute, exit_code
from iqos.errors import IqosError
from iqos.models import model_named
from iqos.protocol.model import ModelSpec

NO_RADIO = 10
"""Exit code: the machine has no Bluetooth stack the target can use."""


class _OneLineParser(argparse.ArgumentParser):
    """Bad arguments give one line on standard error and exit 2 (docs/cli.md), not
    argparse's usage block: a script's log shows what was wrong at a glance."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def _model(text: str) -> ModelSpec:
    try:
        return model_named(text)
    except KeyError as unknown:
        raise argparse.ArgumentTypeError(str(unknown.args[0])) from None
    except ValueError as unreadable:
        raise argparse.ArgumentTypeError(str(unreadable)) from None


def _check_faults(args: argparse.Namespace) -> None:
    """A fault the model cannot have is refused before any target starts, with the
    faults it can have."""
    from simulator.control import check_faults
    from simulator.profile import find_profile

    check_faults(find_profile(args.model.key), args.fault)


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="iqos-hil",
        description="Drive IQOS devices (simulated or on a bench). "
        "Also: `iqos-hil steps` (step catalog) and `iqos-hil lint FEATURES` (feature lint).",
    )
    parser.add_argument(
        "--target", choices=names(), default="virtual", help=f"where the device is. {described()}"
    )
    parser.add_argument("--bench", type=Path, help="bench file (hardware target)")
    parser.add_argument(
        "--model",
        type=_model,
        default="IQOS 3 DUO",
        help="simulated targets: the model of the device to start (default IQOS 3 DUO)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        help="simulated targets: a fault to start the device with",
    )
    add_device_arguments(parser)
    return parser


async def _run(target: Target, args: argparse.Namespace) -> int:
    await target.start()
    try:
        return await execute(args, await target.ready_for_command(args.model, args.fault))
    finally:
        await target.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("steps", "lint"):
        # The scenario writer's tools read the step library (pytest-bdd); the device
        # commands must not need it.
        from harness.scenario_tools import lint_command, steps_command

        try:
            return (steps_command if argv[0] == "steps" else lint_command)(argv[1:])
        except BrokenPipeError:
            # `iqos-hil steps | head`: the reader has what it wanted.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    parser = _parser()
    args = parser.parse_args(argv)
    if args.fault:
        try:
            _check_faults(args)
        except ValueError as error:
            parser.error(f"argument --fault: {error}")
    try:
        target = build(args.target, TargetOptions(bench=args.bench))
        return asyncio.run(_run(target, args))
    except TargetError as error:  # the target cannot run here, or not this command
        print(f"iqos-hil: {error}", file=sys.stderr)
        return 2
    except IqosError as error:
        print(f"iqos-hil: {error.reason}: {error}", file=sys.stderr)
        return exit_code(error)
    except ValueError as error:
        print(f"iqos-hil: {error}", file=sys.stderr)
        return 2
    except (OSError, BleakError) as error:
        print(
            f"iqos-hil: no Bluetooth stack to use: {error or type(error).__name__} "
            "(a target on a real radio needs bluetoothd and an adapter)",
            file=sys.stderr,
        )
        return NO_RADIO


if __name__ == "__main__":
    sys.exit(main())
