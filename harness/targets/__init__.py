"""Targets behind one interface, chosen by `--target`."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.operator import Operator, PromptOperator, load_operator
from harness.targets.base import Target, TargetError


def _operator(config: pytest.Config) -> Operator:
    script: Path | None = config.getoption("--operator")
    if script is not None:
        return load_operator(script)
    capture = config.pluginmanager.getplugin("capturemanager")
    return PromptOperator(suspend_capture=capture.global_and_fixture_disabled)


def build_target(config: pytest.Config) -> Target:
    name = config.getoption("--target")
    if name == "virtual":
        from harness.targets.virtual import VirtualTarget

        return VirtualTarget()
    if name == "hardware":
        from harness.bench import load_bench
        from harness.targets.hardware import HardwareTarget

        return HardwareTarget(load_bench(config.getoption("--bench")), _operator(config))
    if name == "bluez":
        from harness.targets.bluez import BluezTarget

        return BluezTarget.from_environment()
    raise TargetError(f"unknown target {name!r}: virtual, bluez or hardware")
