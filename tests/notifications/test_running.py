"""Running the dispatcher: inside the server process (a loop that survives a failing pass
and stops cleanly), and as `roundkeeper notify run-once` from a timer."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.notifications.runner import BackgroundDispatcher
from server.settings import Settings, SettingsError
from tests.conftest import PUBLIC_URL
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit
from tests.notifications.helpers import QUICK, add_webhook

BIN = Path(sys.executable).parent / "roundkeeper"


async def a_high_finding_for(api, receiver) -> None:
    school, admin, inspector, asset = await extinguisher_school()
    await add_webhook(api, admin, school, receiver.url(), ["finding.high"])
    body = submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"))
    assert (await submit(api, inspector, body)).status_code == 201


async def wait_for(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not within the time allowed")


async def test_the_in_process_dispatcher_sends_and_stops_cleanly(api, receiver):
    await a_high_finding_for(api, receiver)
    dispatcher = BackgroundDispatcher(enabled=True, interval_s=0.05, policy=QUICK)
    await dispatcher.start()
    try:
        await wait_for(lambda: len(receiver.requests) == 1)
        await wait_for(lambda: dispatcher.passes >= 3)
    finally:
        await dispatcher.stop()
    task_count = len([t for t in asyncio.all_tasks() if t.get_name() == "roundkeeper-notify"])
    assert task_count == 0
    assert len(receiver.requests) == 1


async def test_a_failing_pass_is_logged_and_the_loop_goes_on(caplog):
    calls = 0

    async def flaky(**_):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database restarting")

    dispatcher = BackgroundDispatcher(enabled=True, interval_s=0.01, run=flaky)
    with caplog.at_level(logging.ERROR, logger="roundkeeper.notifications"):
        await dispatcher.start()
        await wait_for(lambda: calls >= 3)
        await dispatcher.stop()
    assert "a dispatcher pass failed" in caplog.text
    assert "database restarting" in caplog.text


async def test_stopping_cancels_a_pass_that_hangs():
    started = asyncio.Event()

    async def hangs(**_):
        started.set()
        await asyncio.sleep(3600)

    dispatcher = BackgroundDispatcher(enabled=True, interval_s=1, run=hangs, stop_grace_s=0.05)
    await dispatcher.start()
    await started.wait()
    await asyncio.wait_for(dispatcher.stop(), 2)


async def test_switched_off_it_runs_nothing():
    async def never(**_):
        raise AssertionError("ran")

    dispatcher = BackgroundDispatcher(enabled=False, interval_s=0.01, run=never)
    await dispatcher.start()
    await asyncio.sleep(0.05)
    await dispatcher.stop()
    assert dispatcher.passes == 0


def test_it_runs_in_process_by_default_in_development_only(tmp_path: Path):
    env = {"ROUNDKEEPER_DATA_DIR": str(tmp_path)}
    development = Settings.from_env(env)
    assert development.notify_in_process and development.notify_interval_s == 30
    production = Settings.from_env(
        {**env, "ROUNDKEEPER_ENV": "production", "ROUNDKEEPER_SECRET_KEY": "k" * 40}
    )
    assert not production.notify_in_process
    chosen = Settings.from_env(
        {**env, "ROUNDKEEPER_NOTIFY_IN_PROCESS": "false", "ROUNDKEEPER_NOTIFY_INTERVAL_S": "5"}
    )
    assert not chosen.notify_in_process and chosen.notify_interval_s == 5
    with pytest.raises(SettingsError, match="ROUNDKEEPER_NOTIFY_IN_PROCESS must be true or false"):
        Settings.from_env({**env, "ROUNDKEEPER_NOTIFY_IN_PROCESS": "sometimes"})
    with pytest.raises(SettingsError, match="ROUNDKEEPER_NOTIFY_INTERVAL_S must be at least 1"):
        Settings.from_env({**env, "ROUNDKEEPER_NOTIFY_INTERVAL_S": "0"})


async def test_notify_run_once_from_the_command_line(api, clean, receiver, tmp_path):
    await a_high_finding_for(api, receiver)
    env = {
        **os.environ,
        "ROUNDKEEPER_DATABASE_URL": clean.settings.database_url,
        "ROUNDKEEPER_DATA_DIR": str(tmp_path),
        "ROUNDKEEPER_PUBLIC_URL": PUBLIC_URL,
        "ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE": "127.0.0.1/32",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [str(BIN), "notify", "run-once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 new deliveries; sent 1" in done.stdout
    assert len(receiver.requests) == 1
