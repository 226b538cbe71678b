"""The virtual target: simulated devices on a bumble virtual radio, in this process.

Each scenario gets fresh devices at fresh random static addresses, so no
bond or cached GATT table leaks from one scenario into the next.

With `IQOS_HIL_HCI` set, the virtual radio is another process's instead (`iqos-sim
serve --hci-port`): an `iqos-hil` command runs against the devices served there.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bumble import hci

from harness.bleak_backend import ENVIRONMENT_VARIABLE, BumbleClient, BumbleScanner, use_link
from harness.bleak_backend.radio import ClientRadio
from harness.tags import Ability
from harness.targets.base import DeviceUnderTest, Target, TargetError
from harness.targets.capture_folders import new_capture_folder
from harness.targets.registry import TargetOptions
from harness.targets.simulated import SimulatedTarget
from harness.targets.simulator_hands import SimulatorHands
from iqos.protocol.model import ModelSpec
from simulator.radio.bumble_gatt import BumblePeripheral
from simulator.radio.control_point import SLOW_ANSWER_SECONDS
from simulator.radio.link import VirtualController, VirtualLink
from simulator.radio.reach import VirtualReach
from simulator.radio.snoop import capture

ANSWER_TIMEOUT = 2 * SLOW_ANSWER_SECONDS
"""How long the client waits for an answer here. Simulated devices answer within
milliseconds, so a scenario that waits for a missing answer need not wait the real
client's 10 s to prove the timeout. But a device with the `slow_answers` fault
answers after SLOW_ANSWER_SECONDS on purpose, and that answer must come well inside
the client's patience (half of it), or slow would look the same as no answer."""


def build(options: TargetOptions) -> Target:
    hci_transport = options.environment.get(ENVIRONMENT_VARIABLE)
    return ServedElsewhere(hci_transport) if hci_transport else VirtualTarget()


class VirtualTarget(SimulatedTarget):
    name = "virtual"
    abilities = frozenset(Ability)
    virtual_time = True

    def __init__(self) -> None:
        super().__init__()
        self.link = VirtualLink()
        self.radio: ClientRadio | None = None
        self._peripherals: list[BumblePeripheral] = []
        self._captures: tempfile.TemporaryDirectory[str] | None = None
        self._capture: contextlib.ExitStack | None = None
        self._capture_path: Path | None = None
        self._capture_controller: VirtualController | None = None
        self._scenarios = 0

    async def start(self) -> None:
        await super().start()
        self.radio = use_link(self.link)
        self._captures = new_capture_folder()

    async def stop(self) -> None:
        await self.release()
        use_link(None)
        if self._captures is not None:
            self._captures.cleanup()
            self._captures = None

    async def _start_capture(self) -> None:
        """Everything the client's controller sees in this scenario, as btsnoop."""
        if self._capture is not None or self.radio is None or self._captures is None:
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
        profile = self.profile(model)
        radio = self.link.add_device(model.key)
        address = radio.random_address.to_string(False)
        device = self.new_device(profile, address, pairing_mode=pairing_mode)
        peripheral = BumblePeripheral(device, radio)
        await peripheral.start()
        self._peripherals.append(peripheral)
        return DeviceUnderTest(
            label=device.name,
            model=model,
            address=device.address,
            name=device.name,
            hands=SimulatorHands.in_process(
                device, reach=VirtualReach(self.link, device, lambda: peripheral)
            ),
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

    async def app_holds_bond(self, address: str) -> bool | None:
        """The client radio's key store, where bumble files a bond under the peer's
        address: the key store outlives any one client, as a phone's does."""
        if self.radio is None:
            return None
        return await self.radio.keystore.get(address.upper()) is not None

    def client_options(self) -> dict[str, Any]:
        return {
            "client_backend": BumbleClient,
            "scanner_backend": BumbleScanner,
            "timeout": ANSWER_TIMEOUT,
        }


class ServedElsewhere(Target):
    """The virtual radio of another process, reached over its HCI transport: its
    devices are that process's, to be changed through its control socket."""

    name = "virtual"
    abilities: frozenset[Ability] = frozenset()

    def __init__(self, hci_transport: str) -> None:
        self.hci_transport = hci_transport

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def provide(self, model: ModelSpec, *, pairing_mode: bool = True) -> DeviceUnderTest:
        raise TargetError(
            f"{ENVIRONMENT_VARIABLE}={self.hci_transport} is another process's radio, and a "
            f"scenario needs fresh devices of its own: unset {ENVIRONMENT_VARIABLE}"
        )

    async def release(self) -> None:
        pass

    def client_options(self) -> dict[str, Any]:
        return {"client_backend": BumbleClient, "scanner_backend": BumbleScanner}

    def firmware(self) -> dict[str, str]:
        return {}

    async def ready_for_command(self, model: ModelSpec, faults: Sequence[str]) -> dict[str, Any]:
        """The command runs against whatever the other process serves."""
        if faults:
            raise TargetError(
                f"the devices on {self.hci_transport} are another process's: set their "
                "faults there (iqos-sim inject DEVICE FAULT)"
            )
        return self.client_options()
