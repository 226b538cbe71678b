"""`iqos-sim`: run simulated devices, and change them while they run.

iqos-sim faults                         the fault catalogue
iqos-sim serve --model "IQOS 3 DUO"     devices on the virtual radio, a control socket
iqos-sim serve --radio bluez --adapter hci0[=MODEL] [--adapter hci1[=MODEL] ...]
                                        one device per BlueZ controller, served by bless
iqos-sim state DEVICE                   a device's state as JSON
iqos-sim inject DEVICE FAULT [--clear]  set or clear a fault
iqos-sim power DEVICE [on|off]          switch a device's power (virtual radio), or ask
iqos-sim range DEVICE out|back          take a device out of the app's range, or back
                                        (virtual radio)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from simulator.clock import SimulatedClock
from simulator.control import Control, ControlError, check_faults, request, serve_control
from simulator.device import SimulatedDevice
from simulator.faults import CATALOGUE, FaultScriptError, UnknownFault, load_script, lookup
from simulator.panel import DEFAULT_PORT, panel_for
from simulator.profile import ProfileError, find_profile

if TYPE_CHECKING:  # bless is imported only when a device goes on BlueZ, aiohttp with a panel
    from simulator.panel.server import Panel
    from simulator.power import PowerSwitch
    from simulator.radio.bless_gatt import BlessPeripheral
    from simulator.radio.bumble_gatt import BumblePeripheral

DEFAULT_SOCKET = Path(tempfile.gettempdir()) / "iqos-sim.sock"


class _OneLineParser(argparse.ArgumentParser):
    """Bad arguments give one line on standard error and exit 2 (docs/cli.md), not
    argparse's usage block: a script's log shows what was wrong at a glance."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="iqos-sim", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--socket", type=Path, default=Path(os.environ.get("IQOS_SIM_SOCKET", DEFAULT_SOCKET))
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("faults", help="list the fault catalogue")
    serve = commands.add_parser("serve", help="run simulated devices on the virtual radio")
    serve.add_argument("--model", default="IQOS 3 DUO", help="model name, profile key or YAML path")
    serve.add_argument("--count", type=int, default=1)
    serve.add_argument("--fault", action="append", default=[], help="start with this fault")
    serve.add_argument(
        "--faults", action="append", default=[], help="start with a fault script (fixtures/faults)"
    )
    serve.add_argument("--radio", choices=("virtual", "bluez"), default="virtual")
    serve.add_argument(
        "--adapter",
        action="append",
        default=[],
        help="bluez radio: ADAPTER[=MODEL], a controller for one device of MODEL (default "
        "--model); repeat for more devices; --count is ignored",
    )
    serve.add_argument(
        "--hci-port",
        type=int,
        default=None,
        help="also serve the virtual radio over HCI on 127.0.0.1:PORT (0 picks one), so "
        "another process reaches the devices with IQOS_HIL_HCI=tcp-client:127.0.0.1:PORT",
    )
    serve.add_argument(
        "--panel",
        type=int,
        nargs="?",
        const=DEFAULT_PORT,
        default=None,
        metavar="PORT",
        help=f"also serve a web page of the devices on 127.0.0.1:PORT (default {DEFAULT_PORT}, "
        "0 picks one); docs/panel.md",
    )
    serve.add_argument(
        "--panel-bind",
        default=None,
        metavar="ADDR",
        help="serve the panel on ADDR instead of 127.0.0.1 (implies --panel); a non-loopback "
        "address puts a token in the printed URL",
    )
    state = commands.add_parser("state", help="a device's state as JSON")
    state.add_argument("device")
    inject = commands.add_parser("inject", help="set (or --clear) a fault on a device")
    inject.add_argument("device")
    inject.add_argument("fault")
    inject.add_argument("--clear", action="store_true")
    power = commands.add_parser("power", help="switch a device's power, or say whether it is on")
    power.add_argument("device")
    power.add_argument("switch", nargs="?", choices=("on", "off"))
    reach = commands.add_parser(
        "range", help="take a device out of range (its links drop, nobody hears it) or back"
    )
    reach.add_argument("device")
    reach.add_argument("move", choices=("out", "back"))
    return parser


def _new_device(args: argparse.Namespace, address: str, model: str = "") -> SimulatedDevice:
    device = SimulatedDevice(find_profile(model or args.model), SimulatedClock(), address)
    for fault in args.fault:
        device.inject(fault)
    return device


def _check_serve_arguments(args: argparse.Namespace) -> None:
    """Everything `serve` can refuse, refused before a device, a radio or the socket starts."""
    if args.count < 1:
        raise ControlError(f"--count must be at least 1, not {args.count}")
    if args.radio == "bluez" and not args.adapter:
        raise ControlError("--radio bluez needs --adapter hciN, one per device")
    for script in args.faults:
        args.fault += load_script(script)
    profiles = [find_profile(args.model)]
    if args.radio == "bluez":
        profiles = [find_profile(str(c).partition("=")[2] or args.model) for c in args.adapter]
    for profile in profiles:
        check_faults(profile, args.fault)


async def _serve(args: argparse.Namespace) -> int:
    _check_serve_arguments(args)
    stopping = asyncio.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signal_number, stopping.set)
    control = Control([])
    panel = panel_for(control, args.panel, args.panel_bind)
    async with await serve_control(control, args.socket), panel or contextlib.nullcontext():
        peripherals: list[BlessPeripheral] = []
        if args.radio == "bluez":
            peripherals = await _serve_on_bluez(args)
            control.devices = [p.device for p in peripherals]
            control.settled = _settled(peripherals)
        else:
            control.devices = await _serve_on_virtual_radio(args, panel, control)
        print(f"control socket: {args.socket}", flush=True)
        if panel is not None:
            print(f"panel: {await panel.start()}", flush=True)
        await stopping.wait()
        for peripheral in peripherals:
            await peripheral.stop()
    return 0


def _settled(peripherals: list[BlessPeripheral]) -> Callable[[], Awaitable[None]]:
    async def settled() -> None:
        for peripheral in peripherals:
            await peripheral.settled()

    return settled


async def _serve_on_virtual_radio(
    args: argparse.Namespace, panel: Panel | None, control: Control
) -> list[SimulatedDevice]:
    """Each device's power is wired to the control socket (`power`), as a bench
    farm wires a device's supply (docs/bench-farm.md)."""
    from simulator.power import PowerSwitch
    from simulator.radio.bumble_gatt import BumblePeripheral
    from simulator.radio.link import VirtualLink
    from simulator.radio.reach import VirtualReach

    link = VirtualLink()
    devices = []
    for index in range(args.count):
        radio = link.add_device(f"{find_profile(args.model).key}-{index}")
        device = _new_device(args, radio.random_address.to_string(False))
        if panel is not None:
            panel.watch(device, radio)
        peripheral = BumblePeripheral(device, radio)
        await peripheral.start()
        switch = control.switches[device.address] = PowerSwitch(
            link, peripheral, panel.watch if panel is not None else None
        )
        control.reaches[device.address] = VirtualReach(link, device, _radio_of(switch))
        devices.append(device)
        print(f"{device.name}  {device.address}  {device.model}", flush=True)
    if args.hci_port is not None:
        from simulator.radio.hci_server import HciServer

        hci = HciServer(link)
        port = await hci.listen_tcp(args.hci_port)
        print(f"HCI: IQOS_HIL_HCI=tcp-client:127.0.0.1:{port}", flush=True)
    return devices


def _radio_of(switch: PowerSwitch) -> Callable[[], BumblePeripheral | None]:
    """The device's radio now: none while switched off, a new one after each power-on."""
    return lambda: switch.peripheral


async def _serve_on_bluez(args: argparse.Namespace) -> list[BlessPeripheral]:
    """On SIGTERM or SIGINT the devices leave the air and their controllers forget
    their peers. A killed process leaves its bonds in BlueZ (its advertisements,
    GATT applications and agent go with its D-Bus connection); the next start on
    those controllers removes them."""
    from simulator.radio.bluez_bus import BluezError, system_bus
    from simulator.radio.bluez_host import (
        adapter_address,
        forget_peers,
        register_agent,
        serve_on_controller,
    )

    try:
        bus = await system_bus()
        await register_agent(bus)
        peripherals = []
        for choice in args.adapter:
            adapter, _, model = str(choice).partition("=")
            device = _new_device(args, await adapter_address(bus, adapter), model)
            await forget_peers(bus, adapter)
            peripheral = serve_on_controller(bus, device, adapter)
            await peripheral.start()
            peripherals.append(peripheral)
            print(f"{device.name}  {device.address}  {device.model}  on {adapter}", flush=True)
    except BluezError as error:
        raise ControlError(f"BlueZ: {error}") from error
    return peripherals


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "faults":
            for name, fault in sorted(CATALOGUE.items()):
                print(f"{name:<45} {fault.kind:<7} {fault.description}")
            return 0
        if args.command == "serve":
            return asyncio.run(_serve(args))
        message: dict[str, object] = {"op": "state", "device": args.device}
        if args.command == "power":
            message = {"op": "power", "device": args.device}
            if args.switch is not None:
                message["on"] = args.switch == "on"
        if args.command == "range":
            action = "go_out_of_range" if args.move == "out" else "come_back_in_range"
            message = {"op": "act", "device": args.device, "action": action}
        if args.command == "inject":
            lookup(args.fault)
            message = {
                "op": "clear" if args.clear else "inject",
                "device": args.device,
                "fault": args.fault,
            }
        print(json.dumps(asyncio.run(request(args.socket, message)), indent=2))
        return 0
    except (ControlError, FaultScriptError, ProfileError, UnknownFault) as error:
        print(f"iqos-sim: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
