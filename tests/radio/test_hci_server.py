"""The HCI server: a controller per client, clean drops, other processes, btsnoop capture."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from bleak import BleakClient, BleakScanner
from bumble import hci

import harness.bleak_backend as backend
from harness.bleak_backend import ENVIRONMENT_VARIABLE, BumbleClient, BumbleScanner
from harness.bleak_backend.radio import ClientRadio
from simulator.radio import snoop
from simulator.radio.hci_server import HciServer
from simulator.radio.link import VirtualLink
from tests.radio.peripheral import (
    ENCRYPTED_UUID,
    READ_UUID,
    READ_VALUE,
    SECRET_VALUE,
    BarePeripheral,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]

WAIT = 10.0
ROOT = Path(__file__).resolve().parents[2]
PLAIN_SCRIPT = Path(__file__).with_name("plain_bleak_script.py")


@pytest_asyncio.fixture
async def server(link: VirtualLink, tmp_path: Path) -> AsyncIterator[HciServer]:
    async with HciServer(link, snoop_dir=tmp_path / "snoop") as server:
        yield server


@pytest.fixture
def no_radio(monkeypatch: pytest.MonkeyPatch) -> None:
    """No in-process link: the backend must find its radio through IQOS_HIL_HCI."""
    monkeypatch.setattr("harness.bleak_backend.radio._current", None)


async def read_line(stream: asyncio.StreamReader) -> str:
    line = await asyncio.wait_for(stream.readline(), WAIT)
    if not line:
        raise AssertionError("the process ended before saying what the test waits for")
    return line.decode().strip()


async def spawn(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
    )


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
    await asyncio.wait_for(process.wait(), WAIT)


@pytest.mark.parametrize("kind", ["tcp", "unix"])
async def test_client_over_hci_transport(
    server: HciServer,
    peripheral: BarePeripheral,
    no_radio: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kind: str,
) -> None:
    if kind == "tcp":
        spec = f"tcp-client:127.0.0.1:{await server.listen_tcp()}"
    else:
        spec = f"unix:{await server.listen_unix(tmp_path / 'hci.sock')}"
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, spec)
    async with BleakClient(peripheral.address, backend=BumbleClient, timeout=WAIT) as client:
        assert await client.read_gatt_char(READ_UUID) == READ_VALUE
        await client.pair()
        assert await client.read_gatt_char(ENCRYPTED_UUID) == SECRET_VALUE
        assert len(server.controllers) == 1
    await backend.current().close()
    await asyncio.wait_for(peripheral.disconnected.wait(), WAIT)


async def test_closed_client_drops_its_links(
    server: HciServer, peripheral: BarePeripheral, no_radio: None
) -> None:
    port = await server.listen_tcp()
    radio = ClientRadio.over_transport(f"tcp-client:127.0.0.1:{port}")
    central = await radio.central()
    await central.connect(peripheral.device.random_address, timeout=WAIT)
    await asyncio.wait_for(peripheral.connected.wait(), WAIT)
    assert peripheral.connection is not None
    reasons: asyncio.Queue[int] = asyncio.Queue()
    peripheral.connection.on(peripheral.connection.EVENT_DISCONNECTION, reasons.put_nowait)
    await radio.close()
    reason = await asyncio.wait_for(reasons.get(), WAIT)
    assert reason == hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR
    assert server.controllers == []
    assert peripheral.device.is_advertising


async def test_snoop_file_per_client(
    server: HciServer,
    peripheral: BarePeripheral,
    no_radio: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    port = await server.listen_tcp()
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, f"tcp-client:127.0.0.1:{port}")
    async with BleakClient(peripheral.address, backend=BumbleClient, timeout=WAIT) as client:
        await client.read_gatt_char(READ_UUID)
    await backend.current().close()
    await asyncio.wait_for(server.wait_idle(), WAIT)
    [capture] = (tmp_path / "snoop").iterdir()
    check_capture(capture)


async def test_in_process_capture(
    link: VirtualLink, radio: ClientRadio, peripheral: BarePeripheral, tmp_path: Path
) -> None:
    central = await radio.central()
    with snoop.capture(link.controller_of(central), tmp_path / "central.btsnoop") as path:
        async with BleakClient(peripheral.address, backend=BumbleClient, timeout=WAIT) as client:
            await client.read_gatt_char(READ_UUID)
    check_capture(path)


def check_capture(path: Path) -> None:
    records = snoop.read(path)
    sent = [r for r in records if not r.received]
    received = [r for r in records if r.received]
    assert sent and received
    packet_types = {r.packet[0] for r in records}
    assert {hci.HCI_COMMAND_PACKET, hci.HCI_EVENT_PACKET, hci.HCI_ACL_DATA_PACKET} <= packet_types
    assert all(r.is_command_or_event == (r.packet[0] != hci.HCI_ACL_DATA_PACKET) for r in records)
    assert READ_VALUE in b"".join(r.packet for r in received)
    tshark = shutil.which("tshark")
    if tshark is not None:
        result = subprocess.run([tshark, "-r", str(path)], capture_output=True, timeout=30)
        assert result.returncode == 0, result.stderr


# --- other processes -----------------------------------------------------------------


@pytest_asyncio.fixture
async def server_process() -> AsyncIterator[tuple[str, str]]:
    """(transport spec, peripheral address): an HCI server and a peripheral in their own process."""
    process = await spawn("-m", "tests.radio.server_process")
    try:
        assert process.stdout is not None
        spec = await read_line(process.stdout)
        address = await read_line(process.stdout)
        yield spec, address
    finally:
        await stop(process)


async def test_bleak_reaches_a_server_in_another_process(
    server_process: tuple[str, str], no_radio: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, address = server_process
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, spec)
    device = await BleakScanner.find_device_by_address(address, timeout=WAIT, backend=BumbleScanner)
    assert device is not None
    async with BleakClient(device, backend=BumbleClient, timeout=WAIT) as client:
        assert await client.read_gatt_char(READ_UUID) == READ_VALUE
    await backend.current().close()


async def test_killed_client_leaves_no_stale_connection(
    server_process: tuple[str, str], no_radio: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, address = server_process
    # A plain bleak script, run unchanged: only the environment points it at the simulator.
    client_process = await spawn(
        "-m",
        "harness.bleak_backend",
        str(PLAIN_SCRIPT),
        address,
        READ_UUID,
        env={ENVIRONMENT_VARIABLE: spec},
    )
    try:
        assert client_process.stdout is not None
        assert await read_line(client_process.stdout) == f"read {READ_VALUE.hex()}"
        os.kill(client_process.pid, signal.SIGKILL)
        await asyncio.wait_for(client_process.wait(), WAIT)
    finally:
        await stop(client_process)
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, spec)
    async with BleakClient(address, backend=BumbleClient, timeout=WAIT) as client:
        assert await client.read_gatt_char(READ_UUID) == READ_VALUE
    await backend.current().close()
