"""The control socket in process: it owns its path (never another server's, never a
file that is not a socket), and a bad request costs one error reply, not the
connection or the simulated clock."""

import asyncio
import json
import math
import socket
import stat
from pathlib import Path

import pytest

from simulator.clock import SimulatedClock
from simulator.control import (
    MAX_REQUEST_BYTES,
    ActionRefused,
    Control,
    ControlError,
    check_faults,
    request,
    serve_control,
)
from simulator.device import SimulatedDevice
from simulator.profile import find_profile

ADDRESS = "C0:11:22:33:44:55"


def subject() -> SimulatedDevice:
    return SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), ADDRESS)


def line(**fields: object) -> bytes:
    return json.dumps({"device": ADDRESS, **fields}).encode() + b"\n"


BAD_REQUESTS = [
    (b"not json\n", "not JSON"),
    (b"\xff\xfe\n", "not JSON"),
    (b"[" * 50_000 + b"\n", "not JSON"),
    (b'{"op": "set_battery", "device": "x", "part": "charger", "level": ' + b"9" * 5000 + b"}\n",
     "not JSON"),
    (b"{}\n", "unknown op None"),
    (b'{"op": "teleport"}\n', "unknown op 'teleport'; known: devices, faults, state"),
    (b'{"op": ["state"]}\n', "unknown op ['state']"),
    (b'{"op": "state", "device": 7}\n', "'device' must be a string, not an integer"),
    (line(op="inject", fault=3), "'fault' must be a string, not an integer"),
    (line(op="set_battery", part="charger", level=None), "'level' must be an integer, not null"),
    (line(op="set_battery", part="charger", level="50"), "integer, not a string"),
    (line(op="set_battery", part="charger", level=True), "integer, not a boolean"),
    (line(op="set_battery", part="charger", level=50.5), "integer, not a number"),
    (line(op="act", action="wait", parameters=[1]), "'parameters' must be an object, not an array"),
    (line(op="act", action="wait", parameters={"seconds": math.nan}), "finite number"),
    (line(op="act", action="wait", parameters={"seconds": math.inf}), "finite number"),
    (line(op="act", action="wait", parameters={"seconds": -1}), "finite number of at least 0"),
    (line(op="act", action="wait", parameters={"seconds": "5"}), "finite number"),
    (line(op="act", action="wait", parameters={"seconds": None}), "finite number"),
    (line(op="act", action="wait", parameters={"seconds": 10**400}), "finite number"),
    (b'{"op": "act", "device": "C0:11:22:33:44:55", "action": "wait", '
     b'"parameters": {"seconds": 1e400}}\n', "finite number"),
    (line(op="act", action="wait"), "needs 'seconds'"),
    (b'{"op": "state", "pad": "' + b"x" * MAX_REQUEST_BYTES + b'"}\n', "longer than 65536 bytes"),
    (b'{"op": "state", "pad": "' + b"x" * 5 * MAX_REQUEST_BYTES + b'"}\n', "longer than"),
]  # fmt: skip


def test_bad_requests_get_an_error_and_the_connection_answers_the_next(tmp_path: Path) -> None:
    device = subject()
    path = tmp_path / "control.sock"

    async def scenario() -> list[str]:
        errors = []
        async with await serve_control(Control([device]), path):
            reader, writer = await asyncio.open_unix_connection(str(path))
            for bad, _ in BAD_REQUESTS:
                writer.write(bad)
                reply = json.loads(await asyncio.wait_for(reader.readline(), 5))
                assert reply["ok"] is False, bad[:80]
                errors.append(reply["error"])
            writer.write(line(op="act", action="wait", parameters={"seconds": 30}))
            reply = json.loads(await asyncio.wait_for(reader.readline(), 5))
            writer.close()
        assert reply["ok"] is True, reply
        assert reply["result"]["clock_seconds"] == 30
        return errors

    errors = asyncio.run(scenario())
    for error, (bad, expected) in zip(errors, BAD_REQUESTS, strict=True):
        assert expected in error, bad[:80]
    assert device.clock.now == 30, "the simulated clock moved only for the valid wait"


def test_a_device_is_named_by_its_address_in_any_case(tmp_path: Path) -> None:
    device = subject()
    control = Control([device])
    for name in ("c0:11:22:33:44:55", "c01122334455", device.name.lower()):
        assert control.find(name) is device
    path = tmp_path / "control.sock"

    async def scenario() -> dict[str, list[str]]:
        async with await serve_control(control, path):
            message = {"op": "inject", "device": ADDRESS.lower(), "fault": "ambient_too_hot"}
            return await request(path, message)

    assert "ambient_too_hot" in asyncio.run(scenario())["faults"]


def test_the_socket_is_private_and_removed_when_the_server_closes(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"

    async def scenario() -> None:
        async with await serve_control(Control([subject()]), path):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            reader, writer = await asyncio.open_unix_connection(str(path))
            writer.write(b'{"op": "devices"}\n')
            assert json.loads(await asyncio.wait_for(reader.readline(), 5))["ok"] is True
        assert not path.exists()
        assert await asyncio.wait_for(reader.read(), 5) == b"", "open sessions end too"
        writer.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_a_path_that_is_not_a_socket_is_refused_and_left_alone(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "control.sock"
    if kind == "file":
        path.write_text("somebody's notes\n")
    else:
        path.mkdir()
        (path / "inside").write_text("kept\n")
    with pytest.raises(ControlError, match="exists and is not a socket, so it is left alone"):
        asyncio.run(serve_control(Control([]), path))
    if kind == "file":
        assert path.read_text() == "somebody's notes\n"
    else:
        assert (path / "inside").read_text() == "kept\n"


def test_a_live_server_keeps_its_socket_and_a_stale_one_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # a killed server's socket file: nobody answers on it

    async def scenario() -> None:
        async with await serve_control(Control([subject()]), path):
            with pytest.raises(ControlError, match="a simulator already serves"):
                await serve_control(Control([]), path)
            assert (await request(path, {"op": "devices"}))[0]["address"] == ADDRESS

    asyncio.run(scenario())


def test_closing_leaves_a_socket_another_server_put_there_since(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"

    async def scenario() -> None:
        first = await serve_control(Control([]), path)
        path.unlink()
        async with await serve_control(Control([subject()]), path):
            await first.close()
            assert (await request(path, {"op": "devices"}))[0]["address"] == ADDRESS

    asyncio.run(scenario())


def test_faults_a_model_cannot_have_are_refused_with_the_ones_it_can() -> None:
    multi = find_profile("IQOS 3 Multi")
    check_faults(multi, ["ambient_too_hot"])
    with pytest.raises(ControlError, match="IQOS 3 Multi cannot have fault 'cleaning_needed'"):
        check_faults(multi, ["cleaning_needed"])
    with pytest.raises(ControlError, match=r"unknown fault 'nope'; IQOS 3 DUO takes: .*cleaning"):
        check_faults(find_profile("IQOS 3 DUO"), ["nope"])


def test_a_refused_action_is_told_apart_from_a_bad_request(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"

    async def scenario() -> None:
        async with await serve_control(Control([subject()]), path):
            with pytest.raises(ActionRefused, match="refused to puff: no heating session"):
                await request(path, {"op": "act", "device": ADDRESS, "action": "puff"})
            with pytest.raises(ControlError) as bad:
                await request(path, {"op": "act", "device": ADDRESS, "action": "fly"})
            assert not isinstance(bad.value, ActionRefused)

    asyncio.run(scenario())
