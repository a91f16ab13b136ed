"""Authentication (basic like LDAP, bearer tokens) and HTTPS with a trustme CA."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import aiohttp
import pytest
import trustme

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import AuthConfig, Emulator, Timing

pytestmark = pytest.mark.emulator_only

USER, PASSWORD, TOKEN = "admin", "s3cret-pw", "tok-123456"


@pytest.mark.linstor_emulator(basic_auth=(USER, PASSWORD))
async def test_basic_auth_is_required(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.get("/v1/nodes") as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"] == 'Basic realm="Linstor"'
            entries = await response.json()
        assert rc.matches(entries[0]["ret_code"], rc.FAIL_SIGN_IN_MISSING_CREDENTIALS)
        wrong = {"Authorization": aiohttp.encode_basic_auth(USER, "guess")}
        async with http.get("/v1/nodes", headers=wrong) as response:
            assert response.status == 403
            assert rc.matches((await response.json())[0]["ret_code"], rc.FAIL_SIGN_IN)
        right = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}
        async with http.get("/v1/nodes", headers=right) as response:
            assert response.status == 200
        async with http.get("/_emulator/stats") as response:  # control API needs no login
            assert response.status == 200


@pytest.mark.linstor_emulator(bearer_token=TOKEN)
async def test_bearer_token_is_required(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}):
            async with http.get("/v1/nodes", headers=headers) as response:
                assert response.status == 401
                assert response.headers["WWW-Authenticate"].startswith("Bearer ")
                assert (await response.json())[0]["ret_code"] < 0
        async with http.get("/v1/nodes", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 200
        async with http.get("/health") as response:  # like the real controller
            assert response.status == 200


def test_auth_secrets_stay_out_of_reprs() -> None:
    text = repr(AuthConfig((USER, PASSWORD), TOKEN))
    assert PASSWORD not in text
    assert TOKEN not in text
    emulator = Emulator(nodes=1, basic_auth=(USER, PASSWORD), bearer_token=TOKEN)
    assert PASSWORD not in repr(emulator)
    assert TOKEN not in repr(emulator)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(ca: trustme.CA) -> Iterator[ssl.SSLContext]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    yield context


async def test_emulator_serves_https(ca: trustme.CA, server_tls: ssl.SSLContext) -> None:
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    async with Emulator(nodes=1, timing=Timing.fast(), ssl_context=server_tls) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        async with aiohttp.ClientSession(emu.url) as http:
            async with http.get("/v1/controller/version", ssl=client_tls) as response:
                assert response.status == 200
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await http.get("/v1/controller/version")  # default trust store lacks the CA
