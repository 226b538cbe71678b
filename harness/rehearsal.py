"""Rehearse the hardware target on BlueZ, with simulated devices as the bench.

    python -m harness.rehearsal [--results DIR] [-- PYTEST ARGUMENTS]

Runs where the bluez target runs (in the QEMU guests: `tox -e rehearsal`, two
side by side, each with its share of the scenarios through `IQOS_HIL_SHARD`).
`iqos-sim serve --radio bluez` serves one device per device adapter (one of
each model, as far as the adapters go); a bench file lists them by their
addresses, with the client's adapter; the operator is bound to the simulator,
so "remove the holder" removes it. Then the features run with `--target
hardware`: the bench file, bench safety, the operator and stock bleak on the
bench adapter, which is the path a real bench takes, end to end.

Writes the bench file, the operator script, the simulator's log, `junit.xml`
and `allure-results/` to DIR (by default the guest's results folder,
`$IQOS_GUEST_RESULTS`), and exits with pytest's exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from harness.guest.speed import slowness_from
from harness.targets.bluez import SCAN_WINDOW
from simulator.control import request

MODELS = ("iqos-3-duo", "iqos-2.4-plus", "iqos-3-multi")
SERVE_TIMEOUT = 120.0
"""Seconds for iqos-sim to import and register its devices; Python is slow under TCG."""
#: What this bench cannot do, and why (docs/bluez-lane.md).
CANNOT = {
    "stale_bond_recovery": "re-pairing over a bond one side forgot crashes Linux 6.1's Bluetooth",
    "several_devices": "links from one controller to two devices crash Linux 6.1's Bluetooth",
    "notification_scenarios": "bluetoothd 5.66 in the rehearsal guest exits in the scenarios "
    "that check what the app is told (3 of 3 runs, cause not found yet)",
    "out_of_range": "the served devices share one emulated radio in the guest, and nothing "
    "takes one out of the others' range",
}


class RehearsalError(RuntimeError):
    """The simulated bench could not be set up; the message says which part."""


def bench_file(
    devices: list[dict[str, Any]], client_adapter: str, slowness: float = 1.0
) -> dict[str, Any]:
    """The bench file for the served devices: named as the simulator names them. Its
    scans start again as the bluez target's do: the guest's controllers are btvirt's."""
    return {
        "adapter": client_adapter,
        "scan_window": SCAN_WINDOW * slowness,
        "cannot": dict(CANNOT),
        "devices": [
            {"name": device["name"], "model": device["model_key"], "address": device["address"]}
            for device in devices
        ],
    }


async def serve(
    adapters: list[str], socket: Path, log: Path
) -> tuple[asyncio.subprocess.Process, list[dict[str, Any]]]:
    """Start iqos-sim on the adapters; return it once its control socket answers."""
    choices = [f"{adapter}={model}" for adapter, model in zip(adapters, MODELS, strict=False)]
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "simulator.cli", "--socket", str(socket), "serve",
            "--radio", "bluez", *(f"--adapter={choice}" for choice in choices),
            stdout=asyncio.subprocess.PIPE, stderr=sink,
        )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(SERVE_TIMEOUT):
            while not lines or not lines[-1].startswith("control socket:"):
                line = await process.stdout.readline()
                if not line:
                    raise RehearsalError(f"iqos-sim exited ({log}): {' | '.join(lines)}")
                lines.append(line.decode().strip())
    except TimeoutError:
        process.kill()
        raise RehearsalError(f"iqos-sim did not serve within {SERVE_TIMEOUT:.0f} s") from None
    await asyncio.to_thread(log.with_suffix(".stdout").write_text, "\n".join(lines) + "\n")
    devices = await request(socket, {"op": "devices"})
    return process, devices


async def rehearse(results: Path, pytest_arguments: list[str]) -> int:
    adapters = [a for a in os.environ.get("IQOS_BLUEZ_DEVICE_ADAPTERS", "").split(",") if a]
    client = os.environ.get("IQOS_BLUEZ_CLIENT_ADAPTER", "")
    if not adapters or not client:
        raise RehearsalError(
            "needs IQOS_BLUEZ_DEVICE_ADAPTERS and IQOS_BLUEZ_CLIENT_ADAPTER: run it in the "
            "guest (tox -e rehearsal)"
        )
    socket = Path("/tmp") / "iqos-rehearsal.sock"
    process, devices = await serve(adapters, socket, results / "iqos-sim.log")
    try:
        bench = results / "bench.yaml"
        await asyncio.to_thread(
            bench.write_text,
            yaml.safe_dump(bench_file(devices, client, slowness_from(os.environ)), sort_keys=False),
        )
        operator = results / "operator.yaml"
        await asyncio.to_thread(operator.write_text, yaml.safe_dump({"simulator": str(socket)}))
        pytest = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "features",
            "--target", "hardware", "--bench", str(bench), "--operator", str(operator),
            "--junitxml", str(results / "junit.xml"),
            "--alluredir", str(results / "allure-results"), *pytest_arguments,
        )  # fmt: skip
        return await pytest.wait()
    finally:
        process.terminate()
        await process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.rehearsal", description=__doc__)
    parser.add_argument(
        "--results", type=Path, help="folder for the bench's files (default $IQOS_GUEST_RESULTS)"
    )
    parser.add_argument("pytest_arguments", nargs="*", metavar="-- PYTEST ARGUMENTS")
    args = parser.parse_args(argv)
    if args.results is None:
        if "IQOS_GUEST_RESULTS" not in os.environ:
            parser.error("--results DIR is needed outside the guest runner (tox -e rehearsal)")
        args.results = Path(os.environ["IQOS_GUEST_RESULTS"])
    args.results.mkdir(parents=True, exist_ok=True)
    try:
        return asyncio.run(rehearse(args.results, args.pytest_arguments))
    except RehearsalError as error:
        print(f"rehearsal: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
