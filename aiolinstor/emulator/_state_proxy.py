"""Resource connections and DRBD Proxy in the emulated controller.

Resource connections are kept per definition (``rd.extra["connections"]``). Enabling DRBD Proxy
on one sets its ``DRBD_PROXY`` flag and proxy ports, and both replicas reconnect through the
proxy; disabling undoes it. ``PUT .../drbd-proxy`` sets the proxy options of the definition
(``DrbdOptions/Proxy/*``), its compression type (``DrbdProxy/CompressionType``) and that type's
options (``DrbdOptions/ProxyCompression/*``), checked against the ranges and values the spec lists
for that endpoint, like the controller's property whitelist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import Resource, ResourceDefinition
from aiolinstor.emulator._rc import (
    Answer,
    JsonDict,
    compact,
)
from aiolinstor.emulator._state import EmulatorState

CONNECTIONS_KEY = "connections"
DRBD_PROXY = "DRBD_PROXY"
PROXY_NAMESPACE = "DrbdOptions/Proxy/"
COMPRESSION_NAMESPACE = "DrbdOptions/ProxyCompression/"
COMPRESSION_TYPE_KEY = "DrbdProxy/CompressionType"
AUX_NAMESPACE = "Aux/"
INVALID_KEY_CORRECTION = (
    "Refer to 'linstor <object> set-property --help' for a list of valid property keys, or "
    "query the object's 'properties/info' API endpoint."
)

#: A property rule: an inclusive integer range, or the allowed values.
Rule = tuple[int, int] | frozenset[str]

PROXY_OPTIONS: dict[str, Rule] = {
    "memlimit": (16777216, 9223372036854775807),
    "read-loops": (0, 2147483647),
    "sndbuf-size": (0, 10485760),
    "rcvbuf-size": (0, 10485760),
    "ping-timeout": (1, 300),
}
#: The options of each compression type (``none`` clears the type and its options).
COMPRESSION_OPTIONS: dict[str, dict[str, Rule]] = {
    "lzma": {
        "dict-size": (4096, 1610612736),
        "lc": (0, 4),
        "lp": (0, 4),
        "pb": (0, 4),
        "nice-len": (0, 273),
        "mf": frozenset({"hc4", "hc3", "bt2", "bt3", "bt4"}),
        "mode": frozenset({"fast", "normal"}),
        "depth": (0, 1000),
        "level": (1, 9),
        "contexts": (1, 253),
        "fallback-to-zlib": frozenset({"off", "on"}),
        "numa-threshold": (0, 253),
    },
    "zlib": {"level": (1, 9)},
    "zstd": {"level": (1, 22)},
    "lz4": {},
}
NO_COMPRESSION = "none"


@dataclass(eq=False)
class ResourceConnection:
    node_a: str
    node_b: str
    flags: set[str] = field(default_factory=set)
    props: dict[str, str] = field(default_factory=dict)
    proxy_ports: tuple[int, int] | None = None


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a.upper(), b.upper()) if a.upper() <= b.upper() else (b.upper(), a.upper())


def connections_of(rd: ResourceDefinition) -> dict[tuple[str, str], ResourceConnection]:
    found: dict[tuple[str, str], ResourceConnection] = rd.extra.setdefault(CONNECTIONS_KEY, {})
    return found


def render_connection(conn: ResourceConnection, a: str | None = None) -> JsonDict:
    """A ``ResourceConnection``, seen from ``a`` when given (node_a first)."""
    first, second = conn.node_a, conn.node_b
    ports = conn.proxy_ports
    if a is not None and a.upper() == conn.node_b.upper():
        first, second = second, first
        ports = (ports[1], ports[0]) if ports else None
    return compact(
        node_a=first,
        node_b=second,
        props=dict(conn.props),
        flags=sorted(conn.flags),
        drbd_proxy_port_a=ports[0] if ports else None,
        drbd_proxy_port_b=ports[1] if ports else None,
    )


def connection(
    state: EmulatorState, rsc: str, a: str, b: str, answer: Answer, *, store: bool = True
) -> tuple[ResourceDefinition, list[Resource], ResourceConnection]:
    """The connection between the replicas on ``a`` and ``b`` (kept when ``store``)."""
    rd = state.rd_or_fail(rsc, answer)
    nodes = [state.node_or_fail(name, answer) for name in (a, b)]
    resources = [state.resource_or_fail(rd, node.name, answer) for node in nodes]
    if resources[0] is resources[1]:
        answer.fail(
            rc.FAIL_INVLD_NODE_NAME,
            f"A resource connection needs two different nodes, got '{a}' twice.",
        )
    key = _pair(a, b)
    conns = connections_of(rd)
    conn = conns.get(key)
    if conn is None:
        conn = ResourceConnection(resources[0].node.name, resources[1].node.name)
        if store:
            conns[key] = conn
    return rd, resources, conn


def set_drbd_proxy(
    state: EmulatorState, rsc: str, a: str, b: str, enable: bool, body: Mapping[str, Any]
) -> tuple[Answer, list[Resource]]:
    """POST .../drbd-proxy/enable|disable/{a}/{b}: flag, proxy ports, reconnect both ends."""
    op_word = "enabled" if enable else "disabled"
    answer = Answer(rc.MASK_MOD, rc.MASK_RSC_CONN, {"FirstNode": a, "SecondNode": b, "RscDfn": rsc})
    rd, resources, conn = connection(state, rsc, a, b, answer)
    if enable and not rd.has_drbd:
        answer.fail(
            rc.FAIL_INVLD_LAYER_STACK,
            f"Resource definition '{rd.name}' has no DRBD layer to put DRBD Proxy in.",
        )
    changed = (DRBD_PROXY in conn.flags) != enable
    if enable and conn.proxy_ports is None:
        ports = []
        for resource, key in zip(resources, ("port_src", "port_target"), strict=True):
            wanted = body.get(key) or body.get("port")
            ports.append(state.take_port(resource.node, wanted, answer))
        conn.proxy_ports = (ports[0], ports[1])
    if not enable and conn.proxy_ports is not None:
        for resource, port in zip(resources, conn.proxy_ports, strict=True):
            resource.node.ports.give_back(port)
        conn.proxy_ports = None
    (conn.flags.add if enable else conn.flags.discard)(DRBD_PROXY)
    answer.add(
        rc.MODIFIED,
        f"DRBD Proxy {op_word} on resource connection between nodes '{conn.node_a}' and "
        f"'{conn.node_b}' of resource '{rd.name}'",
    )
    if changed:
        now = state.clock()
        timing = state.timing
        for resource in resources:
            w = sat.work(resource.node, now)
            resource.connect_w = max(resource.connect_w, w + timing.apply_s + timing.deploy_s)
            state.transitions.add(resource)
    for resource in resources:
        if not resource.node.online:
            answer.not_connected(resource.node.name)
    state.fail_resources(answer, resources)
    return answer, [r for r in resources if r.node.online and r.node.failure is None]


# --- proxy options ---------------------------------------------------------------------------


def _describe(rule: Rule) -> str:
    if isinstance(rule, tuple):
        return f"Value must be an integer in the range [{rule[0]} - {rule[1]}]."
    return f"Value must be one of: {', '.join(sorted(rule))}."


def _valid(rule: Rule, value: str) -> bool:
    if isinstance(rule, tuple):
        try:
            number = int(value)
        except ValueError:
            return False
        return rule[0] <= number <= rule[1]
    return value in rule


def _fill(
    props: dict[str, str],
    source: Mapping[str, str],
    namespace: str,
    rules: Mapping[str, Rule],
    answer: Answer,
    *,
    obj: int = 0,
) -> None:
    """Set ``source`` into ``props`` after the whitelist check (``Aux/`` keys always pass)."""
    for key, value in source.items():
        if not key.startswith(AUX_NAMESPACE):
            rule = rules.get(key[len(namespace) :]) if key.startswith(namespace) else None
            if rule is None:
                answer.fail(
                    rc.FAIL_INVLD_PROP,
                    f"Invalid property key: {key}",
                    cause=f"The key '{key}' is not a valid property key.",
                    correction=INVALID_KEY_CORRECTION,
                )
            if not _valid(rule, value):
                answer.fail(
                    rc.FAIL_INVLD_PROP,
                    f"Invalid property({key}) value: {value}",
                    cause=f"The value '{value}' is not valid for the key '{key}'",
                    details=_describe(rule),
                )
        props[key] = value
    if source:
        answer.add(
            rc.MASK_CRT | rc.CREATED,
            f"Successfully set property key(s): {','.join(source)}",
            obj=obj,
        )


def modify_drbd_proxy(state: EmulatorState, rsc: str, body: Mapping[str, Any]) -> Answer:
    """PUT .../drbd-proxy: proxy options, compression type and its options (all or nothing)."""
    answer = Answer(rc.MASK_MOD, rc.MASK_RSC_DFN, {"RscDfn": rsc})
    state.check_resource_name(rsc, answer)
    rd = state.rd_or_fail(rsc, answer)
    props = dict(rd.props)
    override = dict(body.get("override_props") or {})
    _fill(props, override, PROXY_NAMESPACE, PROXY_OPTIONS, answer)
    notify = bool(override)
    for key in body.get("delete_props") or []:
        if props.pop(key, None) is None:
            answer.add(
                rc.WARN_DEL_UNSET_PROP,
                f"Could not delete property '{key}' as it did not exist. This operation had no "
                "effect.",
            )
        else:
            notify = True
    compression = body.get("compression_type")
    if compression is not None:
        notify = True
        for key in [k for k in props if k.startswith(COMPRESSION_NAMESPACE)]:
            del props[key]
        if compression == NO_COMPRESSION:
            props.pop(COMPRESSION_TYPE_KEY, None)
        else:
            rules = COMPRESSION_OPTIONS.get(compression)
            if rules is None:
                answer.fail(
                    rc.FAIL_INVLD_DRBD_PROXY_COMPRESSION_TYPE,
                    f"Unknown compression type '{compression}'",
                )
            props[COMPRESSION_TYPE_KEY] = compression
            answer.add(
                rc.MASK_CRT | rc.CREATED,
                f"Successfully set property key(s): {COMPRESSION_TYPE_KEY}",
                obj=rc.MASK_RSC_DFN,
            )
            compression_props = dict(body.get("compression_props") or {})
            _fill(props, compression_props, COMPRESSION_NAMESPACE, rules, answer)
    rd.props.clear()
    rd.props.update(props)
    description = f"Proxy options for resource definition '{rd.name}'"
    answer.add(
        rc.MODIFIED,
        f"{description} modified.",
        details=f"{description} UUID is: {rd.uuid}",
        refs={"UUID": rd.uuid},
    )
    if notify:
        for node in sorted({r.node for r in rd.resources.values()}, key=lambda n: n.key):
            if not node.online:
                answer.not_connected(node.name)
    return answer
