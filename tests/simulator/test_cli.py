"""iqos-sim as a user runs it: a separate serving process, reached over HCI and the
control socket; bad arguments give one clear line and a non-zero exit."""

import subprocess
import sys
from pathlib import Path

PLAIN_BLEAK = """
import asyncio
from bleak import BleakClient, BleakScanner

async def main():
    device = await BleakScanner.find_device_by_filter(
        lambda d, adv: 0x0223 in adv.manufacturer_data, timeout=5)
    async with BleakClient(device) as client:
        await client.pair()
        battery = await client.read_gatt_char("f8a54120-b041-11e4-9be7-0002a5d5c51b")
        print("battery", bytes(battery).hex())

asyncio.run(main())
"""


def iqos_sim(*args: str, socket: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", "--socket", str(socket), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_serve_in_another_process_reached_by_a_plain_bleak_script(tmp_path: Path) -> None:
    socket = tmp_path / "sim.sock"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "--socket",
            str(socket),
            "serve",
            "--model",
            "IQOS 3 Multi",
            "--hci-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(3)]
        name, address = lines[0].split("  ")[:2]
        hci = lines[1].split("IQOS_HIL_HCI=")[1].strip()
        assert lines[2].startswith("control socket:")
        script = tmp_path / "plain.py"
        script.write_text(PLAIN_BLEAK)
        result = subprocess.run(
            [sys.executable, "-m", "harness.bleak_backend", str(script)],
            capture_output=True,
            text=True,
            timeout=30,
            env={"IQOS_HIL_HCI": hci, "PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, result.stderr
        assert "battery 07006417" in result.stdout
        injected = iqos_sim("inject", address, "ambient_too_cold", socket=socket)
        assert injected.returncode == 0, injected.stderr
        assert '"ambient_too_cold"' in injected.stdout
        state = iqos_sim("state", name, socket=socket)
        assert '"bonds": [' in state.stdout and '"pairing_mode": false' in state.stdout
        assert iqos_sim("range", name, "out", socket=socket).returncode == 0
        assert '"in_range": false' in iqos_sim("state", name, socket=socket).stdout
        again = iqos_sim("range", name, "out", socket=socket)
        assert again.returncode == 2 and again.stderr.count("\n") == 1
        assert "out of range already" in again.stderr
        assert iqos_sim("range", name, "back", socket=socket).returncode == 0
        assert '"in_range": true' in iqos_sim("state", name, socket=socket).stdout
    finally:
        server.terminate()
        assert server.wait(10) == 0, "iqos-sim stops on SIGTERM and leaves the air cleanly"


def test_bad_arguments_exit_2_with_one_line(tmp_path: Path) -> None:
    socket = tmp_path / "absent.sock"
    for args, message in (
        (("serve", "--model", "IQOS 9"), "unknown model 'IQOS 9'"),
        (("inject", "X", "no_such_fault"), "unknown fault 'no_such_fault'"),
        (("state", "X"), "no simulator at"),
        (("range", "X", "away"), "invalid choice: 'away'"),
    ):
        result = iqos_sim(*args, socket=socket)
        assert result.returncode == 2
        assert message in result.stderr and result.stderr.count("\n") == 1
