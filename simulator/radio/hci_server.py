"""HCI over TCP (127.0.0.1 only) and unix sockets: a controller per client on a VirtualLink.

Each client (a bumble host in another process: the bleak backend, a peripheral,
`bumble-*` tools with `tcp-client:127.0.0.1:PORT`) gets its own controller on
the link, as if it had plugged in its own USB dongle. When its socket closes,
for whatever reason, including SIGKILL, the controller leaves the link: its
peers see a supervision timeout (HCI error 0x08), as on air, so a peripheral
goes back to advertising instead of holding a connection to nobody.

    python -m simulator.radio.hci_server --port 0 --unix /tmp/hci.sock --snoop-dir captures/
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
from pathlib import Path
from typing import IO

from bumble.snoop import BtSnooper
from bumble.transport.common import PacketParser

from simulator.radio.link import VirtualController, VirtualLink

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class _HostSink:
    """The controller's way to its host: H4 bytes onto the client's socket."""

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self._transport = transport

    def on_packet(self, packet: bytes) -> None:
        if not self._transport.is_closing():
            self._transport.write(packet)


class _ClientConnection(asyncio.Protocol):
    """One client socket: bytes in are parsed by bumble into HCI packets for its controller."""

    def __init__(self, server: HciServer) -> None:
        self._server = server
        self.controller: VirtualController | None = None
        self._parser: PacketParser | None = None
        self._capture: IO[bytes] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        server = self._server
        name = f"hci-client-{next(server.numbers)}"
        controller = VirtualController(name, server.link)
        controller.host = _HostSink(transport)
        controller.host_backlog = transport.get_write_buffer_size
        if server.snoop_dir is not None:
            server.snoop_dir.mkdir(parents=True, exist_ok=True)
            self._capture = (server.snoop_dir / f"{name}.btsnoop").open("wb")
            controller.snooper = BtSnooper(self._capture)
        self.controller = controller
        self._parser = PacketParser(controller)
        server.client_joined(self)
        logger.debug("%s connected", name)

    def data_received(self, data: bytes) -> None:
        assert self._parser is not None
        try:
            self._parser.feed_data(data)
        except Exception:
            # A host that sends garbage is gone as far as HCI is concerned.
            logger.exception("bad HCI data from %s", self.controller and self.controller.name)
            self._parser.reset()

    def connection_lost(self, exc: Exception | None) -> None:
        controller = self.controller
        if controller is not None:
            logger.debug("%s disconnected (%s)", controller.name, exc)
            self._server.link.remove_controller(controller)
            controller.host = None
            controller.snooper = None
        if self._capture is not None:
            self._capture.close()
            self._capture = None
        self._server.client_left(self)


class HciServer:
    """Serves HCI to other processes on one VirtualLink, one controller per client."""

    def __init__(self, link: VirtualLink, snoop_dir: Path | str | None = None) -> None:
        self.link = link
        self.snoop_dir = Path(snoop_dir) if snoop_dir is not None else None
        """If set, each client's HCI traffic is written to <dir>/hci-client-N.btsnoop."""
        self.clients: set[_ClientConnection] = set()
        self.numbers = itertools.count(1)
        self._servers: list[asyncio.Server] = []
        self._idle = asyncio.Event()
        self._idle.set()

    def client_joined(self, client: _ClientConnection) -> None:
        self.clients.add(client)
        self._idle.clear()

    def client_left(self, client: _ClientConnection) -> None:
        self.clients.discard(client)
        if not self.clients:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Until no client is connected and every capture file is closed."""
        await self._idle.wait()

    @property
    def controllers(self) -> list[VirtualController]:
        return [c.controller for c in self.clients if c.controller is not None]

    async def listen_tcp(self, port: int = 0) -> int:
        """Listen on 127.0.0.1 (never another interface); returns the port."""
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _ClientConnection(self), LOOPBACK, port)
        self._servers.append(server)
        bound: int = server.sockets[0].getsockname()[1]
        return bound

    async def listen_unix(self, path: Path | str) -> Path:
        loop = asyncio.get_running_loop()
        target = Path(path)
        # A socket file left by an earlier server would make the bind fail.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        server = await loop.create_unix_server(lambda: _ClientConnection(self), str(target))
        self._servers.append(server)
        return target

    async def close(self) -> None:
        """Stop listening and drop every client, as if each had gone away."""
        for server in self._servers:
            server.close()
        for client in list(self.clients):
            client.connection_lost(None)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    async def __aenter__(self) -> HciServer:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


async def serve(port: int | None, unix: Path | None, snoop_dir: Path | None) -> None:
    link = VirtualLink()
    server = HciServer(link, snoop_dir)
    if port is not None:
        bound = await server.listen_tcp(port)
        print(f"tcp-client:{LOOPBACK}:{bound}", flush=True)
    if unix is not None:
        await server.listen_unix(unix)
        print(f"unix:{unix}", flush=True)
    async with server:
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None, help="TCP port on 127.0.0.1 (0: any)")
    parser.add_argument("--unix", type=Path, default=None, help="unix socket path")
    parser.add_argument("--snoop-dir", type=Path, default=None, help="btsnoop file per client")
    args = parser.parse_args(argv)
    if args.port is None and args.unix is None:
        args.port = 0
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.unix, args.snoop_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
