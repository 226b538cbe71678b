"""Bad profile YAML names file, key and problem; the control socket answers bad requests."""

import asyncio
import json
from pathlib import Path

import pytest

from iqos.protocol.model import DEFAULT_PROFILES
from simulator.clock import SimulatedClock
from simulator.control import Control, ControlError, request, serve_control
from simulator.device import SimulatedDevice
from simulator.profile import ProfileError, find_profile, load_profile, load_profiles

GOOD = (DEFAULT_PROFILES / "iqos-3-duo.yaml").read_text()


def test_every_shipped_profile_loads() -> None:
    assert set(load_profiles()) == {"iqos-2.4-plus", "iqos-3-duo", "iqos-3-multi"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("protocol: [unclosed", "not valid YAML"),
        (
            GOOD.replace("advertising_interval_ms: 20", "advertising_interval_ms: fast"),
            "timings.advertising_interval_ms: 'fast' is not of type 'number'",
        ),
        (
            GOOD.replace("  serial:", "  colour: red\n  serial:"),
            "identity: Additional properties are not allowed ('colour'",
        ),
        (
            GOOD.replace("  name_prefix: IQOS 3 DUO             # assumed\n", ""),
            "protocol: 'name_prefix' is a required property",
        ),
        (
            GOOD.replace("capabilities: [holder,", "capabilities: [teleport, holder,"),
            "protocol.capabilities.0: 'teleport' is not one of",
        ),
        (
            GOOD.replace("sessions_per_charge: 2", "sessions_per_charge: 0"),
            "protocol.sessions_per_charge: 0 is less than the minimum of 1",
        ),
        (
            GOOD.replace("holders: 1", "holders: -3"),
            "protocol.holders: -3 is less than the minimum of 0",
        ),
        (
            GOOD.replace("register: 0x0A0", "register: 0x7FFF"),
            "protocol.reset.register: 32767 is greater than the maximum of 1023",
        ),
        (
            GOOD.replace("  holders: 1", "  holderz: 1\n  holders: 1"),
            "protocol: Additional properties are not allowed ('holderz'",
        ),
        (
            GOOD.replace('serial: "T3DUO00012345678"', 'serial: "T3DUÖ0012345678"'),
            "identity.serial: 'T3DUÖ0012345678' does not match",
        ),
        ("- a list\n- not a profile\n", "(top level): ['a list', 'not a profile'] is not of type"),
        (
            GOOD.replace("level: 90", "level: 190"),
            "state.charger.level: 190 is greater than the maximum of 100",
        ),
    ],
)
def test_bad_profiles_name_file_key_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_a_profile_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("Philip Morris", "Philip Mörris").encode("latin-1"))
    with pytest.raises(ProfileError, match=f"{path}: not UTF-8 text"):
        load_profile(path)


def test_unknown_model_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match=r"unknown model 'IQOS 9'; known: iqos-2\.4-plus"):
        find_profile("IQOS 9")


def test_control_socket_rejects_malformed_requests_and_keeps_serving(tmp_path: Path) -> None:
    subject = SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), "C0:11:22:33:44:55")
    control = Control([subject])
    path = tmp_path / "control.sock"

    async def scenario() -> list[str]:
        server = await serve_control(control, path)
        errors = []
        async with server:
            reader, writer = await asyncio.open_unix_connection(str(path))
            for line in (
                b"not json\n",
                b"[1, 2]\n",
                b'{"op": "inject", "device": "C0:11:22:33:44:55"}\n',
                b'{"op": "inject", "device": "nobody", "fault": "x"}\n',
                b'{"op": "inject", "device": "C0:11:22:33:44:55", "fault": "bogus"}\n',
                b'{"op": "teleport", "device": "C0:11:22:33:44:55"}\n',
            ):
                writer.write(line)
                reply = json.loads(await asyncio.wait_for(reader.readline(), 5))
                assert reply["ok"] is False
                errors.append(reply["error"])
            writer.close()
            state = await request(
                path, {"op": "inject", "device": subject.name, "fault": "ambient_too_hot"}
            )
            assert "ambient_too_hot" in state["faults"]
            state = await request(
                path, {"op": "act", "device": subject.name, "action": "remove_holder"}
            )
            assert state["holder"]["in_charger"] is False
            with pytest.raises(ControlError, match="no physical action 'fly'"):
                await request(path, {"op": "act", "device": subject.name, "action": "fly"})
            with pytest.raises(ControlError, match="unknown fault"):
                await request(path, {"op": "inject", "device": subject.name, "fault": "bogus"})
        return errors

    errors = asyncio.run(scenario())
    assert errors[0].startswith("not JSON")
    assert "JSON object" in errors[1]
    assert "needs 'fault'" in errors[2]
    assert "no device 'nobody'" in errors[3]
    assert "unknown fault 'bogus'" in errors[4]
    assert "unknown op 'teleport'" in errors[5]


def test_request_to_no_simulator_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ControlError, match="no simulator at"):
        asyncio.run(request(tmp_path / "absent.sock", {"op": "devices"}))


def test_control_socket_answers_once_the_radio_follows_and_says_when_it_did_not(
    tmp_path: Path,
) -> None:
    subject = SimulatedDevice(find_profile("IQOS 3 DUO"), SimulatedClock(), "C0:11:22:33:44:55")
    radio_asked = asyncio.Event()
    radio_done = asyncio.Event()
    radio_failure: list[Exception] = []

    async def settled() -> None:
        radio_asked.set()
        await radio_done.wait()
        if radio_failure:
            raise radio_failure.pop()

    path = tmp_path / "control.sock"

    async def scenario() -> None:
        server = await serve_control(Control([subject], settled=settled), path)
        async with server:
            subject.bonded("00:AA:01:03:00:03")
            prepare = asyncio.ensure_future(
                request(path, {"op": "act", "device": subject.name, "action": "prepare"})
            )
            await radio_asked.wait()
            assert not prepare.done(), "answered before the radio showed the reset"
            radio_done.set()
            assert (await prepare)["bonds"] == []
            radio_failure.append(RuntimeError("org.bluez.Error.Failed: no such adapter"))
            with pytest.raises(ControlError, match=r"radio did not follow: .*no such adapter"):
                await request(path, {"op": "state", "device": subject.name})

    asyncio.run(scenario())
