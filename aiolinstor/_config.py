"""Client configuration: controller URLs, the LS_* environment, config files and TLS.

Everything here is pure (no network): it turns what the caller passed, the environment and the
linstor-client configuration file into one resolved :class:`ClientConfig`.
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import ipaddress
import logging
import os
import ssl
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from aiolinstor._errors import InputError

logger = logging.getLogger("aiolinstor")

PLAIN_PORT = 3370
TLS_PORT = 3371
DEFAULT_CONTROLLER = "linstor://localhost"

_PLAIN_SCHEMES = {"linstor": "http", "http": "http"}
_TLS_SCHEMES = {"linstor+ssl": "https", "https": "https"}
_PEM_MARKER = "-----BEGIN"


@dataclass(frozen=True)
class ControllerUrl:
    """One controller endpoint: HTTP scheme, host and port (no path, no credentials)."""

    scheme: str
    host: str
    port: int

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def url(self) -> str:
        """The base URL requests are made against, e.g. ``http://[fd00::1]:3370``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def __str__(self) -> str:
        return self.url


def _redact(entry: str) -> str:
    """The entry with any ``user:password@`` part masked, for error messages."""
    if "@" not in entry:
        return entry
    scheme, sep, rest = entry.rpartition("://")
    _userinfo, _, hostpart = rest.rpartition("@")
    return f"{scheme}{sep}***@{hostpart}"


def parse_controller(entry: str, *, default_tls: bool = False) -> ControllerUrl:
    """Parse one controller entry.

    Accepted forms: ``host``, ``host:port``, ``[v6]``, ``[v6]:port``, a bare IPv6 address, and the
    schemes ``linstor://``/``http://`` (plain, port 3370) and ``linstor+ssl://``/``https://``
    (TLS, port 3371). Entries without a scheme use TLS when ``default_tls`` is true.
    """
    if not isinstance(entry, str):
        raise InputError(f"controller must be a string, got {entry!r}")
    text = entry.strip()
    shown = _redact(text)
    if not text or any(ch.isspace() for ch in text):
        raise InputError(f"invalid controller {shown!r}: empty or contains whitespace")
    if "://" in text:
        raw_scheme, _, _rest = text.partition("://")
        scheme_key = raw_scheme.lower()
        if scheme_key in _PLAIN_SCHEMES:
            scheme = _PLAIN_SCHEMES[scheme_key]
        elif scheme_key in _TLS_SCHEMES:
            scheme = _TLS_SCHEMES[scheme_key]
        else:
            raise InputError(
                f"invalid controller {shown!r}: unknown scheme {raw_scheme!r} "
                "(use linstor://, linstor+ssl://, http:// or https://)"
            )
        to_split = f"{scheme}://{text.partition('://')[2]}"
    else:
        scheme = "https" if default_tls else "http"
        bare = text
        if _is_bare_ipv6(bare):
            bare = f"[{bare}]"
        to_split = f"{scheme}://{bare}"
    try:
        parts = urlsplit(to_split)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"invalid controller {shown!r}: {exc}") from None
    if parts.username is not None or parts.password is not None:
        raise InputError(
            f"invalid controller {shown!r}: credentials in the URL are not supported "
            "(use username/password or LS_USERNAME/LS_PASSWORD)"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InputError(f"invalid controller {shown!r}: no path, query or fragment allowed")
    host = parts.hostname
    if not host:
        raise InputError(f"invalid controller {shown!r}: no host")
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise InputError(f"invalid controller {shown!r}: bad IPv6 address") from None
    elif not all(ch.isalnum() or ch in "-._" for ch in host):
        raise InputError(f"invalid controller {shown!r}: bad host name {host!r}")
    if port == 0:
        raise InputError(f"invalid controller {shown!r}: port 0")
    if port is None:
        port = TLS_PORT if scheme == "https" else PLAIN_PORT
    return ControllerUrl(scheme=scheme, host=host, port=port)


def _is_bare_ipv6(text: str) -> bool:
    if text.count(":") < 2 or text.startswith("["):
        return False
    try:
        ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


def parse_controllers(
    controllers: str | Sequence[str], *, default_tls: bool = False
) -> list[ControllerUrl]:
    """Parse a comma-separated string or a list of entries (which may contain commas too)."""
    if isinstance(controllers, str):
        entries = controllers.split(",")
    elif isinstance(controllers, Sequence):
        entries = [part for item in controllers for part in _split_item(item)]
    else:
        raise InputError(f"controllers must be a string or a list of strings, got {controllers!r}")
    parsed = [parse_controller(e, default_tls=default_tls) for e in entries if e.strip()]
    if not parsed:
        raise InputError(f"no controller given in {controllers!r}")
    unique: list[ControllerUrl] = []
    for url in parsed:
        if url not in unique:
            unique.append(url)
    return unique


def _split_item(item: object) -> list[str]:
    if not isinstance(item, str):
        raise InputError(f"controller must be a string, got {item!r}")
    return item.split(",")


def config_file_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where the linstor-client configuration is looked up, in order (user file first).

    The user file follows ``$HOME`` (from ``environ`` when given), so tests can redirect it.
    """
    env = os.environ if environ is None else environ
    home = env.get("HOME")
    user_home = Path(home) if home else Path.home()
    return [
        user_home / ".config" / "linstor" / "linstor-client.conf",
        Path("/etc/linstor/linstor-client.conf"),
    ]


def controllers_from_config_files(paths: Sequence[Path]) -> str | None:
    """The ``controllers`` value of the ``[global]`` section of the first file that exists."""
    for path in paths:
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read LINSTOR client configuration {path}: {exc}") from None
        value = parser.get("global", "controllers", fallback=None)
        if value and value.strip():
            return value.strip()
        return None
    return None


def resolve_controllers(
    controllers: str | Sequence[str] | None,
    *,
    environ: Mapping[str, str] | None = None,
    config_paths: Sequence[Path] | None = None,
    default_tls: bool = False,
) -> list[ControllerUrl]:
    """Explicit controllers, else ``LS_CONTROLLERS``, else the config file, else localhost."""
    env = os.environ if environ is None else environ
    if controllers is not None:
        return parse_controllers(controllers, default_tls=default_tls)
    from_env = env.get("LS_CONTROLLERS", "").strip()
    if from_env:
        return parse_controllers(from_env, default_tls=default_tls)
    paths = config_file_paths(env) if config_paths is None else config_paths
    from_file = controllers_from_config_files(paths)
    if from_file:
        return parse_controllers(from_file, default_tls=default_tls)
    return parse_controllers(DEFAULT_CONTROLLER)


@dataclass(frozen=True, repr=False)
class Credentials:
    """Authentication material; its repr never shows the secrets."""

    username: str | None = None
    password: str | None = None
    bearer_token: str | None = None

    @property
    def kind(self) -> str | None:
        if self.bearer_token:
            return "bearer"
        if self.username is not None:
            return "basic"
        return None

    def authorization_header(self) -> str | None:
        """The value of the Authorization header, or None without credentials."""
        if self.bearer_token:
            return f"Bearer {self.bearer_token}"
        if self.username is not None:
            pair = f"{self.username}:{self.password or ''}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        return None

    def __repr__(self) -> str:
        return f"Credentials(kind={self.kind!r})"


@dataclass(frozen=True, repr=False)
class TlsMaterial:
    """CA and client certificate, each as PEM text or a file path (None: not given)."""

    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    verify: bool = True

    @property
    def configured(self) -> bool:
        return bool(self.ca or self.cert)

    def __repr__(self) -> str:
        return (
            f"TlsMaterial(ca={self.ca is not None}, cert={self.cert is not None}, "
            f"verify={self.verify})"
        )


def _env_text_or_file(env: Mapping[str, str], name: str) -> str | None:
    """``$NAME`` (PEM text) or the path in ``$NAME_FILE``; the text form wins."""
    text = env.get(name)
    if text:
        return text
    path = env.get(f"{name}_FILE")
    return path or None


def _read_secret_file(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"cannot read {what} file {path!r}: {exc.strerror}") from None


def resolve_credentials(
    *,
    username: str | None,
    password: str | None,
    bearer_token: str | None,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Explicit values win over ``LS_USERNAME``/``LS_PASSWORD``/``LS_BEARER_TOKEN_FILE``."""
    env = os.environ if environ is None else environ
    if username is None and password is None and bearer_token is None:
        username = env.get("LS_USERNAME") or None
        password = env.get("LS_PASSWORD") or None
        token_file = env.get("LS_BEARER_TOKEN_FILE")
        if token_file:
            bearer_token = _read_secret_file(token_file, "bearer token") or None
    if username is not None and ":" in username:
        # Not echoed: a username with ':' is often a whole 'user:password' pair.
        raise InputError(
            "the username contains ':', which basic authentication cannot carry; pass the "
            "user name and the password separately (username=..., password=... or "
            "LS_USERNAME and LS_PASSWORD)"
        )
    if password is not None and username is None:
        raise InputError("a password was given without a username")
    if bearer_token is not None and not bearer_token.strip():
        raise InputError("the bearer token is empty")
    return Credentials(username=username, password=password, bearer_token=bearer_token)


def resolve_tls(
    *,
    ca: str | None,
    cert: str | None,
    key: str | None,
    verify: bool,
    environ: Mapping[str, str] | None = None,
) -> TlsMaterial:
    """Explicit values win over ``LS_ROOT_CA``/``LS_USER_CERTIFICATE``/``LS_USER_KEY`` (+_FILE)."""
    env = os.environ if environ is None else environ
    ca = ca if ca is not None else _env_text_or_file(env, "LS_ROOT_CA")
    if cert is None and key is None:
        cert = _env_text_or_file(env, "LS_USER_CERTIFICATE")
        key = _env_text_or_file(env, "LS_USER_KEY")
    if key is not None and cert is None:
        raise InputError("a client key was given without a client certificate")
    return TlsMaterial(ca=ca, cert=cert, key=key, verify=verify)


def _is_pem(value: str) -> bool:
    return _PEM_MARKER in value


def build_ssl_context(tls: TlsMaterial) -> ssl.SSLContext:
    """An SSLContext verifying the server (system CAs, or only the given CA), with client cert."""
    if tls.ca:
        # A given CA replaces the system store: only the cluster's own CA is trusted then.
        try:
            if _is_pem(tls.ca):
                context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=tls.ca)
            else:
                context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=tls.ca)
        except (ssl.SSLError, OSError, ValueError) as exc:
            shown = "the given PEM text" if _is_pem(tls.ca) else repr(tls.ca)
            raise InputError(f"cannot load CA certificate from {shown}: {exc}") from None
    else:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if not tls.verify:
        logger.warning("TLS certificate verification of the controller is switched off")
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.cert:
        _load_client_cert(context, tls.cert, tls.key)
    return context


def _load_client_cert(context: ssl.SSLContext, cert: str, key: str | None) -> None:
    """Load the client certificate; PEM text goes through a private file deleted at once."""
    with contextlib.ExitStack() as stack:
        cert_path = _as_private_file(stack, cert) if _is_pem(cert) else cert
        key_path = None
        if key is not None:
            key_path = _as_private_file(stack, key) if _is_pem(key) else key
        try:
            context.load_cert_chain(cert_path, key_path)
        except (ssl.SSLError, OSError) as exc:
            shown = "the given PEM text" if _is_pem(cert) else repr(cert)
            reason = getattr(exc, "reason", None) or exc.__class__.__name__
            raise InputError(f"cannot load client certificate from {shown}: {reason}") from None


def _as_private_file(stack: contextlib.ExitStack, pem: str) -> str:
    """Write PEM text to a file only this user can read, removed when ``stack`` closes."""
    directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="aiolinstor-"))
    os.chmod(directory, 0o700)
    path = Path(directory) / "material.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(pem)
    return str(path)


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs to talk to its controllers, resolved and validated."""

    controllers: tuple[ControllerUrl, ...]
    credentials: Credentials = field(default_factory=Credentials)
    tls: TlsMaterial = field(default_factory=TlsMaterial)
    allow_insecure: bool = False

    def check_security(self) -> None:
        """Refuse to send credentials over plain HTTP unless explicitly allowed."""
        if self.credentials.kind is None or self.allow_insecure:
            return
        for url in self.controllers:
            if not url.tls:
                raise InputError(
                    f"refusing to send {self.credentials.kind} credentials over plain HTTP to "
                    f"controller {url.url}; use https:// or linstor+ssl://, or pass "
                    "allow_insecure=True"
                )


def load_config(
    controllers: str | Sequence[str] | None = None,
    *,
    username: str | None = None,
    password: str | None = None,
    bearer_token: str | None = None,
    ca: str | None = None,
    cert: str | None = None,
    key: str | None = None,
    verify: bool = True,
    allow_insecure: bool = False,
    environ: Mapping[str, str] | None = None,
    config_paths: Sequence[Path] | None = None,
) -> ClientConfig:
    """Resolve arguments, environment and config files into a checked :class:`ClientConfig`."""
    env = os.environ if environ is None else environ
    tls = resolve_tls(ca=ca, cert=cert, key=key, verify=verify, environ=env)
    urls = resolve_controllers(
        controllers, environ=env, config_paths=config_paths, default_tls=tls.configured
    )
    credentials = resolve_credentials(
        username=username, password=password, bearer_token=bearer_token, environ=env
    )
    config = ClientConfig(
        controllers=tuple(urls), credentials=credentials, tls=tls, allow_insecure=allow_insecure
    )
    config.check_security()
    return config
