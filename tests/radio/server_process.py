"""A separate process for the cross-process tests: an HCI server and a bare peripheral.

    python -m tests.radio.server_process [--snoop-dir DIR]

Prints the transport spec for clients, then the peripheral's address, then
serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from simulator.radio.hci_server import LOOPBACK, HciServer
from simulator.radio.link import VirtualLink
from tests.radio.peripheral import BarePeripheral


async def serve(snoop_dir: Path | None) -> None:
    link = VirtualLink()
    async with HciServer(link, snoop_dir) as server:
        port = await server.listen_tcp()
        peripheral = BarePeripheral(link.add_device("peripheral"))
        await peripheral.start()
        print(f"tcp-client:{LOOPBACK}:{port}", flush=True)
        print(peripheral.address, flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snoop-dir", type=Path, default=None)
    asyncio.run(serve(parser.parse_args().snoop_dir))


if __name__ == "__main__":
    main()
