"""`iqos-sim`: run simulated devices, and change them while they run.

iqos-sim faults                         the fault catalogue
iqos-sim serve --model "IQOS 3 DUO"     devices on the virtual radio, a control socket
iqos-sim state DEVICE                   a device's state as JSON
iqos-sim inject DEVICE FAULT [--clear]  set or clear a fault
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

from simulator.clock import SimulatedClock
from simulator.control import Control, ControlError, request, serve_control
from simulator.device import SimulatedDevice
from simulator.faults import CATALOGUE, UnknownFault, load_script, lookup
from simulator.profile import ProfileError, find_profile

DEFAULT_SOCKET = Path(tempfile.gettempdir()) / "iqos-sim.sock"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    serve.add_argument("--radio", choices=("virtual",), default="virtual")
    serve.add_argument(
        "--hci-port",
        type=int,
        default=None,
        help="also serve the virtual radio over HCI on 127.0.0.1:PORT (0 picks one), so "
        "another process reaches the devices with IQOS_HIL_HCI=tcp-client:127.0.0.1:PORT",
    )
    state = commands.add_parser("state", help="a device's state as JSON")
    state.add_argument("device")
    inject = commands.add_parser("inject", help="set (or --clear) a fault on a device")
    inject.add_argument("device")
    inject.add_argument("fault")
    inject.add_argument("--clear", action="store_true")
    return parser


async def _serve(args: argparse.Namespace) -> int:
    from harness.bleak_backend import use_link
    from simulator.radio.bumble_gatt import BumblePeripheral
    from simulator.radio.link import VirtualLink

    if args.count < 1:
        raise ControlError("--count must be at least 1")
    profile = find_profile(args.model)
    for fault in args.fault:
        lookup(fault)
    for script in args.faults:
        args.fault += load_script(script)
    link = VirtualLink()
    use_link(link)
    devices = []
    for index in range(args.count):
        radio = link.add_device(f"{profile.key}-{index}")
        device = SimulatedDevice(profile, SimulatedClock(), radio.random_address.to_string(False))
        for fault in args.fault:
            device.inject(fault)
        await BumblePeripheral(device, radio).start()
        devices.append(device)
        print(f"{device.name}  {device.address}  {device.model}", flush=True)
    if args.hci_port is not None:
        from simulator.radio.hci_server import HciServer

        hci = HciServer(link)
        port = await hci.listen_tcp(args.hci_port)
        print(f"HCI: IQOS_HIL_HCI=tcp-client:127.0.0.1:{port}", flush=True)
    server = await serve_control(Control(devices), args.socket)
    print(f"control socket: {args.socket}", flush=True)
    async with server:
        await server.serve_forever()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "faults":
            for name, fault in sorted(CATALOGUE.items()):
                print(f"{name:<45} {fault.kind:<7} {fault.description}")
            return 0
        if args.command == "serve":
            return asyncio.run(_serve(args))
        message = {"op": "state", "device": args.device}
        if args.command == "inject":
            lookup(args.fault)
            message = {
                "op": "clear" if args.clear else "inject",
                "device": args.device,
                "fault": args.fault,
            }
        print(json.dumps(asyncio.run(request(args.socket, message)), indent=2))
        return 0
    except (ControlError, ProfileError, UnknownFault) as error:
        print(f"iqos-sim: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
