from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notifications.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()
