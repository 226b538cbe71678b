"""bumble UUIDs as the 128-bit lower-case strings bleak uses everywhere."""

import uuid

from bumble.core import UUID


def bleak_uuid(value: UUID) -> str:
    return str(uuid.UUID(bytes=value.to_bytes(force_128=True)[::-1]))
