"""Security end to end: the emulator serving HTTPS (certificates made here with trustme) and
requiring basic auth or a bearer token, driven through the high-level Resource API.

TLS is verified by default; a wrong CA, an expired certificate or one for another host fails
with a clear, typed error before any request is sent; mutual TLS works; credentials never
travel over plain HTTP unless explicitly allowed, and never show up in logs (DEBUG), reprs or
exception messages, also when faults and failover exercise the error paths.
"""

from __future__ import annotations

import base64
import datetime
import logging
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import trustme

from aiolinstor import (
    ApiCallError,
    AuthenticationError,
    ControllersUnavailable,
    InputError,
    LinstorError,
    Resource,
)
from aiolinstor.emulator import Drop, Emulator, ErrorAnswer, FaultRule, Timing

from .conftest import fast_client
from .rel_helpers import assert_settled, declared, definitions, lifecycle

pytestmark = pytest.mark.emulator_only

USER = "admin"
PASSWORD = "pw-Secret-4f1d9a"
TOKEN = "tok-Secret-0c7be2"
NOW = datetime.datetime.now(datetime.timezone.utc)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _pem(ca: trustme.CA) -> str:
    return ca.cert_pem.bytes().decode()


def server_context(cert: trustme.LeafCert, client_ca: trustme.CA | None = None) -> ssl.SSLContext:
    """A server TLS context presenting ``cert``; with ``client_ca``, client certificates signed
    by it are required (mutual TLS)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    if client_ca is not None:
        client_ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


async def _serving(**options: Any) -> AsyncIterator[Emulator]:
    async with Emulator(nodes=3, timing=Timing.fast(), **options) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def https_basic(ca: trustme.CA) -> AsyncIterator[Emulator]:
    """HTTPS with a certificate for 127.0.0.1, basic auth (LDAP-style) required."""
    context = server_context(ca.issue_cert("127.0.0.1"))
    async for emulator in _serving(ssl_context=context, basic_auth=(USER, PASSWORD)):
        yield emulator


@pytest_asyncio.fixture
async def https_token(ca: trustme.CA) -> AsyncIterator[Emulator]:
    context = server_context(ca.issue_cert("127.0.0.1"))
    async for emulator in _serving(ssl_context=context, bearer_token=TOKEN):
        yield emulator


async def test_lifecycle_over_https_with_basic_auth(https_basic: Emulator, ca: trustme.CA) -> None:
    async with fast_client(https_basic.url, ca=_pem(ca), username=USER, password=PASSWORD) as c:
        await lifecycle(c, https_basic, "foo", keep=True)
    assert_settled(https_basic, "foo", diskful=2, clients=[])


async def test_lifecycle_over_https_with_a_bearer_token_from_a_file(
    https_token: Emulator, ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(_pem(ca))
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    monkeypatch.setenv("LS_BEARER_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("LS_ROOT_CA_FILE", str(ca_file))
    async with fast_client(https_token.url) as client:
        await lifecycle(client, https_token, "foo")


@pytest.mark.parametrize(
    ("server", "credentials"),
    [
        ("basic", {"username": USER, "password": "wrong"}),
        ("basic", {}),
        ("token", {"bearer_token": "wrong-token"}),
        ("token", {}),
    ],
    ids=["wrong password", "no login", "wrong token", "no token"],
)
async def test_wrong_or_missing_credentials_are_authentication_errors(
    https_basic: Emulator,
    https_token: Emulator,
    ca: trustme.CA,
    server: str,
    credentials: dict[str, str],
) -> None:
    target = https_basic if server == "basic" else https_token
    async with fast_client(target.url, ca=_pem(ca), **credentials) as client:
        with pytest.raises(AuthenticationError) as caught:
            await declared(client).autoplace()
    assert caught.value.status in (401, 403)
    assert definitions(target) == {}


def _certificate_cases(ca: trustme.CA) -> dict[str, tuple[ssl.SSLContext, str | None, str]]:
    """name -> (server context, CA the client trusts, what the error says)."""
    expired = ca.issue_cert(
        "127.0.0.1",
        not_before=NOW - datetime.timedelta(days=10),
        not_after=NOW - datetime.timedelta(days=1),
    )
    return {
        "system CAs only (default)": (
            server_context(ca.issue_cert("127.0.0.1")),
            None,
            "unable to get local issuer",
        ),
        "wrong CA": (
            server_context(ca.issue_cert("127.0.0.1")),
            _pem(trustme.CA()),
            "unable to get local issuer",
        ),
        "expired": (server_context(expired), _pem(ca), "expired"),
        "wrong host": (
            server_context(ca.issue_cert("controller.example")),
            _pem(ca),
            "mismatch",
        ),
    }


@pytest.mark.parametrize("case", ["system CAs only (default)", "wrong CA", "expired", "wrong host"])
async def test_untrusted_certificates_fail_clearly_before_any_request(
    ca: trustme.CA, case: str
) -> None:
    context, trusted, says = _certificate_cases(ca)[case]
    async with Emulator(nodes=1, timing=Timing.fast(), ssl_context=context) as emu:
        async with fast_client(emu.url, ca=trusted, username=USER, password=PASSWORD) as client:
            with pytest.raises(ControllersUnavailable) as caught:
                await Resource("foo", client=client).refresh()
        assert emu.request_counts() == {}  # refused during the handshake: nothing was sent
        url = emu.url
    message = str(caught.value)
    assert "TLS certificate rejected" in message and says in message
    assert url in message
    assert PASSWORD not in message


async def test_verification_can_be_switched_off_explicitly(
    ca: trustme.CA, caplog: pytest.LogCaptureFixture
) -> None:
    context = server_context(ca.issue_cert("controller.example"))
    async with Emulator(nodes=1, timing=Timing.fast(), ssl_context=context) as emu:
        client = fast_client(emu.url, verify=False)
        async with client:
            await Resource("foo", client=client).refresh()
    assert "verification of the controller is switched off" in caplog.text


async def test_mutual_tls(ca: trustme.CA) -> None:
    client_ca = trustme.CA()
    identity = client_ca.issue_cert("aiolinstor-client@example")
    context = server_context(ca.issue_cert("127.0.0.1"), client_ca=client_ca)
    async with Emulator(nodes=3, timing=Timing.fast(), ssl_context=context) as emu:
        cert = identity.cert_chain_pems[0].bytes().decode()
        key = identity.private_key_pem.bytes().decode()
        async with fast_client(emu.url, ca=_pem(ca), cert=cert, key=key) as client:
            await lifecycle(client, emu, "foo")
        async with fast_client(emu.url, ca=_pem(ca)) as anonymous:
            with pytest.raises(ControllersUnavailable):  # the server hangs up in the handshake
                await Resource("foo", client=anonymous).refresh()
        stranger = trustme.CA().issue_cert("stranger@example")
        async with fast_client(
            emu.url,
            ca=_pem(ca),
            cert=stranger.cert_chain_pems[0].bytes().decode(),
            key=stranger.private_key_pem.bytes().decode(),
        ) as untrusted:
            with pytest.raises(ControllersUnavailable):
                await Resource("foo", client=untrusted).refresh()


async def test_plain_http_and_tls_mismatches_are_typed(ca: trustme.CA, emu: Emulator) -> None:
    context = server_context(ca.issue_cert("127.0.0.1"))
    async with Emulator(nodes=1, timing=Timing.fast(), ssl_context=context) as tls_emu:
        plain_to_tls = tls_emu.url.replace("https://", "http://")
        async with fast_client(plain_to_tls, retries=0) as client:
            with pytest.raises(LinstorError):
                await Resource("foo", client=client).refresh()
    tls_to_plain = emu.url.replace("http://", "https://")
    async with fast_client(tls_to_plain, retries=0, ca=_pem(ca)) as client:
        with pytest.raises(LinstorError):
            await Resource("foo", client=client).refresh()


async def test_credentials_never_go_over_plain_http_unless_allowed(emu: Emulator) -> None:
    for secret in ({"username": USER, "password": PASSWORD}, {"bearer_token": TOKEN}):
        with pytest.raises(InputError, match="plain HTTP") as caught:
            fast_client(emu.url, **secret)
        assert PASSWORD not in str(caught.value) and TOKEN not in str(caught.value)
        with pytest.raises(InputError, match="plain HTTP"):  # also as a fallback controller
            fast_client([emu.url.replace("http://", "https://"), emu.url], **secret)
    assert emu.request_counts() == {}
    async with fast_client(emu.url, bearer_token=TOKEN, allow_insecure=True) as client:
        await Resource("foo", client=client).refresh()


async def test_secrets_stay_out_of_logs_reprs_and_errors(
    https_basic: Emulator, ca: trustme.CA, caplog: pytest.LogCaptureFixture
) -> None:
    """Every error path at DEBUG: a dead first controller, dropped connections, 500s with
    error reports, an authentication failure and a closed client."""
    caplog.set_level(logging.DEBUG)
    https_basic.add_fault(FaultRule(Drop(), method="GET", count=2))
    https_basic.add_fault(FaultRule(Drop(after=True), method="POST", count=2))
    https_basic.add_fault(FaultRule(ErrorAnswer(500), method="POST", path="/autoplace$", count=1))
    dead = "https://127.0.0.1:1"
    texts: list[str] = []
    client = fast_client(
        [dead, https_basic.url], ca=_pem(ca), username=USER, password=PASSWORD, retries=6
    )
    texts += [repr(client), repr(client._transport.config), str(client._transport.config)]
    async with client:
        res = Resource("foo", client=client)
        texts.append(repr(res))
        with pytest.raises(ApiCallError) as failed:
            await lifecycle(client, https_basic, "foo")
        texts += [str(failed.value), repr(failed.value)]
        await lifecycle(client, https_basic, "foo")
    async with fast_client(
        https_basic.url, ca=_pem(ca), username=USER, password="x" + PASSWORD
    ) as bad:
        with pytest.raises(AuthenticationError) as refused:
            await bad.list_nodes()
        texts += [str(refused.value), repr(refused.value), repr(bad)]
    with pytest.raises(LinstorError) as closed:
        await client.list_nodes()
    texts += [str(closed.value), caplog.text]
    everything = "\n".join(texts)
    # the error paths were taken
    assert "Emulated controller failure" in everything
    assert "switching to LINSTOR controller" in caplog.text
    assert "reading state to see whether it applied" in caplog.text
    assert "-> 201 in" in caplog.text  # DEBUG request logs
    encoded = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    for secret in (PASSWORD, encoded, encoded[:16]):
        assert secret not in everything
