from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import Settings, SettingsError


def test_the_blob_size_limit_defaults_to_15_mib_and_is_read_from_the_environment(tmp_path: Path):
    env = {"ROUNDKEEPER_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(env).blob_max_bytes == 15 * 1024 * 1024
    assert Settings.from_env({**env, "ROUNDKEEPER_BLOB_MAX_BYTES": "2000000"}).blob_max_bytes == (
        2_000_000
    )


@pytest.mark.parametrize("value", ["0", "-5", "15MB"])
def test_a_blob_size_limit_that_is_not_a_positive_number_names_its_variable(
    tmp_path: Path, value: str
):
    env = {"ROUNDKEEPER_DATA_DIR": str(tmp_path), "ROUNDKEEPER_BLOB_MAX_BYTES": value}
    with pytest.raises(SettingsError, match="ROUNDKEEPER_BLOB_MAX_BYTES"):
        Settings.from_env(env)
