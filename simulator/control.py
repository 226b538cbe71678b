"""Control API: change a running simulator from outside, as a test bench would.

Requests are JSON objects: `{"op": "devices"}`, `{"op": "faults"}`, and with
`"device": NAME-OR-ADDRESS`: `state`, `inject`/`clear` (`"fault"`), `set_battery`
(`"part"`, `"level"`), `act` (`"action"`, `"parameters"`; the physical actions of
`SimulatedDevice.act`).

In process, `Control` acts on the devices directly. From another process,
`serve_control` answers JSON lines on a unix socket and `request` sends one;
a malformed request gets an error reply, never a dropped connection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from simulator.device import DeviceRefused, SimulatedDevice
from simulator.faults import CATALOGUE, UnknownFault


class ControlError(ValueError):
    """A request the simulator cannot carry out; the reply says why."""


class Control:
    def __init__(
        self,
        devices: list[SimulatedDevice],
        settled: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`settled` waits until the radio shows the devices' changes; the socket
        answers a request only then, so a caller that resets a device and then
        pairs with it does not race the removal of its old bonds."""
        self.devices = devices
        self.settled = settled

    def find(self, name: str) -> SimulatedDevice:
        for device in self.devices:
            if name in (device.name, device.address, device.address.replace(":", "")):
                return device
        known = ", ".join(d.name for d in self.devices) or "none"
        raise ControlError(f"no device {name!r}; devices: {known}")

    def handle(self, request: dict[str, Any]) -> Any:
        operation = request.get("op")
        if operation == "devices":
            return [
                {"name": d.name, "address": d.address, "model": d.model, "model_key": d.profile.key}
                for d in self.devices
            ]
        if operation == "faults":
            return {name: fault.description for name, fault in CATALOGUE.items()}
        if not isinstance(request.get("device"), str):
            raise ControlError("missing 'device' (a name or address)")
        device = self.find(request["device"])
        actions: dict[str, Callable[[], Any]] = {
            "state": device.snapshot,
            "inject": lambda: device.inject(str(request["fault"])),
            "clear": lambda: device.clear(str(request["fault"])),
            "act": lambda: device.act(str(request["action"]), **request.get("parameters", {})),
            "set_battery": lambda: device.set_battery(str(request["part"]), int(request["level"])),
        }
        if operation not in actions:
            raise ControlError(
                f"unknown op {operation!r}; known: devices, faults, {', '.join(actions)}"
            )
        try:
            result = actions[str(operation)]()
        except KeyError as missing:
            raise ControlError(f"op {operation!r} needs {missing}") from None
        except (UnknownFault, DeviceRefused, ValueError) as error:
            raise ControlError(str(error)) from None
        return device.snapshot() if result is None else result


async def serve_control(control: Control, path: Path) -> asyncio.AbstractServer:
    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                writer.write((json.dumps(await _answer(control, line)) + "\n").encode())
                await writer.drain()
        finally:
            writer.close()

    await asyncio.to_thread(path.unlink, missing_ok=True)
    return await asyncio.start_unix_server(session, path=str(path))


async def _answer(control: Control, line: bytes) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return {"ok": False, "error": f"not JSON: {error}"}
    if not isinstance(request, dict):
        return {"ok": False, "error": "a request is a JSON object with 'op'"}
    try:
        result = control.handle(request)
    except ControlError as error:
        return {"ok": False, "error": str(error)}
    if control.settled is not None:
        try:
            await control.settled()
        except Exception as error:  # the radio's failure, told to the caller
            return {"ok": False, "error": f"the radio did not follow: {error}"}
    return {"ok": True, "result": result}


async def request(path: Path, message: dict[str, Any], timeout: float = 5.0) -> Any:
    """One request to a running `iqos-sim serve`; raises ControlError with its reply."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), timeout)
    except (OSError, TimeoutError) as error:
        raise ControlError(f"no simulator at {path}: {error}") from None
    try:
        writer.write((json.dumps(message) + "\n").encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
    finally:
        writer.close()
    if not line:
        raise ControlError("the simulator closed the connection")
    reply = json.loads(line)
    if not reply.get("ok"):
        raise ControlError(reply.get("error", "unknown error"))
    return reply["result"]
