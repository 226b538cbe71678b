"""Proof that BlueZ works end to end in the guest: bless serves, stock bleak uses it.

Runs inside the guest (`python -m harness.guest smoke` boots one and runs this):
bless advertises one GATT service on controller A, and stock bleak on
controller B scans for it, connects, reads a characteristic and pairs. The
two sides are one process on two adapters of the same bluetoothd, which is
what the bluez target will do with the simulator and the client.

Prints one line a step with its time, and writes $IQOS_GUEST_RESULTS/smoke.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import traceback
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

SERVICE = "7e1a0001-8c2b-4a54-9f3e-0d4b6c2a9e10"
CHARACTERISTIC = "7e1a0002-8c2b-4a54-9f3e-0d4b6c2a9e10"
VALUE = b"iqos-hil smoke"
#: Generous: every step is 10-30x slower under TCG than on the host.
STEP_TIMEOUT = 60.0

T = TypeVar("T")


class Steps:
    """Times each step and keeps the record that smoke.json and the host report."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.record: dict[str, float] = {}

    async def run(self, name: str, work: Awaitable[T]) -> T:
        begun = time.monotonic()
        result = await asyncio.wait_for(work, STEP_TIMEOUT)
        self.record[name] = round(time.monotonic() - begun, 3)
        print(f"smoke: {name:<10} {self.record[name]:7.3f} s", flush=True)
        return result


async def smoke(device_adapter: str, client_adapter: str, steps: Steps) -> None:
    imports_began = time.monotonic()
    from bleak import BleakClient, BleakScanner
    from bless import (  # type: ignore[attr-defined]
        BlessServer,
        GATTAttributePermissions,
        GATTCharacteristicProperties,
    )

    steps.record["imports"] = round(time.monotonic() - imports_began, 3)
    print(f"smoke: {'imports':<10} {steps.record['imports']:7.3f} s", flush=True)

    server = BlessServer(name="iqos-smoke", adapter=device_adapter)

    def on_read(characteristic: Any, **_: Any) -> bytearray:
        return bytearray(characteristic.value)

    server.read_request_func = on_read
    await steps.run("serve", _serve(server, GATTCharacteristicProperties, GATTAttributePermissions))
    try:
        device = await steps.run(
            "scan",
            BleakScanner.find_device_by_filter(
                lambda _, adv: SERVICE in adv.service_uuids,
                timeout=STEP_TIMEOUT,
                bluez={"adapter": client_adapter},
            ),
        )
        if device is None:
            raise AssertionError(f"{client_adapter} never saw {SERVICE} advertised")
        client = BleakClient(device, timeout=STEP_TIMEOUT, bluez={"adapter": client_adapter})
        await steps.run("connect", client.connect())
        try:
            value = await steps.run("read", client.read_gatt_char(CHARACTERISTIC))
            if bytes(value) != VALUE:
                raise AssertionError(f"read {bytes(value)!r}, expected {VALUE!r}")
            await steps.run("pair", client.pair())
        finally:
            await steps.run("disconnect", client.disconnect())
    finally:
        await server.stop()


async def _serve(server: Any, properties: Any, permissions: Any) -> None:
    await server.add_new_service(SERVICE)
    await server.add_new_characteristic(
        SERVICE, CHARACTERISTIC, properties.read, bytearray(VALUE), permissions.readable
    )
    await server.start()


def main() -> int:
    steps = Steps()
    device_adapter = os.environ.get("IQOS_BLUEZ_DEVICE_ADAPTERS", "hci0").split(",")[0]
    client_adapter = os.environ.get("IQOS_BLUEZ_CLIENT_ADAPTER", "hci1")
    error: str | None = None
    try:
        asyncio.run(smoke(device_adapter, client_adapter, steps))
    except Exception:
        error = traceback.format_exc()
        print(error, file=sys.stderr, flush=True)
    total = round(time.monotonic() - steps.started, 3)
    verdict = "PASS" if error is None else "FAIL"
    report = {
        "verdict": verdict,
        "total": total,
        "steps": steps.record,
        "error": error,
        "adapters": {"device": device_adapter, "client": client_adapter},
    }
    results = os.environ.get("IQOS_GUEST_RESULTS")
    if results:
        (Path(results) / "smoke.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"smoke: {verdict} in {total:.3f} s", flush=True)
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main())
