"""pytest wiring for the features: the --target, --bench, --operator and --real-time
switches and the shards (features/conftest.py builds the target and the session's loop)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.targets.registry import described, names

# The steps' asserts name expected and actual values only if pytest rewrites them,
# and pytest rewrites only test modules unless told: before the steps are imported.
pytest.register_assert_rewrite("scenarios", "harness.app")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("iqos-hil")
    group.addoption(
        "--target",
        choices=names(),
        default=os.environ.get("IQOS_HIL_TARGET", "virtual"),
        help=f"where the devices are. {described()}",
    )
    group.addoption(
        "--bench",
        type=Path,
        default=None,
        help="bench file (YAML) naming the devices and adapter of the hardware target",
    )
    group.addoption(
        "--operator",
        type=Path,
        default=None,
        help="operator script (YAML) answering the physical actions on the hardware target; "
        "without it a person is asked at the terminal",
    )
    group.addoption(
        "--real-time",
        action="store_true",
        help="wait out a step's idle time in real time even where the target would let it "
        "pass in virtual time: to compare, or to watch a scenario at its real pace",
    )
    group.addoption(
        "--capture-always",
        action="store_true",
        help="attach the btsnoop capture to every scenario, not only to failed ones",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`IQOS_HIL_SHARD=I/N` (set by `python -m harness.guest run --shards N`) keeps every
    Nth item from the Ith: guests running shards side by side share the work."""
    shard = os.environ.get("IQOS_HIL_SHARD")
    if not shard:
        return
    try:
        index, count = (int(part) for part in shard.split("/"))
    except ValueError:
        raise pytest.UsageError(f"IQOS_HIL_SHARD={shard!r}: expected I/N, e.g. 0/2") from None
    if not 0 <= index < count:
        raise pytest.UsageError(f"IQOS_HIL_SHARD={shard!r}: I must be in 0..N-1")
    kept = [item for number, item in enumerate(items) if number % count == index]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept
