"""pytest wiring for the features: the --target and --bench switches, the one event
loop of the session, the target, and a fresh app (client side) per scenario."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The steps' asserts name expected and actual values only if pytest rewrites them,
# and pytest rewrites only test modules unless told: before the steps are imported.
pytest.register_assert_rewrite("scenarios", "harness.app")

TARGETS = ("virtual", "bluez", "hardware")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("iqos-hil")
    group.addoption(
        "--target",
        choices=TARGETS,
        default=os.environ.get("IQOS_HIL_TARGET", "virtual"),
        help="where the devices are: virtual (simulator on a bumble radio, default), "
        "bluez (simulator on bless over BlueZ), hardware (devices listed in --bench)",
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
        "--capture-always",
        action="store_true",
        help="attach the btsnoop capture to every scenario, not only to failed ones",
    )


def pytest_configure(config: pytest.Config) -> None:
    """A bench file is checked before any scenario: one usage error, not one per scenario."""
    if config.getoption("--target") != "hardware":
        return
    bench = config.getoption("--bench")
    if bench is None:
        raise pytest.UsageError("--target hardware needs --bench FILE (see docs/bench.md)")
    from harness.bench import BenchError, load_bench

    try:
        load_bench(bench)
    except (BenchError, ValueError) as error:
        raise pytest.UsageError(str(error)) from None


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


@pytest.fixture(scope="session")
def session_loop() -> Iterator[Any]:
    from harness.loop import SessionLoop

    with SessionLoop() as loop:
        yield loop


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, session_loop: Any) -> Iterator[Any]:
    from harness.targets import build_target

    built = build_target(request.config)
    session_loop.run(built.start(), timeout=600)
    try:
        yield built
    finally:
        session_loop.run(built.stop(), timeout=120)
