"""What every target gives a scenario: devices to test, and hands to act on them.

The steps never ask which target they run on. A target provides a
`DeviceUnderTest` for a model; what a person would do to that device
("remove the holder") goes through its `hands`, which are the simulator's
control API on simulated targets and an operator on the bench. Real and
simulated are two implementations of one interface, chosen by `--target`,
never an `if simulated:` inside a step. `harness.targets.registry` names them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.tags import Ability
from iqos.protocol.model import ModelSpec


class TargetError(RuntimeError):
    """The target cannot give what was asked (no such device, bench broken)."""


class ActionRefused(TargetError):
    """The device refused what a step asked, in the state the scenario left it: the
    scenario needs an earlier step, which is the author's to fix, not a defect."""


class BenchBroken(TargetError):
    """A failed transition left the bench unusable: the rest fail fast with this reason."""


class Hands(ABC):
    """Physical actions and fault injection on one device."""

    @abstractmethod
    async def act(self, action: str, **parameters: Any) -> None:
        """Do one of harness.operator.ACTIONS to the device."""

    @abstractmethod
    async def inject(self, fault: str, **parameters: Any) -> None: ...

    @abstractmethod
    async def clear(self, fault: str) -> None: ...

    @abstractmethod
    async def set_battery(self, part: str, level: int) -> None:
        """Bring the charger's or the holder's battery to `level` percent."""

    @abstractmethod
    async def pass_time(self, seconds: float) -> None: ...

    @abstractmethod
    async def observe(self, what: str) -> bool:
        """Something only eyes can tell on a bench ("vibrating"); the simulator knows it."""

    @abstractmethod
    async def snapshot(self) -> dict[str, Any] | None:
        """The device's own view of its state, when the target can see it (None on a bench)."""


@dataclass
class DeviceUnderTest:
    label: str
    """How reports name the device: its bench name, or its simulated name."""
    model: ModelSpec
    address: str
    name: str
    """The local name it advertises."""
    hands: Hands
    extra: dict[str, Any] = field(default_factory=dict)


class Target(ABC):
    name: str
    abilities: frozenset[Ability]
    limits: dict[str, str] = {}  # noqa: RUF012  # read-only default
    """Why the target lacks an ability, where there is more to say than its absence."""
    patience: float = 60.0
    """Seconds a scenario waits for `provide`: a farm's target may first wait for a place
    that somebody else holds."""
    slowness: float = 1.0
    """How much slower than a quiet host the target's radio stack runs (a guest under
    emulation measures it, `harness.guest.speed`); the app's scans last that much longer."""
    virtual_time: bool = False
    """Whether everything a scenario waits for (devices, radio, client) is a coroutine on
    this process's session loop, so that its idle waits may pass in virtual time
    (harness.virtual_time). Never where a device, a controller or a person is real time
    away: another process, a kernel, the air or a bench."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def provide(self, model: ModelSpec, *, pairing_mode: bool = True) -> DeviceUnderTest:
        """A device of `model` for this scenario, in pairing mode or already bonded elsewhere."""

    @abstractmethod
    async def release(self) -> None:
        """End of scenario: forget this scenario's devices and bonds."""

    @abstractmethod
    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for IqosClient and discovery (backend, adapter, allowed addresses)."""

    @abstractmethod
    def firmware(self) -> dict[str, str]:
        """Model display name -> its firmware, as far as the target knows it: the
        report's front page says what the run was against."""

    async def ready_for_command(self, model: ModelSpec, faults: Sequence[str]) -> dict[str, Any]:
        """The client options for one `iqos-hil` command on a device of `model` with
        `faults` set. A target with no devices of its own until asked starts one;
        a bench, whose devices are there already, overrides this."""
        device = await self.provide(model)
        for fault in faults:
            await device.hands.inject(fault)
        return self.client_options()

    def offers(self, model: ModelSpec) -> bool:
        """Whether the target has devices of this model at all (a bench may not)."""
        return True

    async def capture(self) -> bytes | None:
        """The btsnoop capture of this scenario's radio traffic, where the target has one."""
        return None

    async def app_holds_bond(self, address: str) -> bool | None:
        """Whether the app's side keeps a bond (keys) for the device at `address`, read
        from its key store without touching the link; None where the target cannot
        look into it."""
        return None

    def missing_abilities(self, wanted: set[str]) -> set[str]:
        return {name for name in wanted if name in Ability.__members__.values()} - {
            ability.value for ability in self.abilities
        }
