"""Gives a worker's places back when the worker dies.

labgrid's coordinator keeps a place acquired until somebody releases it, and an
acquired reservation never expires: a worker killed mid-run (a CI job cancelled,
an OOM kill, a crashed xdist worker) would hold its places until a person
noticed. So each worker starts a guard, a small process in a session of its
own, and tells it on a pipe which places and reservations it holds:

    hold PLACE | drop PLACE | wait TOKEN | done TOKEN

The pipe closes when the worker exits, however it exits (the kernel closes a
killed process's files). Then the guard releases what it was told is held,
each place only if that worker still holds it (labgrid's `release-from`), and
cancels the reservations first, so that whoever waits for one of those places
gets it as soon as it is released.

    python -m harness.farm.guard COORDINATOR HOST/USER
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Iterable
from typing import IO

RELEASE_SECONDS = 30.0
VERBS = {"hold": "drop", "wait": "done"}
"""Each verb that adds a name, with the verb that takes it away."""


class Guard:
    """The worker's end of the pipe."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    @classmethod
    def spawn(cls, coordinator: str, identity: str) -> Guard:
        """In a session of its own, so that a signal to the worker's process group
        (Ctrl-C, a CI runner stopping a job) does not take the guard along."""
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.farm.guard", coordinator, identity],
            stdin=subprocess.PIPE,
            start_new_session=True,
        )
        return cls(process)

    def tell(self, verb: str, name: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{verb} {name}\n".encode())
        self.process.stdin.flush()

    def close(self) -> None:
        """The worker gave back everything itself: the guard ends with nothing to do."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(RELEASE_SECONDS)


def held(lines: Iterable[str]) -> tuple[set[str], set[str]]:
    """The places and reservation tokens that the worker holds after these lines."""
    kept: dict[str, set[str]] = {verb: set() for verb in VERBS}
    undo = {stop: start for start, stop in VERBS.items()}
    for line in lines:
        verb, _, name = line.strip().partition(" ")
        if verb in kept:
            kept[verb].add(name)
        elif verb in undo:
            kept[undo[verb]].discard(name)
    return kept["hold"], kept["wait"]


async def give_back(coordinator: str, identity: str, places: set[str], tokens: set[str]) -> None:
    import grpc
    from labgrid.remote.generated import labgrid_coordinator_pb2 as messages
    from labgrid.remote.generated.labgrid_coordinator_pb2_grpc import CoordinatorStub
    from labgrid.util.proxy import proxymanager

    address = proxymanager.get_grpc_address(coordinator, default_port=20408)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = CoordinatorStub(channel)
        for token in sorted(tokens):
            with contextlib.suppress(grpc.aio.AioRpcError):
                await stub.CancelReservation(
                    messages.CancelReservationRequest(token=token), timeout=RELEASE_SECONDS
                )
        for place in sorted(places):
            with contextlib.suppress(grpc.aio.AioRpcError):
                await stub.ReleasePlace(
                    messages.ReleasePlaceRequest(placename=place, fromuser=identity),
                    timeout=RELEASE_SECONDS,
                )
                print(f"guard: released {place} of {identity}", file=sys.stderr)


def main(argv: list[str] | None = None, pipe: IO[str] = sys.stdin) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.farm.guard", description=__doc__)
    parser.add_argument("coordinator")
    parser.add_argument("identity", help="the worker's labgrid user, HOST/USER")
    args = parser.parse_args(argv)
    places, tokens = held(pipe)
    if places or tokens:
        asyncio.run(give_back(args.coordinator, args.identity, places, tokens))
    return 0


if __name__ == "__main__":
    sys.exit(main())
