"""A worker that takes an IQOS 3 DUO place and holds it until it is killed.

python -m tests.labgrid.worker COORDINATOR USER
"""

from __future__ import annotations

import asyncio
import sys

from harness.farm.places import Places


async def hold(coordinator: str, user: str) -> None:
    places = Places(coordinator, "test-host", user, 30.0)
    await places.open()
    held = await places.take({"model": "iqos-3-duo"})
    print(held.name, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(hold(sys.argv[1], sys.argv[2]))
