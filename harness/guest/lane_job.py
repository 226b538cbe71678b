"""The bluez lane's job in one guest: every feature on the bluez target, then the
bleak contract suite on stock bleak, one pytest session after the other.

Both run in each of the lane's guests, so the contract suite costs no boot of its
own and is shared between them like the features (`IQOS_HIL_SHARD` keeps every
Nth test of each session). The guest has three controllers: the features get the
first as their one device controller (a client controller holding links to two
devices crashes Linux 6.1, docs/bluez-lane.md), the contract's second peripheral
needs the second, and the last is the client's.

    python -m harness.guest run --shards 2 --controllers 3 -- \\
        python -m harness.guest.lane_job [PYTEST ARGS FOR THE FEATURES]

Results in the guest's results folder: `junit.xml` and `allure-results/` for the
features, `contract-junit.xml` for the contract suite. The exit code is the
worse of the two sessions'.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import NoReturn

CONTRACT = "tests/radio/test_contract.py"


def features_command(results: str, extra: Sequence[str]) -> list[str]:
    return [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "features",
        "--target", "bluez", "--alluredir", f"{results}/allure-results",
        "--junitxml", f"{results}/junit.xml", *extra,
    ]  # fmt: skip


def contract_command(results: str) -> list[str]:
    return [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", CONTRACT, "-rs",
        "--junitxml", f"{results}/contract-junit.xml",
    ]  # fmt: skip


def refuse(message: str) -> NoReturn:
    """A usage mistake: one line and exit code 2, no traceback."""
    print(f"lane_job: {message}", file=sys.stderr)
    raise SystemExit(2)


def features_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The job's environment with only the first device controller for the features."""
    if "IQOS_GUEST_RESULTS" not in environ:
        refuse(
            "runs in the guest runner's guests: python -m harness.guest run "
            "--shards 2 --controllers 3 -- python -m harness.guest.lane_job (tox -e bluez)"
        )
    devices = [name for name in environ.get("IQOS_BLUEZ_DEVICE_ADAPTERS", "").split(",") if name]
    if len(devices) < 2:
        refuse(
            "the guest needs 3 controllers (--controllers 3): the features' device, the "
            f"contract's second peripheral and the client; it has devices {devices}"
        )
    return {**environ, "IQOS_BLUEZ_DEVICE_ADAPTERS": devices[0]}


def main(argv: Sequence[str]) -> int:
    environment = features_environment(os.environ)
    results = os.environ["IQOS_GUEST_RESULTS"]
    features = subprocess.run(features_command(results, argv), env=environment, check=False)
    contract = subprocess.run(contract_command(results), check=False)
    return max(features.returncode, contract.returncode)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
