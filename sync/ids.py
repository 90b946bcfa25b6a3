"""UUIDv7 ids, made on the device for everything it creates.

The standard library has no UUIDv7 before Python 3.14, and this package imports only the
standard library, msgspec and httpx, so the layout is written out (RFC 9562 5.7): 48 bits
of Unix time in milliseconds, the version (7), 12 random bits, the variant (0b10), 62
random bits. Ids made in the same millisecond are not ordered among themselves; nothing
relies on that (a device's ops are ordered by `device_seq`).
"""

import os
import time
import uuid


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68) << 64 | 0b10 << 62
    return uuid.UUID(int=value | rand & (2**62 - 1))
