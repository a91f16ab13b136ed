"""Controller URL forms, configuration precedence and the LS_* environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiolinstor._client import Client
from aiolinstor._config import (
    ControllerUrl,
    load_config,
    parse_controller,
    parse_controllers,
    resolve_controllers,
)
from aiolinstor._errors import InputError


@pytest.mark.parametrize(
    ("entry", "url"),
    [
        ("ctrl", "http://ctrl:3370"),
        ("ctrl:4000", "http://ctrl:4000"),
        ("10.0.0.1", "http://10.0.0.1:3370"),
        ("linstor://ctrl", "http://ctrl:3370"),
        ("linstor://ctrl:4000", "http://ctrl:4000"),
        ("http://ctrl", "http://ctrl:3370"),
        ("http://ctrl/", "http://ctrl:3370"),
        ("linstor+ssl://ctrl", "https://ctrl:3371"),
        ("https://ctrl", "https://ctrl:3371"),
        ("https://ctrl:443", "https://ctrl:443"),
        ("LINSTOR://Ctrl.Example.com", "http://ctrl.example.com:3370"),
        ("[fd00::1]", "http://[fd00::1]:3370"),
        ("[fd00::1]:3380", "http://[fd00::1]:3380"),
        ("fd00::1", "http://[fd00::1]:3370"),
        ("::1", "http://[::1]:3370"),
        ("linstor+ssl://[::1]:9000", "https://[::1]:9000"),
        ("  ctrl  ", "http://ctrl:3370"),
    ],
)
def test_controller_forms(entry: str, url: str) -> None:
    assert parse_controller(entry).url == url


def test_bare_hosts_use_tls_when_tls_material_is_configured() -> None:
    assert parse_controller("ctrl", default_tls=True).url == "https://ctrl:3371"
    assert parse_controller("linstor://ctrl", default_tls=True).url == "http://ctrl:3370"


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "ftp://ctrl",
        "ctrl:notaport",
        "ctrl:70000",
        "ctrl:0",
        "http://ctrl/v1",
        "http://ctrl?x=1",
        "ctrl name",
        "[fd00::zz]:3370",
        "http://",
        "ctr$l",
    ],
)
def test_malformed_controllers_are_input_errors_naming_the_value(entry: str) -> None:
    with pytest.raises(InputError) as info:
        parse_controller(entry)
    assert repr(entry.strip()) in str(info.value)


def test_credentials_in_url_are_refused_without_showing_them() -> None:
    with pytest.raises(InputError) as info:
        parse_controller("https://admin:hunter2@ctrl")
    assert "hunter2" not in str(info.value)
    assert "ctrl" in str(info.value)


def test_lists_and_comma_separated_strings() -> None:
    expected = ["http://a:3370", "https://b:3371", "http://[::1]:3370"]
    assert [u.url for u in parse_controllers("a, linstor+ssl://b,[::1]")] == expected
    assert [u.url for u in parse_controllers(["a", "https://b", "[::1]"])] == expected
    assert [u.url for u in parse_controllers(["a,https://b", "a"])] == expected[:2]
    with pytest.raises(InputError):
        parse_controllers(", ,")
    with pytest.raises(InputError):
        parse_controllers([3370])  # type: ignore[list-item]


def _write_conf(home: Path, text: str) -> Path:
    path = home / ".config" / "linstor" / "linstor-client.conf"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_default_is_localhost(clean_env: Path) -> None:
    assert [u.url for u in resolve_controllers(None, config_paths=[])] == ["http://localhost:3370"]


def test_config_file_is_read_from_home(clean_env: Path) -> None:
    _write_conf(clean_env, "[global]\ncontrollers = c1,linstor+ssl://c2\n")
    assert Client().controllers == ["http://c1:3370", "https://c2:3371"]


def test_config_file_without_controllers_falls_back(clean_env: Path) -> None:
    conf = _write_conf(clean_env, "[global]\nmachine-readable = true\n")
    urls = resolve_controllers(None, config_paths=[conf])
    assert [u.url for u in urls] == ["http://localhost:3370"]


def test_first_existing_config_file_wins(clean_env: Path, tmp_path: Path) -> None:
    first = tmp_path / "first.conf"
    second = tmp_path / "second.conf"
    second.write_text("[global]\ncontrollers=second\n")
    urls = resolve_controllers(None, config_paths=[first, second])
    assert [u.url for u in urls] == ["http://second:3370"]
    first.write_text("[global]\ncontrollers=first\n")
    urls = resolve_controllers(None, config_paths=[first, second])
    assert [u.url for u in urls] == ["http://first:3370"]


def test_broken_config_file_is_an_input_error(clean_env: Path) -> None:
    conf = _write_conf(clean_env, "this is not an ini file\n")
    with pytest.raises(InputError, match=str(conf)):
        resolve_controllers(None, config_paths=[conf])


def test_env_beats_config_file_and_arguments_beat_env(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_conf(clean_env, "[global]\ncontrollers = from-file\n")
    monkeypatch.setenv("LS_CONTROLLERS", "from-env:4000,linstor+ssl://env2")
    assert Client().controllers == ["http://from-env:4000", "https://env2:3371"]
    assert Client("explicit").controllers == ["http://explicit:3370"]
    monkeypatch.setenv("LS_CONTROLLERS", "bad url")
    with pytest.raises(InputError, match="bad url"):
        Client()


def test_credentials_from_env_and_explicit_win(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LS_USERNAME", "env-user")
    monkeypatch.setenv("LS_PASSWORD", "env-pass")
    config = load_config("https://c")
    assert (config.credentials.username, config.credentials.password) == ("env-user", "env-pass")
    config = load_config("https://c", username="arg-user", password="arg-pass")
    assert (config.credentials.username, config.credentials.password) == ("arg-user", "arg-pass")
    config = load_config("https://c", bearer_token="tok")
    assert config.credentials.kind == "bearer"
    assert config.credentials.username is None


def test_bearer_token_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token_file = clean_env / "token"
    token_file.write_text("s3cr3t-token\n")
    monkeypatch.setenv("LS_BEARER_TOKEN_FILE", str(token_file))
    config = load_config("https://c")
    assert config.credentials.authorization_header() == "Bearer s3cr3t-token"
    assert "s3cr3t" not in repr(config)
    monkeypatch.setenv("LS_BEARER_TOKEN_FILE", str(clean_env / "missing"))
    with pytest.raises(InputError, match="missing"):
        load_config("https://c")


def test_tls_material_from_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LS_ROOT_CA_FILE", "/ca.pem")
    monkeypatch.setenv("LS_USER_CERTIFICATE", "-----BEGIN CERTIFICATE-----\nx")
    monkeypatch.setenv("LS_USER_KEY_FILE", "/key.pem")
    monkeypatch.setenv("LS_CONTROLLERS", "ctrl")
    config = load_config()
    assert config.tls.ca == "/ca.pem"
    assert config.tls.cert is not None and config.tls.cert.startswith("-----BEGIN")
    assert config.tls.key == "/key.pem"
    assert [c.url for c in config.controllers] == ["https://ctrl:3371"]
    explicit = load_config(ca="/other.pem", cert="/c.pem", key="/k.pem")
    assert (explicit.tls.ca, explicit.tls.cert, explicit.tls.key) == (
        "/other.pem",
        "/c.pem",
        "/k.pem",
    )


def test_credentials_refused_over_plain_http(clean_env: Path) -> None:
    with pytest.raises(InputError) as info:
        Client("linstor://ctrl", username="admin", password="hunter2")
    assert "http://ctrl:3370" in str(info.value)
    assert "hunter2" not in str(info.value)
    with pytest.raises(InputError, match="plain HTTP"):
        Client(["https://a", "http://b"], bearer_token="tok-123")
    Client("linstor://ctrl", username="admin", password="hunter2", allow_insecure=True)
    Client("https://ctrl", username="admin", password="hunter2")


def test_env_credentials_also_refused_over_http(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LS_USERNAME", "admin")
    monkeypatch.setenv("LS_PASSWORD", "hunter2")
    with pytest.raises(InputError, match="basic credentials"):
        Client("ctrl")


def test_password_without_user_is_refused(clean_env: Path) -> None:
    with pytest.raises(InputError, match="without a username"):
        Client("https://ctrl", password="x")


def test_controller_url_value_object() -> None:
    url = ControllerUrl("https", "fd00::1", 3371)
    assert url.tls
    assert str(url) == "https://[fd00::1]:3371"


@pytest.mark.parametrize("source", ["argument", "environment"])
def test_username_with_colon_does_not_echo_the_secret(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    pair = "admin:pa55-Secret-41d0"
    if source == "environment":
        monkeypatch.setenv("LS_USERNAME", pair)
    with pytest.raises(InputError, match="username contains ':'") as info:
        Client("https://ctrl", username=pair if source == "argument" else None)
    assert "pa55-Secret-41d0" not in str(info.value)
    assert "pa55-Secret-41d0" not in repr(info.value)
    assert "password" in str(info.value)
