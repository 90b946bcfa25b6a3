from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.blobs import storage
from server.blobs.storage import TEMP_PREFIX, BlobStorage, FileStorage
from tests.blobs.pictures import sha256


def temporary_files(root: Path) -> list[Path]:
    return list(root.rglob(f"{TEMP_PREFIX}*"))


async def test_files_are_fanned_out_by_the_start_of_their_hash(tmp_path: Path):
    files = FileStorage(tmp_path)
    assert isinstance(files, BlobStorage)
    name = sha256(b"photo")
    await files.put(name, b"photo")
    assert (tmp_path / name[:2] / name[2:4] / name).read_bytes() == b"photo"
    assert await files.get(name) == b"photo"
    assert await files.exists(name) and await files.size(name) == 5
    missing = sha256(b"nothing")
    assert await files.get(missing) is None
    assert not await files.exists(missing) and await files.size(missing) is None


@pytest.mark.parametrize("key", ["../../etc/passwd", "A" * 64, "ab", "a" * 64 + "/x", ""])
def test_only_blob_names_are_keys(tmp_path: Path, key: str):
    with pytest.raises(ValueError, match="not a blob key"):
        FileStorage(tmp_path).path(key)


async def test_a_write_that_fails_before_the_rename_leaves_the_old_file_and_no_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    files = FileStorage(tmp_path)
    name = sha256(b"first")
    await files.put(name, b"first")

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(storage.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        await files.put(name, b"second, never complete")
    with pytest.raises(OSError, match="disk full"):
        await files.put(sha256(b"new"), b"new")
    assert await files.get(name) == b"first"
    assert not await files.exists(sha256(b"new"))
    assert temporary_files(tmp_path) == []


async def test_a_write_is_flushed_to_disk_before_it_gets_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(source: str, target: Path) -> None:
        assert Path(source).parent == Path(target).parent  # same directory: atomic rename
        events.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(storage.os, "fsync", fsync)
    monkeypatch.setattr(storage.os, "replace", replace)
    await FileStorage(tmp_path).put(sha256(b"x"), b"x")
    assert events == ["fsync", "replace", "fsync"]
