"""Every target by name: the one list that pytest's `--target`, `iqos-hil --target`
and the docs read.

Like labgrid's `@target_factory.reg_driver`, a name maps to a factory. Here the
line names the factory's module instead of importing it: pytest and `iqos-hil`
list the names at every start, and a target's module brings its radio stack
(bumble, bless, D-Bus), which only the chosen one should cost. A new target is
one module with a factory and one line below (docs/design-notes.md, "Adding a
target").
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from harness.targets.base import Target, TargetError


@dataclass(frozen=True)
class TargetOptions:
    """What a factory may build its target from: plain values, whether pytest's
    options gave them or `iqos-hil`'s, so that no target knows which."""

    bench: Path | None = None
    """A bench file, for a target with physical devices."""
    operator: Path | None = None
    """An operator script; without one a person is asked at the terminal."""
    environment: Mapping[str, str] = field(default_factory=lambda: os.environ)
    """Where the guest and CI name adapters and transports (`IQOS_BLUEZ_*`, `IQOS_HIL_HCI`)."""
    suspend_capture: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext
    """Lifts the test runner's output capture while a person is asked something."""


TargetFactory = Callable[[TargetOptions], Target]
"""Builds a target without starting it, or refuses its options with TargetError
(or ValueError, as the bench and profile loaders raise it), in one line."""


@dataclass(frozen=True)
class Registration:
    name: str
    factory: str
    """`module:function`, imported only when this target is built."""
    summary: str
    """One line for `--help` and the docs: where the devices are."""

    def build(self, options: TargetOptions) -> Target:
        module, _, function = self.factory.partition(":")
        factory: TargetFactory = getattr(importlib.import_module(module), function)
        return factory(options)


REGISTRY: dict[str, Registration] = {
    registration.name: registration
    for registration in (
        Registration(
            "virtual",
            "harness.targets.virtual:build",
            "simulated devices on a bumble virtual radio in this process, fresh for each "
            "scenario, a step's idle waits in virtual time (the default)",
        ),
        Registration(
            "bluez",
            "harness.targets.bluez:build",
            "simulated devices served by bless over BlueZ, one controller each "
            "(IQOS_BLUEZ_DEVICE_ADAPTERS, IQOS_BLUEZ_CLIENT_ADAPTER)",
        ),
        Registration(
            "hardware",
            "harness.targets.hardware:build",
            "physical devices listed in a bench file (--bench), an operator for what "
            "software cannot do",
        ),
        Registration(
            "labgrid",
            "harness.targets.labgrid:build",
            "devices on the places of a labgrid bench farm, reserved by model "
            "(LG_COORDINATOR, IQOS_HIL_PLACE_TAGS)",
        ),
    )
}


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def build(name: str, options: TargetOptions) -> Target:
    registration = REGISTRY.get(name)
    if registration is None:
        raise TargetError(f"unknown target {name!r}; targets: {', '.join(REGISTRY)}")
    return registration.build(options)


def described() -> str:
    """The targets and where each keeps its devices, for `--help`."""
    return "; ".join(f"{r.name}: {r.summary}" for r in REGISTRY.values())
