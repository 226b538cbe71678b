"""`iqos-sim serve` as a user runs it, when something is wrong: one line on
standard error and exit 2, before any device starts; and the control socket's
path is taken only from nobody, and given back at exit."""

import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def iqos_sim(*args: str, socket_path: Path) -> subprocess.CompletedProcess[str]:
    """With the socket path in IQOS_SIM_SOCKET, as docs/cli.md tells users to set it."""
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "IQOS_SIM_SOCKET": str(socket_path)},
    )


def assert_one_line(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("serve", "--model", "IQOS 3 Multi", "--fault", "cleaning_needed"),
            "iqos-sim: IQOS 3 Multi cannot have fault 'cleaning_needed'; "
            "IQOS 3 Multi takes: ambient_too_cold, ambient_too_hot, charger_defect",
        ),
        (("serve", "--fault", "nope"), "unknown fault 'nope'; IQOS 3 DUO takes: ambient_too_cold"),
        (("serve", "--model", "IQOS 9"), "unknown model 'IQOS 9'; known: iqos-2.4-plus"),
        (("serve", "--count", "0"), "--count must be at least 1, not 0"),
        (("serve", "--count", "many"), "argument --count: invalid int value: 'many'"),
        (("serve", "--radio", "bluez"), "--radio bluez needs --adapter hciN"),
        (("teleport",), "invalid choice: 'teleport' (choose from 'faults', 'serve'"),
    ],
)
def test_bad_serve_arguments_exit_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "sim.sock"
    assert_one_line(iqos_sim(*args, socket_path=path), message)
    assert not path.exists(), "refused before the control socket starts"


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_a_path_that_is_not_a_socket_is_left_alone(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "sim.sock"
    if kind == "file":
        path.write_text("notes\n")
    else:
        path.mkdir()
    result = iqos_sim("serve", socket_path=path)
    assert_one_line(result, f"iqos-sim: {path} exists and is not a socket, so it is left alone")
    if kind == "file":
        assert path.read_text() == "notes\n"
    else:
        assert path.is_dir()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_takes_a_stale_socket_refuses_to_share_and_cleans_up(
    tmp_path: Path, stop: signal.Signals
) -> None:
    path = tmp_path / "sim.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # what a killed server leaves: a socket file nobody answers on
    server = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", "--socket", str(path), "serve"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        address = server.stdout.readline().split("  ")[1]
        assert server.stdout.readline() == f"control socket: {path}\n"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        second = iqos_sim("serve", socket_path=path)
        assert_one_line(second, f"iqos-sim: a simulator already serves {path}")
        injected = iqos_sim("inject", address.lower(), "ambient_too_hot", socket_path=path)
        assert injected.returncode == 0, injected.stderr
        assert '"ambient_too_hot"' in injected.stdout
        server.send_signal(stop)
        assert server.wait(10) == 0
        assert not path.exists(), "the socket file goes with its server"
    finally:
        server.kill()
        server.wait()
