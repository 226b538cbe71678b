"""`iqos-sim serve --panel` as a user runs it: the URL it prints, where it listens, the
token when bound elsewhere, and one line with exit 2 when the port is taken."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LISTEN = "0A"
"""The state of a listening socket in /proc/net/tcp."""


@contextmanager
def serving(sim_socket: Path, *options: str) -> Iterator[str]:
    """`iqos-sim serve` with the options, and the panel URL it printed; stopped with
    SIGTERM afterwards, which must end it cleanly."""
    server = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", "--socket", str(sim_socket), "serve", *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        said = []
        while not (line := server.stdout.readline()).startswith("panel: "):
            assert line, f"serve ended before printing the panel's URL: {said}"
            said.append(line)
        yield line.removeprefix("panel: ").strip()
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def call(url: str, body: dict[str, object] | None = None) -> tuple[int, Any]:
    """The status of a GET (or, with a body, a JSON POST), and the JSON answer if any."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=10) as r:
            text = r.read()
            is_json = r.headers.get_content_type() == "application/json"
            return int(r.status), json.loads(text) if is_json else None
    except urllib.error.HTTPError as error:
        return error.code, None


def listeners(port: int) -> list[str]:
    """The local addresses listening on `port`, as the kernel lists them (hex)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if int(hex_port, 16) == port and state == LISTEN:
                found.append(address)
    return found


def iqos_sim(sim_socket: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", "--socket", str(sim_socket), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_panel_listens_on_loopback_and_agrees_with_the_socket(tmp_path: Path) -> None:
    sim_socket = tmp_path / "sim.sock"
    with serving(sim_socket, "--panel", "0") as url:
        assert url.startswith("http://127.0.0.1:") and "token" not in url
        port = int(url.rsplit(":", 1)[1].strip("/"))
        assert listeners(port) == ["0100007F"], "127.0.0.1 only"
        assert call(url)[0] == 200
        name = call(f"{url}control", {"op": "devices"})[1]["result"][0]["name"]
        inject = {"op": "inject", "device": name, "fault": "ambient_too_cold"}
        assert call(f"{url}control", inject)[0] == 200
        state = iqos_sim(sim_socket, "state", name)
        assert '"ambient_too_cold"' in state.stdout, state.stderr


def test_bound_elsewhere_the_printed_url_carries_the_token(tmp_path: Path) -> None:
    with serving(tmp_path / "sim.sock", "--panel", "0", "--panel-bind", "0.0.0.0") as url:
        port = int(url.split(":")[2].split("/")[0])
        token = url.split("?token=")[1]
        assert len(token) >= 32
        local = f"http://127.0.0.1:{port}/"
        assert call(local)[0] == 403
        assert call(f"{local}?token={token}")[0] == 200


def test_a_taken_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    sim_socket = tmp_path / "sim.sock"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = iqos_sim(sim_socket, "serve", "--panel", str(port))
    assert result.returncode == 2
    assert result.stderr.startswith(f"iqos-sim: cannot serve the panel on 127.0.0.1:{port}: ")
    assert result.stderr.count("\n") == 1
    assert not sim_socket.exists(), "the control socket goes too"
