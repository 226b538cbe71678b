"""GATT UUIDs of the IQOS RRP service and the standard services around it."""

from typing import Final

RRP_SERVICE: Final = "daebb240-b041-11e4-9e45-0002a5d5c51b"
SCP_CONTROL_POINT: Final = "e16c6e20-b041-11e4-a4c3-0002a5d5c51b"
BATTERY_INFORMATION: Final = "f8a54120-b041-11e4-9be7-0002a5d5c51b"
DEVICE_STATUS: Final = "ecdfa4c0-b041-11e4-8b67-0002a5d5c51b"
FIRMWARE_UPGRADE_CONTROL: Final = "fe272aa0-b041-11e4-87cb-0002a5d5c51b"
FIRMWARE_UPGRADE_STATUS: Final = "15c32c40-b042-11e4-a643-0002a5d5c51b"
UNKNOWN_WRITE_NO_RESPONSE: Final = "0aff6f80-b042-11e4-9b66-0002a5d5c51b"
UNKNOWN_WRITE_NOTIFY: Final = "04941060-b042-11e4-8bf6-0002a5d5c51b"


def sig_uuid(short: int) -> str:
    """Expand a 16-bit Bluetooth SIG UUID into the 128-bit string form bleak uses."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


GENERIC_ACCESS: Final = sig_uuid(0x1800)
GENERIC_ATTRIBUTE: Final = sig_uuid(0x1801)
DEVICE_INFORMATION: Final = sig_uuid(0x180A)
DEVICE_NAME: Final = sig_uuid(0x2A00)
APPEARANCE: Final = sig_uuid(0x2A01)
PERIPHERAL_PREFERRED_CONNECTION_PARAMETERS: Final = sig_uuid(0x2A04)
SERVICE_CHANGED: Final = sig_uuid(0x2A05)
MODEL_NUMBER: Final = sig_uuid(0x2A24)
SERIAL_NUMBER: Final = sig_uuid(0x2A25)
SOFTWARE_REVISION: Final = sig_uuid(0x2A28)
MANUFACTURER_NAME: Final = sig_uuid(0x2A29)
