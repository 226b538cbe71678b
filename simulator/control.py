"""Control API: change a running simulator from outside, as a test bench would.

Requests are JSON objects: `{"op": "devices"}`, `{"op": "faults"}`, and with
`"device": NAME-OR-ADDRESS` (either in any case): `state`, `inject`/`clear`
(`"fault"`), `set_battery` (`"part"`, `"level"`), `act` (`"action"`, and
`"parameters"`, an object of finite non-negative numbers; the physical actions
of `SimulatedDevice.act`, and `go_out_of_range` and `come_back_in_range` where the
device's range is wired: on the virtual radio), and `power` (`"on"`, a boolean, or
none to ask) where the device's power is wired (`iqos-sim serve` on the virtual radio).

`Control` answers requests. In process, `Control.answer` is called directly;
from another process, `serve_control` answers JSON lines on a unix socket and
`request` sends one. Either way the request is checked, and refused, the same
way: a `Channel` is one or the other, for whoever acts on simulated devices
(the harness' hands) without caring where they run.
A bad request (not JSON, longer than `MAX_REQUEST_BYTES`, an unknown op, a
field of the wrong type) gets an error reply, never a dropped connection: a
bench script that made one mistake can go on.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import reprlib
import socket
import stat
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from simulator.device import DeviceRefused, SimulatedDevice
from simulator.faults import CATALOGUE, UnknownFault
from simulator.profile import DeviceProfile

MAX_REQUEST_BYTES = 64 * 1024
"""The longest request line; every request fits in far less, so a longer one is a mistake."""
PROBE_SECONDS = 2.0
"""How long a server already at the socket path has to accept a connection."""


class ControlError(ValueError):
    """A request the simulator cannot carry out; the reply says why."""


class ActionRefused(ControlError):
    """The device refused a well-formed action in its present state (a puff with no
    heating session): the asker's sequence is wrong, not the request or the simulator."""


class Switch(Protocol):
    """A device's power, where the serving process wires it (simulator.power)."""

    @property
    def powered(self) -> bool: ...

    async def switch(self, on: bool) -> None: ...


class Reach(Protocol):
    """Whether a device is within the others' range, where the serving process wires
    it (simulator.radio.reach); a refusal is DeviceRefused."""

    @property
    def in_range(self) -> bool: ...

    async def go_out_of_range(self) -> None: ...

    async def come_back_in_range(self) -> None: ...


RANGE_ACTIONS = ("go_out_of_range", "come_back_in_range")
"""Physical actions on the radio, not the model: `act` hands them to the device's Reach."""


Channel = Callable[[dict[str, Any]], Awaitable[Any]]
"""One request to a simulator, answered with its result or refused with ControlError:
`Control.answer` in process, `socket_channel` to `iqos-sim serve`."""


def faults_for(profile: DeviceProfile) -> list[str]:
    """The faults a device of this profile can have: a one-piece device has no
    holder, so no holder fault; one that never sends the ambient byte, no ambient
    fault (`Fault.impossible_on`)."""
    return sorted(name for name, fault in CATALOGUE.items() if fault.impossible_on(profile) is None)


def check_faults(profile: DeviceProfile, names: Iterable[str]) -> None:
    """Refuse, before any device starts, a fault the model cannot have, in one
    line that lists the faults it can."""
    model = profile.spec.display_name
    known = faults_for(profile)
    for name in names:
        if name not in known:
            problem = f"{model} cannot have fault" if name in CATALOGUE else "unknown fault"
            raise ControlError(f"{problem} {name!r}; {model} takes: {', '.join(known)}")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    names = {str: "a string", int: "an integer", float: "a number", list: "an array"}
    return names.get(type(value), "an object")


def _field(request: dict[str, Any], key: str, kind: type, what: str) -> Any:
    if key not in request:
        raise ControlError(f"op {request['op']!r} needs {key!r}")
    value = request[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ControlError(f"{key!r} must be {what}, not {_json_type(value)}")
    return value


def _text(request: dict[str, Any], key: str) -> str:
    return str(_field(request, key, str, "a string"))


def _parameters(request: dict[str, Any]) -> dict[str, Any]:
    """The physical actions take counts and seconds; NaN, infinity or a negative
    number would leave the simulated clock meaningless, so they are refused here."""
    parameters = request.get("parameters", {})
    if not isinstance(parameters, dict):
        raise ControlError(f"'parameters' must be an object, not {_json_type(parameters)}")
    for name, value in parameters.items():
        if not _is_amount(value):
            raise ControlError(
                f"parameter {name!r} must be a finite number of at least 0, "
                f"not {reprlib.repr(value)}"
            )
    return parameters


def _is_amount(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value) and value >= 0
    except OverflowError:  # an integer beyond any float: no number of seconds
        return False


_DEVICE_OPERATIONS: dict[str, Callable[[SimulatedDevice, dict[str, Any]], Any]] = {
    "state": lambda device, request: device.snapshot(),
    "inject": lambda device, request: device.inject(_text(request, "fault")),
    "clear": lambda device, request: device.clear(_text(request, "fault")),
    "act": lambda device, request: device.act(_text(request, "action"), **_parameters(request)),
    "set_battery": lambda device, request: device.set_battery(
        _text(request, "part"), int(_field(request, "level", int, "an integer"))
    ),
}


POWER = "power"
"""The one op that needs the radio, not only the model: answered by `Control.answer`."""


class Control:
    def __init__(
        self,
        devices: list[SimulatedDevice],
        settled: Callable[[], Awaitable[None]] | None = None,
        switches: dict[str, Switch] | None = None,
        reaches: dict[str, Reach] | None = None,
    ) -> None:
        """`settled` waits until the radio shows the devices' changes (on BlueZ they
        reach the controller in the background); `switches` holds the power of the
        devices whose power is wired, by address, and `reaches` their range."""
        self.devices = devices
        self.settled = settled
        self.switches = switches if switches is not None else {}
        self.reaches = reaches if reaches is not None else {}

    def find(self, name: str) -> SimulatedDevice:
        """By name or address, in any case: people copy addresses from tools that
        print them in lower case."""
        wanted = name.upper()
        for device in self.devices:
            address = device.address.upper()
            if wanted in (device.name.upper(), address, address.replace(":", "")):
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
        if operation == POWER:
            raise ControlError(f"op {POWER!r} switches the radio: send it to Control.answer")
        if not isinstance(operation, str) or operation not in _DEVICE_OPERATIONS:
            raise ControlError(
                f"unknown op {operation!r}; known: devices, faults, "
                f"{', '.join(_DEVICE_OPERATIONS)}, {POWER}"
            )
        device = self.find(_text(request, "device"))
        if operation == "state" and device.address in self.reaches:
            return {**device.snapshot(), "in_range": self.reaches[device.address].in_range}
        try:
            result = _DEVICE_OPERATIONS[operation](device, request)
        except DeviceRefused as refused:
            if operation != "act":
                raise ControlError(str(refused)) from None
            action = str(request["action"]).replace("_", " ")
            raise ActionRefused(f"{device.name} refused to {action}: {refused}") from None
        except (UnknownFault, ValueError) as error:
            raise ControlError(str(error)) from None
        except KeyError as missing:  # a parameter the action needs
            raise ControlError(f"op {operation!r} needs {missing}") from None
        return device.snapshot() if result is None else result

    async def answer(self, request: dict[str, Any]) -> Any:
        """The result once the radio shows it: a caller that resets a device and then
        pairs with it must not race the removal of its old bonds."""
        operation = request.get("op")
        if operation == POWER:
            result = await self._power(request)
        elif operation == "act" and request.get("action") in RANGE_ACTIONS:
            result = await self._range(request)
        else:
            result = self.handle(request)
        if self.settled is not None:
            try:
                await self.settled()
            except Exception as error:  # the radio's failure, told to the caller
                raise ControlError(f"the radio did not follow: {error}") from error
        return result

    async def _power(self, request: dict[str, Any]) -> dict[str, bool]:
        """Switch the device's power when `on` is given; either way, say whether it is on."""
        device = self.find(_text(request, "device"))
        switch = self.switches.get(device.address)
        if switch is None:
            raise ControlError(
                f"the power of {device.name} is not wired: only iqos-sim serve on the "
                "virtual radio switches it"
            )
        on = request.get("on")
        if on is not None:
            if not isinstance(on, bool):
                raise ControlError(f"'on' must be a boolean, not {_json_type(on)}")
            await switch.switch(on)
        return {"powered": switch.powered}

    async def _range(self, request: dict[str, Any]) -> dict[str, Any]:
        """Out of range or back, on the radio that wires the device's range."""
        device = self.find(_text(request, "device"))
        action = str(request["action"])
        reach = self.reaches.get(device.address)
        if reach is None:
            raise ControlError(
                f"{device.name} cannot {action.replace('_', ' ')} here: only the virtual "
                "radio takes a device out of range"
            )
        try:
            await getattr(reach, action)()
        except DeviceRefused as refused:
            raise ActionRefused(
                f"{device.name} refused to {action.replace('_', ' ')}: {refused}"
            ) from None
        except TimeoutError:
            raise ControlError(f"{device.name} did not lose its link out of range") from None
        return {**device.snapshot(), "in_range": reach.in_range}


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.lstat()
    except FileNotFoundError:
        return None
    return (status.st_dev, status.st_ino)


class ControlServer:
    """The listening control socket. Closing it (also when `serve` is stopped by
    Ctrl-C or SIGTERM) ends the open sessions and removes the socket file, unless
    another server has put its own there since."""

    def __init__(self, control: Control, path: Path) -> None:
        self.control = control
        self.path = path
        self._sessions: set[asyncio.StreamWriter] = set()
        self._closing = False
        self._server: asyncio.Server | None = None
        self._identity: tuple[int, int] | None = None

    async def start(self) -> None:
        await _make_room(self.path)
        listener = await asyncio.to_thread(_bind, self.path)
        self._identity = _identity(self.path)
        self._server = await asyncio.start_unix_server(
            self._session, sock=listener, limit=MAX_REQUEST_BYTES
        )

    async def __aenter__(self) -> ControlServer:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
        if self._identity is not None and _identity(self.path) == self._identity:
            await asyncio.to_thread(self.path.unlink, missing_ok=True)
        for writer in list(self._sessions):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._sessions.add(writer)
        try:
            while not self._closing and (line := await _read_request(reader)) != b"":
                reply = await _answer(self.control, line)
                writer.write((json.dumps(reply) + "\n").encode())
                await writer.drain()
        except ConnectionError:
            pass  # the client left without waiting for its answer
        finally:
            self._sessions.discard(writer)
            writer.close()


async def _make_room(path: Path) -> None:
    """Take `path` for a new socket: remove a socket nobody answers on (left by a
    killed server), but refuse a live server's socket and anything not a socket."""
    try:
        mode = (await asyncio.to_thread(path.lstat)).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ControlError(
            f"{path} exists and is not a socket, so it is left alone; "
            "give --socket (or IQOS_SIM_SOCKET) a free path"
        )
    try:
        _, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), PROBE_SECONDS)
    except ConnectionRefusedError:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        return
    except (OSError, TimeoutError) as error:
        raise ControlError(f"{path}: cannot tell whether a simulator serves it: {error}") from None
    writer.close()
    raise ControlError(
        f"a simulator already serves {path}; stop it, or give --socket (or IQOS_SIM_SOCKET) "
        "another path"
    )


def _bind(path: Path) -> socket.socket:
    """Only this user may connect: the mode is 0600 before `listen`, so there is no
    moment in which another user could."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
        os.chmod(path, 0o600)
    except OSError as error:
        listener.close()
        raise ControlError(f"cannot listen on {path}: {error.strerror or error}") from None
    return listener


async def serve_control(control: Control, path: Path) -> ControlServer:
    """Answer JSON-line requests on the unix socket `path` until closed."""
    server = ControlServer(control, path)
    await server.start()
    return server


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """The next request line; b"" at the end, None for a line over the bound, whose
    bytes are skipped up to its newline so that the next request is read whole."""
    try:
        return await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as end:
        return end.partial
    except asyncio.LimitOverrunError as overrun:
        consumed = overrun.consumed
    while True:
        await reader.readexactly(consumed)
        try:
            await reader.readuntil(b"\n")
            return None
        except asyncio.IncompleteReadError:
            return None
        except asyncio.LimitOverrunError as overrun:
            consumed = overrun.consumed


async def _answer(control: Control, line: bytes | None) -> dict[str, Any]:
    if line is None:
        return {"ok": False, "error": f"request longer than {MAX_REQUEST_BYTES} bytes"}
    try:
        request = json.loads(line)
    except (ValueError, RecursionError) as error:
        return {"ok": False, "error": f"not JSON: {error}"}
    if not isinstance(request, dict):
        return {"ok": False, "error": "a request is a JSON object with 'op'"}
    try:
        result = await control.answer(request)
    except ActionRefused as refused:
        return {"ok": False, "error": str(refused), "refused": True}
    except ControlError as error:
        return {"ok": False, "error": str(error)}
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
        refusal = ActionRefused if reply.get("refused") else ControlError
        raise refusal(reply.get("error", "unknown error"))
    return reply["result"]


def socket_channel(path: Path, timeout: float = 5.0) -> Channel:
    """Requests to the `iqos-sim serve` listening at `path`, each on a connection of its own."""

    async def send(message: dict[str, Any]) -> Any:
        return await request(path, message, timeout)

    return send
