"""TLS verification, mutual TLS and credentials, against real TLS servers made with trustme."""

from __future__ import annotations

import base64
import logging
import os
import ssl
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from client_fakes import CREATED_RC, FakeController, fast_client

from aiolinstor._apicallrc import FAIL_SIGN_IN, make_ret_code
from aiolinstor._errors import AuthenticationError, ControllersUnavailable, InputError

SECRET_PASSWORD = "pa55-Secret-9c1f"
SECRET_TOKEN = "tok-Secret-77aa"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _server_context(ca: trustme.CA, *, require_client_cert: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    if require_client_cert:
        ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


@pytest.fixture
async def tls_fake(ca: trustme.CA) -> AsyncIterator[FakeController]:
    controller = FakeController(ssl_context=_server_context(ca, require_client_cert=False))
    await controller.start()
    try:
        yield controller
    finally:
        await controller.stop()


@pytest.fixture
async def mtls_fake(ca: trustme.CA) -> AsyncIterator[FakeController]:
    controller = FakeController(ssl_context=_server_context(ca, require_client_cert=True))
    await controller.start()
    try:
        yield controller
    finally:
        await controller.stop()


def _private_dirs() -> set[str]:
    """Temporary directories the client may create for PEM text (must not outlive loading)."""
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("aiolinstor-")}


def _ca_pem(ca: trustme.CA) -> str:
    return ca.cert_pem.bytes().decode()


async def test_unknown_ca_is_refused_by_default(tls_fake: FakeController) -> None:
    async with fast_client(tls_fake.url) as client:
        with pytest.raises(ControllersUnavailable, match="certificate") as info:
            await client.controller_version()
    assert info.value.failures[0][0] == tls_fake.url
    assert tls_fake.requests == []


async def test_custom_ca_as_pem_text_and_as_file(
    tls_fake: FakeController, ca: trustme.CA, tmp_path: Path
) -> None:
    async with fast_client(tls_fake.url, ca=_ca_pem(ca)) as client:
        assert (await client.controller_version()).rest_api_version == "1.28.0"
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    async with fast_client(tls_fake.url, ca=str(ca_file)) as client:
        await client.controller_version()
    assert len(tls_fake.requests) == 2


async def test_ca_from_environment(
    tls_fake: FakeController, ca: trustme.CA, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LS_ROOT_CA", _ca_pem(ca))
    async with fast_client(tls_fake.url) as client:
        await client.controller_version()
    assert tls_fake.paths() == ["/v1/controller/version"]


async def test_verify_false_skips_verification(tls_fake: FakeController) -> None:
    async with fast_client(tls_fake.url, verify=False) as client:
        await client.controller_version()


async def test_client_certificate_is_presented(
    mtls_fake: FakeController, ca: trustme.CA, tmp_path: Path
) -> None:
    client_cert = ca.issue_cert("client.example.org")
    cert_pem = "".join(b.bytes().decode() for b in client_cert.cert_chain_pems)
    key_pem = client_cert.private_key_pem.bytes().decode()
    before = _private_dirs()
    async with fast_client(mtls_fake.url, ca=_ca_pem(ca), cert=cert_pem, key=key_pem) as client:
        await client.controller_version()
    peer = mtls_fake.requests[0].peer_cert
    assert peer is not None
    alt_names = [value for _kind, value in peer.get("subjectAltName", ())]
    assert "client.example.org" in alt_names
    assert _private_dirs() == before

    cert_file, key_file = tmp_path / "c.pem", tmp_path / "k.pem"
    cert_file.write_text(cert_pem)
    key_file.write_text(key_pem)
    async with fast_client(
        mtls_fake.url, ca=_ca_pem(ca), cert=str(cert_file), key=str(key_file)
    ) as client:
        await client.controller_version()
    assert mtls_fake.requests[1].peer_cert is not None


async def test_missing_client_certificate_fails(mtls_fake: FakeController, ca: trustme.CA) -> None:
    async with fast_client(mtls_fake.url, ca=_ca_pem(ca), retries=0) as client:
        with pytest.raises(ControllersUnavailable):
            await client.controller_version()
    assert mtls_fake.requests == []


def test_bad_tls_material_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="CA certificate"):
        fast_client("https://ctrl", ca=str(tmp_path / "nope.pem"))
    with pytest.raises(InputError, match="client certificate"):
        fast_client("https://ctrl", cert="-----BEGIN CERTIFICATE-----\ngarbage\n")


async def test_basic_auth_is_sent_over_tls(tls_fake: FakeController, ca: trustme.CA) -> None:
    async with fast_client(
        tls_fake.url, ca=_ca_pem(ca), username="admin", password=SECRET_PASSWORD
    ) as client:
        await client.controller_version()
    expected = base64.b64encode(f"admin:{SECRET_PASSWORD}".encode()).decode()
    assert tls_fake.requests[0].headers["Authorization"] == f"Basic {expected}"


async def test_bearer_token_from_file_is_sent(
    tls_fake: FakeController,
    ca: trustme.CA,
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token_file = clean_env / "token"
    token_file.write_text(SECRET_TOKEN + "\n")
    monkeypatch.setenv("LS_BEARER_TOKEN_FILE", str(token_file))
    async with fast_client(tls_fake.url, ca=_ca_pem(ca)) as client:
        await client.controller_version()
    assert tls_fake.requests[0].headers["Authorization"] == f"Bearer {SECRET_TOKEN}"


async def test_auth_over_plain_http_only_when_allowed(fake: FakeController) -> None:
    with pytest.raises(InputError, match="plain HTTP"):
        fast_client(fake.url, bearer_token=SECRET_TOKEN)
    async with fast_client(fake.url, bearer_token=SECRET_TOKEN, allow_insecure=True) as client:
        await client.controller_version()
    assert fake.requests[0].headers["Authorization"] == f"Bearer {SECRET_TOKEN}"


async def test_secrets_never_in_logs_reprs_or_errors(
    fake: FakeController, dead_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.on("POST", "/v1/resource-definitions", [CREATED_RC], status=201)
    fake.on(
        "GET",
        "/v1/nodes",
        [{"ret_code": make_ret_code(FAIL_SIGN_IN), "message": "Sign in failed"}],
        status=403,
    )
    texts: list[str] = []
    for secret_args in (
        {"username": "admin", "password": SECRET_PASSWORD},
        {"bearer_token": SECRET_TOKEN},
    ):
        client = fast_client([dead_url, fake.url], allow_insecure=True, **secret_args)
        texts.append(repr(client))
        texts.append(repr(client._transport.config))
        async with client:
            await client.create_resource_definition("rsc1")
            with pytest.raises(AuthenticationError) as info:
                await client.list_nodes()
            texts.append(str(info.value))
            texts.append(repr(info.value))
        with pytest.raises(Exception) as closed:
            await client.list_nodes()
        texts.append(str(closed.value))
    texts.append(caplog.text)
    everything = "\n".join(texts)
    assert "Sign in failed" in everything
    encoded = base64.b64encode(f"admin:{SECRET_PASSWORD}".encode()).decode()
    for secret in (SECRET_PASSWORD, SECRET_TOKEN, encoded):
        assert secret not in everything
