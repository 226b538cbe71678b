"""`iqos-hil` device commands: scan, pair, status, diag, reset, unpair, find, haptics.

Exit codes (docs/cli.md): 0 done, 1 the device reports an error, 2 usage,
3 not found, 4 pairing refused, 5 timeout, 6 disconnected, 7 protocol error,
8 not supported by the model, 9 not on the bench.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict
from typing import Any

from iqos.client import IqosClient
from iqos.diagnostics import Severity
from iqos.discovery import DiscoveredDevice, discover
from iqos.errors import (
    BadAnswer,
    BenchRefused,
    DeviceNotFound,
    Disconnected,
    IqosError,
    NotSupported,
    OperationTimeout,
    PairingRefused,
)
from iqos.models import model_for_name
from iqos.protocol.registers import VibrationSettings

EXIT_CODES: dict[type[IqosError], int] = {
    DeviceNotFound: 3,
    PairingRefused: 4,
    OperationTimeout: 5,
    Disconnected: 6,
    BadAnswer: 7,
    NotSupported: 8,
    BenchRefused: 9,
}
DEVICE_REPORTS_ERROR = 1
COMMANDS = ("scan", "pair", "status", "diag", "reset", "unpair", "find", "haptics")
_BLE_ADDRESS = re.compile(r"[0-9A-F]{2}(:[0-9A-F]{2}){5}")


def ble_address(text: str) -> str:
    """`--address` in upper case, as discovery and the bench spell it. Checked before
    any scan: a mistyped address would otherwise scan in vain and report 'not found'."""
    address = text.strip().upper()
    if not _BLE_ADDRESS.fullmatch(address):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a BLE address; one looks like AA:BB:CC:DD:EE:FF"
        )
    return address


def add_device_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument(
        "--address",
        type=ble_address,
        help="the device, AA:BB:CC:DD:EE:FF in any case (default: the first one found)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--scan-seconds", type=float, default=5.0)
    parser.add_argument("--full-serial", action="store_true", help="show serials unmasked")
    parser.add_argument("--stop", action="store_true", help="find: stop vibrating")
    parser.add_argument(
        "--off",
        default="",
        help="haptics: moments to turn off, comma-separated "
        "(heating_start, ready, near_end, manual_end)",
    )


def _progress(text: str) -> None:
    if sys.stderr.isatty():
        print(f"… {text}", file=sys.stderr, flush=True)


def _show(value: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(value, indent=2, default=str))
        return
    if isinstance(value, dict):
        width = max((len(k) for k in value), default=0)
        for key, item in value.items():
            print(f"{key:<{width}}  {item}")
    else:
        print(value)


async def _target_address(args: argparse.Namespace, options: dict[str, Any]) -> DiscoveredDevice:
    wanted = args.address.upper() if args.address else None
    allowed = options.get("allowed_addresses")
    if wanted is not None and allowed is not None and wanted not in allowed:
        # Refused before any scan: the answer does not depend on what is in range.
        raise BenchRefused(f"refused: {wanted} is not on the bench")
    _progress("scanning")
    found = await discover(
        args.scan_seconds,
        until=lambda seen: (wanted in seen) if wanted else bool(seen),
        **options,
    )
    for device in found:
        if wanted is None or device.address.upper() == wanted:
            return device
    raise DeviceNotFound(f"no IQOS device {'at ' + wanted if wanted else ''} found".strip())


async def execute(args: argparse.Namespace, options: dict[str, Any]) -> int:
    """Run one device command with the target's client options; returns the exit code."""
    if args.command == "scan":
        _progress("scanning")
        found = await discover(args.scan_seconds, **options)
        rows = [
            {
                "address": d.address,
                "name": d.name,
                "model": d.model.display_name if d.model else None,
                "rssi": d.rssi,
                "state": d.pairing_state.name.lower(),
            }
            for d in found
        ]
        if args.json:
            _show(rows, True)
        else:
            for row in rows:
                print(
                    f"{row['address']}  {row['name']:<20} {row['model']!s:<14} "
                    f"{row['rssi']:>4} dBm  {row['state']}"
                )
        return 0
    target = await _target_address(args, options)
    client = IqosClient(target.address, target.model or model_for_name(target.name), **options)
    try:
        if args.command == "pair":
            _progress("pairing")
            await client.pair()
            _show({"paired": target.address, "name": target.name}, args.json)
        elif args.command == "status":
            await client.pair()
            battery = await client.battery()
            status = await client.status()
            _show({"battery": asdict(battery), "status": repr(status)}, args.json)
        elif args.command == "diag":
            await client.pair()
            report = await client.diagnostics(full_serial=args.full_serial)
            if args.json:
                print(report.to_json())
            else:
                print(f"{report.model}  firmware {report.firmware}  serial {report.serial}")
                for finding in report.findings or []:
                    print(f"  [{finding.severity}] {finding.message}: {finding.action}")
                if report.healthy:
                    print("  healthy")
            if any(f.severity is Severity.ERROR for f in report.findings):
                return DEVICE_REPORTS_ERROR
        elif args.command == "reset":
            await client.pair()
            await client.reset()
            _show({"reset": target.address}, args.json)
        elif args.command == "unpair":
            await client.unpair()
            _show({"unpaired": target.address}, args.json)
        elif args.command == "find":
            await client.pair()
            await client.find_my(start=not args.stop)
            _show({"vibrating": not args.stop}, args.json)
        elif args.command == "haptics":
            await client.pair()
            settings = await client.haptics()
            off = [name.strip() for name in args.off.split(",") if name.strip()]
            if off:
                values = asdict(settings)
                unknown = [name for name in off if name not in values]
                if unknown:
                    print(f"iqos-hil: unknown haptics moments {unknown}", file=sys.stderr)
                    return 2
                settings = VibrationSettings(**{**values, **dict.fromkeys(off, False)})
                await client.set_haptics(settings)
            _show(asdict(settings), args.json)
    finally:
        await client.disconnect()
    return 0


def exit_code(error: IqosError) -> int:
    return next((code for kind, code in EXIT_CODES.items() if isinstance(error, kind)), 1)
