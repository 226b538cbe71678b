"""The labgrid target: devices on the places of a bench farm that labgrid coordinates.

Each pytest worker is a labgrid user of its own. The first scenario about a
model reserves a place tagged with that model (and with `IQOS_HIL_PLACE_TAGS`),
waits while every such place is busy, acquires it and keeps it for the rest of
its scenarios; the worker gives it back at the end, and a guard process gives it
back if the worker dies (harness.farm.guard). The app reaches the device through
the place's own adapter, served over HCI on TCP by the exporter's host, with
the harness' bleak backend, and may connect to no address but its places'. As
on a bench, a device keeps its state between scenarios: the operator prepares
it, the app forgets it, then it goes into pairing mode. The button is pressed
through the place's wiring where it has one, by the operator otherwise.

    LG_COORDINATOR=HOST:PORT      labgrid's coordinator (default 127.0.0.1:20408)
    IQOS_HIL_PLACE_TAGS="location=lab-2 firmware=1.4.2"   tags every place must carry
    IQOS_HIL_PLACE_WAIT=600       seconds to wait for a free place
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bleak import BleakClient
from bleak.exc import BleakError

from harness.bleak_backend import ENVIRONMENT_VARIABLE, BumbleClient, BumbleScanner
from harness.bleak_backend.radio import current
from harness.operator import Operator, PromptOperator, load_operator
from harness.tags import Ability
from harness.targets.base import BenchBroken, DeviceUnderTest, Target, TargetError
from harness.targets.hardware import OperatedTarget, OperatorHands
from harness.targets.registry import TargetOptions
from iqos.discovery import find_by_address
from iqos.models import load_models
from iqos.protocol.model import ModelSpec

if TYPE_CHECKING:  # labgrid is an extra: imported once the target starts
    from harness.farm.places import HeldPlace, Places

COORDINATOR = "LG_COORDINATOR"
PLACE_TAGS = "IQOS_HIL_PLACE_TAGS"
PLACE_WAIT = "IQOS_HIL_PLACE_WAIT"
DEFAULT_COORDINATOR = "127.0.0.1:20408"
DEFAULT_WAIT = 600.0
FORGET_SCAN_SECONDS = 10.0


def build(options: TargetOptions) -> LabgridTarget:
    """The farm is named by labgrid's own variable and the harness' two; the operator
    script, if any, answers for the person at the bench, as on `hardware`."""
    if importlib.util.find_spec("labgrid") is None:
        raise TargetError(
            "the labgrid target needs labgrid: pip install -e '.[labgrid]', or run "
            "python3 run.py labgrid (docs/bench-farm.md)"
        )
    environment = options.environment
    try:
        wait = float(environment.get(PLACE_WAIT, DEFAULT_WAIT))
    except ValueError:
        raise TargetError(f"{PLACE_WAIT} must be a number of seconds") from None
    operator = (
        load_operator(options.operator)
        if options.operator is not None
        else PromptOperator(suspend_capture=options.suspend_capture)
    )
    return LabgridTarget(
        environment.get(COORDINATOR, DEFAULT_COORDINATOR),
        place_tags(environment.get(PLACE_TAGS, "")),
        wait,
        operator,
        environment,
    )


def place_tags(text: str) -> dict[str, str]:
    """`key=value` pairs, apart by spaces or commas; the model tag is the target's."""
    tags = {}
    for pair in text.replace(",", " ").split():
        key, equals, value = pair.partition("=")
        if not equals or not key or not value:
            raise TargetError(f"{PLACE_TAGS}: {pair!r} is not key=value")
        if key == "model":
            raise TargetError(f"{PLACE_TAGS}: the model tag comes from each scenario")
        tags[key] = value
    return tags


class PlaceHands(OperatorHands):
    """The operator's hands, but the place's own button where the place wires one."""

    def __init__(self, target: LabgridTarget, place: HeldPlace) -> None:
        super().__init__(target.name, target.ask, target.operator, place.label)
        self.button = place.wiring.button
        self.place = place.name

    async def act(self, action: str, **parameters: Any) -> None:
        if action != "hold_button" or self.button is None:
            await super().act(action, **parameters)
            return
        try:
            await asyncio.to_thread(self.button.press_for, float(parameters["seconds"]))
        except Exception as error:  # labgrid's drivers raise what their hardware raised
            raise BenchBroken(f"bench broken: the button of place {self.place}: {error}") from None


class LabgridTarget(OperatedTarget):
    name = "labgrid"
    abilities = frozenset(
        {
            Ability.PHYSICAL_ACTIONS,
            Ability.STALE_BOND_RECOVERY,
            Ability.NOTIFICATION_SCENARIOS,
            Ability.OUT_OF_RANGE,
        }
    )
    limits = {  # noqa: RUF012  # read-only
        Ability.SEVERAL_DEVICES.value: "a place holds one device behind an adapter of its "
        "own, and the app's radio is on one adapter at a time",
    }

    def __init__(
        self,
        coordinator: str,
        tags: dict[str, str],
        wait: float,
        operator: Operator,
        environment: Mapping[str, str],
    ) -> None:
        super().__init__(operator)
        self.coordinator = coordinator
        self.tags = tags
        self.wait = wait
        self.environment = environment
        self.patience = wait + Target.patience
        self.places: Places | None = None
        self._in_use: set[str] = set()
        self._transport_before = os.environ.get(ENVIRONMENT_VARIABLE)

    async def start(self) -> None:
        from harness.farm.places import FarmError, Places, identity

        host, user = identity(self.environment)
        places = Places(self.coordinator, host, user, self.wait)
        try:
            await places.open()
        except FarmError as error:
            raise TargetError(f"the labgrid target: {error}") from None
        self.places = places

    async def stop(self) -> None:
        if self.places is not None:
            await self.places.close()
            self.places = None
        if self._transport_before is None:
            os.environ.pop(ENVIRONMENT_VARIABLE, None)
        else:
            os.environ[ENVIRONMENT_VARIABLE] = self._transport_before

    def _tags(self, model: ModelSpec) -> dict[str, str]:
        return {"model": model.key, **self.tags}

    def offers(self, model: ModelSpec) -> bool:
        return self.places is None or self.places.offers(self._tags(model))

    async def _place(self, model: ModelSpec) -> HeldPlace:
        """The place of this model that the worker holds, or a new one, powered on."""
        from harness.farm.places import FarmError

        places = self._places()
        held = next((p for p in places.held if p.tags.get("model") == model.key), None)
        if held is not None:
            return held
        tags = self._tags(model)
        if not places.offers(tags):
            wanted = " ".join(f"{key}={value}" for key, value in tags.items())
            raise TargetError(f"the labgrid farm has no place with {wanted}")
        try:
            return await places.take(tags)
        except FarmError as error:
            raise TargetError(str(error)) from None
        except Exception as error:  # labgrid's strategy and drivers: the place is broken
            self.broken = f"bench broken: a place for {model.display_name}: {error}"
            raise BenchBroken(self.broken) from None

    async def _reach(self, place: HeldPlace) -> str:
        """Point the app's radio at the place's adapter. The bumble backend reads the
        transport from the environment (a departure, docs/design-notes.md)."""
        transport: str = await asyncio.to_thread(place.wiring.adapter.transport)
        os.environ[ENVIRONMENT_VARIABLE] = transport
        return transport

    async def provide(self, model: ModelSpec, *, pairing_mode: bool = True) -> DeviceUnderTest:
        if self.broken:
            raise BenchBroken(self.broken)
        place = await self._place(model)
        if place.name in self._in_use:
            raise TargetError(f"the labgrid target holds one {model.display_name} at a time")
        self._in_use.add(place.name)
        transport = await self._reach(place)
        hands = PlaceHands(self, place)
        # A bench device keeps its state between scenarios; a simulated one starts
        # fresh. So it is prepared (charged, reset: no bond), and the app forgets it.
        await hands.act("prepare")
        await self._forget(place)
        await hands.act("enter_pairing_mode" if pairing_mode else "leave_pairing_mode")
        return DeviceUnderTest(
            place.label,
            model,
            place.address,
            place.label,
            hands,
            extra={"place": place.name, "exporter": place.exporter, "adapter": transport},
        )

    async def _forget(self, place: HeldPlace) -> None:
        """The app drops its bond with the device, and the device shows it is there."""
        found = await find_by_address(
            place.address, FORGET_SCAN_SECONDS, scanner_backend=BumbleScanner
        )
        if found is None:
            raise BenchBroken(
                f"bench broken: {place.label} (place {place.name}) is not advertising after "
                "'prepare'"
            )
        try:
            await BleakClient(found, backend=BumbleClient).unpair()
        except BleakError as error:
            raise BenchBroken(
                f"bench broken: the app cannot forget {place.label}: {error}"
            ) from None

    async def release(self) -> None:
        self._in_use.clear()

    async def app_holds_bond(self, address: str) -> bool | None:
        """The key store of the app's bumble radio, which outlives any one client."""
        return await current().keystore.get(address.upper()) is not None

    def client_options(self) -> dict[str, Any]:
        held = self.places.held if self.places is not None else []
        return {
            "client_backend": BumbleClient,
            "scanner_backend": BumbleScanner,
            "allowed_addresses": frozenset(place.address for place in held),
        }

    def firmware(self) -> dict[str, str]:
        """Known per place, not per run: each scenario's labels name its place, and the
        place's tags its firmware."""
        return {model.display_name: "as on each place" for model in load_models().values()}

    async def ready_for_command(self, model: ModelSpec, faults: Sequence[str]) -> dict[str, Any]:
        """A command finds the place's device as it is: nobody is asked to prepare it."""
        if faults:
            raise TargetError(
                "the labgrid target cannot start a device with a fault: its places are "
                "hardware (--fault is for simulated targets)"
            )
        await self._reach(await self._place(model))
        return self.client_options()

    def _places(self) -> Places:
        if self.places is None:
            raise TargetError("the labgrid target is not started")
        return self.places
