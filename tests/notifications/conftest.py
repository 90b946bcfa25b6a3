from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from ipaddress import ip_address

import httpx
import msgspec
import pytest
import uvicorn

from server.app import create_app
from server.notifications import destinations
from tests.conftest import Server
from tests.notifications.receiver import Receiver

PUBLIC = "93.184.216.34"


class Names:
    """Stands in for DNS, so that no test here asks the network: a name resolves to the
    addresses `set` gave it (none: it does not resolve), any other name to one public
    address."""

    def __init__(self) -> None:
        self.table: dict[str, tuple[str, ...]] = {}
        self.asked: list[str] = []

    def set(self, name: str, *addresses: str) -> None:
        self.table[name] = addresses

    async def resolve(self, host: str) -> list[destinations.IPAddress]:
        self.asked.append(host)
        addresses = self.table.get(host, (PUBLIC,))
        if not addresses:
            raise destinations.DestinationUnresolvable(f"{host} could not be resolved")
        return [ip_address(address) for address in addresses]


@pytest.fixture(autouse=True)
def names(monkeypatch: pytest.MonkeyPatch) -> Names:
    """The server under test runs in this process: it resolves through this too."""
    stand_in = Names()
    monkeypatch.setattr(destinations, "resolve", stand_in.resolve)
    return stand_in


@pytest.fixture(scope="session")
async def strict_server(server: Server) -> AsyncIterator[str]:
    """A second server, on the same database, without ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE
    (the session server allows the receivers' loopback). Its start-up hooks are skipped:
    the session server has already bound the tables to this database."""
    settings = msgspec.structs.replace(server.settings, webhook_allow_private=())
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    strict = uvicorn.Server(config)
    task = asyncio.create_task(strict.serve())
    while not strict.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{strict.servers[0].sockets[0].getsockname()[1]}"
    strict.should_exit = True
    await task


@pytest.fixture
async def strict_api(clean: Server, strict_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=strict_server, timeout=30) as client:
        yield client


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
