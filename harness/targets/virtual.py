"""The virtual target: simulated devices on a bumble virtual radio, in this process.

Each scenario gets fresh devices at fresh random static addresses, so no
bond or cached GATT table leaks from one scenario into the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path
from typing import Any

from bumble import hci

from harness.bleak_backend import BumbleClient, BumbleScanner, use_link
from harness.bleak_backend.radio import ClientRadio
from harness.tags import Ability
from harness.targets.base import DeviceUnderTest, Target, TargetError
from harness.targets.simulator_hands import SimulatorHands
from iqos.protocol.model import ModelSpec
from simulator.clock import SimulatedClock
from simulator.device import SimulatedDevice
from simulator.profile import DeviceProfile, load_profiles
from simulator.radio.bumble_gatt import BumblePeripheral
from simulator.radio.control_point import SLOW_ANSWER_SECONDS
from simulator.radio.link import VirtualController, VirtualLink
from simulator.radio.snoop import capture

ANSWER_TIMEOUT = 2 * SLOW_ANSWER_SECONDS
"""How long the client waits for an answer here. Simulated devices answer within
milliseconds, so a scenario that waits for a missing answer need not wait the real
client's 10 s to prove the timeout. But a device with the `slow_answers` fault
answers after SLOW_ANSWER_SECONDS on purpose, and that answer must come well inside
the client's patience (half of it), or slow would look the same as no answer."""


class VirtualTarget(Target):
    name = "virtual"
    abilities = frozenset(Ability)

    def __init__(self) -> None:
        self.link = VirtualLink()
        self.profiles: dict[str, DeviceProfile] = {}
        self.radio: ClientRadio | None = None
        self._peripherals: list[BumblePeripheral] = []
        self._captures = tempfile.TemporaryDirectory(prefix="iqos-hil-btsnoop-")
        self._capture: contextlib.ExitStack | None = None
        self._capture_path: Path | None = None
        self._capture_controller: VirtualController | None = None
        self._scenarios = 0

    async def start(self) -> None:
        self.profiles = load_profiles()
        self.radio = use_link(self.link)

    async def stop(self) -> None:
        await self.release()
        use_link(None)
        self._captures.cleanup()

    async def _start_capture(self) -> None:
        """Everything the client's controller sees in this scenario, as btsnoop."""
        if self._capture is not None or self.radio is None:
            return
        self._scenarios += 1
        controller = self.link.controller_of(await self.radio.central())
        self._capture_controller = controller
        self._capture = contextlib.ExitStack()
        self._capture_path = self._capture.enter_context(
            capture(controller, Path(self._captures.name) / f"scenario-{self._scenarios}.btsnoop")
        )

    async def capture(self) -> bytes | None:
        controller, path = self._capture_controller, self._capture_path
        if controller is None or controller.snooper is None or path is None:
            return None
        controller.snooper.output.flush()  # type: ignore[attr-defined]
        return await asyncio.to_thread(path.read_bytes)

    async def provide(self, model: ModelSpec, *, pairing_mode: bool = True) -> DeviceUnderTest:
        await self._start_capture()
        profile = self.profiles.get(model.key)
        if profile is None:
            raise TargetError(f"no device profile for {model.display_name}")
        radio = self.link.add_device(model.key)
        device = SimulatedDevice(profile, SimulatedClock(), radio.random_address.to_string(False))
        if not pairing_mode:
            device.leave_pairing_mode()
        peripheral = BumblePeripheral(device, radio)
        await peripheral.start()
        self._peripherals.append(peripheral)
        return DeviceUnderTest(
            label=device.name,
            model=model,
            address=device.address,
            name=device.name,
            hands=SimulatorHands(device),
        )

    async def release(self) -> None:
        for peripheral in self._peripherals:
            await peripheral.stop()
            self.link.remove_device(peripheral.radio)
        self._peripherals.clear()
        if self._capture is not None:
            self._capture.close()
            self._capture = None
        if self.radio is not None:
            with contextlib.suppress(hci.HCI_Error):
                await self.radio.keystore.delete_all()

    def client_options(self) -> dict[str, Any]:
        return {
            "client_backend": BumbleClient,
            "scanner_backend": BumbleScanner,
            "timeout": ANSWER_TIMEOUT,
        }
