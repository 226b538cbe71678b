"""How much slower than usual this guest runs, measured once at bring-up.

Under TCG every instruction of the guest is translated on the host's CPU, so a
host busy with other work slows the guest as a whole: the lane's deadlines
(the client's answer timeout, a step's patience, pytest-timeout's limit per
scenario, the host's no-progress deadline) were tuned on a quiet host and
would fail a slow guest's scenarios instead of waiting for them. The bring-up
daemon times a fixed piece of pure Python once the controllers are powered (the
guest is idle then), divides it by what a quiet guest on this machine takes,
and passes the quotient to the job as `IQOS_HIL_GUEST_SLOWNESS`; everything that
waits in the guest multiplies its deadline by it. Never below 1: a faster host
keeps the tuned deadlines, which are the floor the lane was proven with.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

SLOWNESS = "IQOS_HIL_GUEST_SLOWNESS"
#: The best of `ROUNDS` runs of `workload`, in a guest on this 2-core machine: first
#: measured with the host shared (load average 4.3), then confirmed by 14 guests'
#: bring-ups with the host quiet, 0.077 to 0.088 s, median 0.079
#: (docs/bluez-lane.md, "Adaptive deadlines").
REFERENCE_SECONDS = 0.08
ROUNDS = 5
#: Past this the guest is not slow but stuck, and waiting longer would only hide it.
MOST = 4.0


def workload() -> int:
    """Interpreter work (bytecode, integers, no I/O): about 5 ms on this machine's
    host Python, and 16 times that in a guest, where integer arithmetic suffers
    more under TCG than the lane's mix (3.7 times): only its ratio to the same
    work in a quiet guest counts."""
    total = 0
    for number in range(100_000):
        total += number * number % 7
    return total


def calibrate(rounds: int = ROUNDS) -> float:
    """Seconds of the best of `rounds` runs: the best run is the one least hit by a
    passing burst of other work, so a steadily busy host is what raises it."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        workload()
        best = min(best, time.perf_counter() - began)
    return best


def slowness_of(measured: float, reference: float = REFERENCE_SECONDS) -> float:
    """The factor the guest's deadlines are multiplied by: measured over reference,
    between 1 and `MOST`, to two decimals."""
    return round(min(MOST, max(1.0, measured / reference)), 2)


def slowness_from(environ: Mapping[str, str]) -> float:
    """The job's factor from its environment; 1 outside a guest. ValueError, with the
    variable's name, for a value that is not a number of at least 1."""
    text = environ.get(SLOWNESS)
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{SLOWNESS}={text!r}: expected a number such as 1.5") from None
    if not 1.0 <= value <= MOST:
        raise ValueError(f"{SLOWNESS}={text!r}: expected a number from 1 to {MOST:g}")
    return value


def main() -> None:
    """`python -m harness.guest run --cpus 1 -- .venv/bin/python -m harness.guest.speed`:
    the calibration as the bring-up runs it, 20 times over 10 s, to set the reference."""
    measured = []
    for _ in range(20):
        measured.append(calibrate())
        time.sleep(0.5)
    print(
        f"best {min(measured):.4f} s, median {sorted(measured)[10]:.4f} s of the best of {ROUNDS}; "
        f"reference {REFERENCE_SECONDS} s, slowness now {slowness_of(min(measured)):g}"
    )


if __name__ == "__main__":
    main()
