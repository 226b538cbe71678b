"""What the targets whose devices the simulator makes have in common: the device
profiles they make them from."""

from __future__ import annotations

from abc import ABC

from harness.targets.base import Target, TargetError
from iqos.protocol.model import ModelSpec
from simulator.clock import SimulatedClock
from simulator.device import SimulatedDevice
from simulator.profile import DeviceProfile, load_profiles


class SimulatedTarget(Target, ABC):
    def __init__(self) -> None:
        self.profiles: dict[str, DeviceProfile] = {}

    async def start(self) -> None:
        self.profiles = load_profiles()

    def profile(self, model: ModelSpec) -> DeviceProfile:
        """Asked before any radio is taken for the device, so a refusal leaves none behind."""
        profile = self.profiles.get(model.key)
        if profile is None:
            raise TargetError(f"no device profile for {model.display_name}")
        return profile

    @staticmethod
    def new_device(profile: DeviceProfile, address: str, *, pairing_mode: bool) -> SimulatedDevice:
        """A fresh device, as out of the box or already bonded elsewhere."""
        device = SimulatedDevice(profile, SimulatedClock(), address)
        if not pairing_mode:
            device.leave_pairing_mode()
        return device

    def firmware(self) -> dict[str, str]:
        """Read from the profiles themselves when not started yet: the run record is
        written once collection ends, before the first scenario starts the target."""
        return {
            profile.spec.display_name: "firmware {} (simulated)".format(
                ".".join(str(part) for part in profile.firmware)
            )
            for profile in (self.profiles or load_profiles()).values()
        }
