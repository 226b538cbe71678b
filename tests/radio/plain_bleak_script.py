"""A bleak script that knows nothing of this project: connect, read, report, hold on.

python plain_bleak_script.py ADDRESS CHARACTERISTIC_UUID
"""

import asyncio
import sys

from bleak import BleakClient


async def main(address: str, uuid: str) -> None:
    async with BleakClient(address, timeout=10.0) as client:
        value = await client.read_gatt_char(uuid)
        print(f"read {value.hex()}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
