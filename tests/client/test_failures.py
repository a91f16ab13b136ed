"""What a failed request raises: ConnectError for connections never made, and the bounded
retries of reads that time out (writes are never re-sent after a timeout)."""

from __future__ import annotations

import pytest
from client_fakes import FakeController, fast_client, hang

from aiolinstor._errors import (
    ConnectError,
    ControllersUnavailable,
    RequestTimeout,
    TransportError,
)

NODES = "/v1/nodes"
RD_LIST = "/v1/resource-definitions"


async def test_refused_connection_is_a_connect_error(dead_url: str) -> None:
    async with fast_client(dead_url, retries=1) as client:
        with pytest.raises(ControllersUnavailable) as info:
            await client.list_nodes()
    ((url, why),) = info.value.failures
    assert url == dead_url
    assert type(why) is ConnectError
    assert isinstance(why, TransportError)
    assert "cannot connect" in str(why)


async def test_failures_name_each_controller_with_its_error(
    dead_url: str, fake: FakeController
) -> None:
    fake.on("GET", NODES, handler=hang(fake))
    async with fast_client([dead_url, fake.url], timeout=0.3, retries=1) as client:
        await client.controller_version()  # from fake, after the refusal: now the active one
        with pytest.raises(ControllersUnavailable) as info:
            await client.list_nodes()
    failures = dict(info.value.failures)
    assert set(failures) == {dead_url, fake.url}
    assert type(failures[dead_url]) is ConnectError
    assert type(failures[fake.url]) is RequestTimeout
    assert fake.paths("GET").count(NODES) == 2  # retries + 1 rounds


async def test_get_timing_out_everywhere_is_retried_on_each_controller(
    fake: FakeController, fake2: FakeController
) -> None:
    fake.on("GET", NODES, handler=hang(fake))
    fake2.on("GET", NODES, handler=hang(fake2))
    async with fast_client([fake.url, fake2.url], timeout=0.3, retries=1) as client:
        await client.controller_version()
        with pytest.raises(RequestTimeout, match="no answer from any of") as info:
            await client.list_nodes()
    assert type(info.value) is RequestTimeout
    assert fake.paths("GET").count(NODES) == 2
    assert fake2.paths("GET").count(NODES) == 2


async def test_timed_out_get_stops_at_retry_max_time(fake: FakeController) -> None:
    """Each round takes the 0.3 s timeout, more than the 0.1 s budget: no second round."""
    fake.on("GET", NODES, handler=hang(fake))
    async with fast_client(fake.url, timeout=0.3, retries=50, retry_max_time=0.1) as client:
        await client.controller_version()
        with pytest.raises(RequestTimeout):
            await client.list_nodes()
    assert fake.paths("GET").count(NODES) == 1


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_timed_out_write_is_sent_once(fake: FakeController, method: str) -> None:
    path = RD_LIST if method == "POST" else f"{RD_LIST}/rsc1"
    fake.on(method, path, handler=hang(fake))
    async with fast_client(fake.url, timeout=0.3, retries=3) as client:
        with pytest.raises(RequestTimeout) as info:
            if method == "POST":
                await client.create_resource_definition("rsc1")
            elif method == "PUT":
                await client.modify_resource_definition("rsc1", override_props={"Aux/a": "b"})
            else:
                await client.delete_resource_definition("rsc1")
    assert type(info.value) is RequestTimeout
    assert fake.paths(method) == [path]
