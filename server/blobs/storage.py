"""Where blob bytes live. The service sees only `BlobStorage`, so an S3-compatible store
can take the place of the file system without touching it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

# A blob's sha256, optionally followed by the name of a copy derived from it ("<sha>.noloc2").
KEY = re.compile(r"^[0-9a-f]{64}(\.[a-z][a-z0-9]{0,15})?$")
TEMP_PREFIX = ".incoming-"


# Checkable at run time because Litestar validates what it injects into handlers.
@runtime_checkable
class BlobStorage(Protocol):
    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`: afterwards the key holds all of it, never a part."""

    async def get(self, key: str) -> bytes | None: ...

    async def exists(self, key: str) -> bool: ...

    async def size(self, key: str) -> int | None: ...


class FileStorage:
    """Files under `root`, fanned out by the first two byte pairs of the hash
    (`ab/cd/abcd...`) so that no directory grows past a few thousand entries."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        if not KEY.match(key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(_write_atomically, self.path(key), data)

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(_read, self.path(key))

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)

    async def size(self, key: str) -> int | None:
        return await asyncio.to_thread(_size, self.path(key))


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the final name, flush to disk, then rename over it: a crash leaves
    either no file or the whole file under `path`, and at worst a stray temporary one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX keeps directory entries in the directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None
