"""The one wait engine of the SDK: convergence conditions and the deadline-bound wait.

A *condition* is a pure function of the freshly observed resource list (every node's replica of
the awaited resources, from ``/v1/view/resources``) that returns :data:`DONE`, :class:`NotYet`
with the reason each lagging node is behind, or :class:`Failed` when a satellite reported a
failure. :func:`wait_until` evaluates a condition on each change the client's shared
:class:`~aiolinstor._watcher.Watcher` observes, under one overall deadline, and raises
:class:`~aiolinstor.ConvergenceTimeout` naming the laggards when it runs out.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, Union

import anyio

from aiolinstor._apicallrc import Severity, severity
from aiolinstor._errors import (
    ConvergenceFailed,
    ConvergenceTimeout,
    InputError,
    NodeLag,
    TransportError,
)
from aiolinstor._watch_fetch import resource_fetcher
from aiolinstor._watcher import (
    PollSettings,
    Subscription,
    Watcher,
    tick_interval,
)

logger = logging.getLogger("aiolinstor")

T = TypeVar("T")

if TYPE_CHECKING:
    from aiolinstor._apicallrc import ApiCallRcList
    from aiolinstor._client import Client
    from aiolinstor._models import ResourceInfo, VolumeInfo

# Replication states in which *this* node receives data (the sync source is UpToDate already).
_SYNC_TARGET_STATES = frozenset(
    {"SyncTarget", "PausedSyncT", "WFBitMapT", "WFSyncUUID", "StartingSyncT", "VerifyT", "Behind"}
)
_TRANSITION_FLAGS = frozenset(
    {"DISK_ADD_REQUESTED", "DISK_ADDING", "DISK_REMOVE_REQUESTED", "DISK_REMOVING"}
)
_RESIZE_FLAGS = frozenset({"RESIZE", "DRBD_RESIZE"})


# --- verdicts ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Done:
    """The awaited state is reached."""


@dataclass(frozen=True)
class NotYet:
    """Not there yet; ``laggards`` says which nodes are behind and why."""

    laggards: tuple[NodeLag, ...] = ()


@dataclass(frozen=True)
class Failed:
    """A satellite reported a failure: waiting longer cannot help."""

    laggards: tuple[NodeLag, ...]
    message: str | None = None


Verdict = Union[Done, NotYet, Failed]  # noqa: UP007 - a runtime alias, Python 3.10 compatible
DONE = Done()

#: A function of the freshly observed replicas of the awaited resources.
Condition = Callable[[Sequence["ResourceInfo"]], Verdict]


# --- the shared watcher of a client ------------------------------------------------------------
def watcher_for(client: Client) -> Watcher:
    """The one watcher every wait of ``client`` shares (made on first use, kept by the client)."""
    watcher = client._watcher
    if watcher is None:
        watcher = Watcher(resource_fetcher(client), _settings(client), client.node_events)
        client._watcher = watcher
    return watcher


def _settings(client: Client) -> PollSettings:
    settings: PollSettings = client
    return settings


def resolve_timeout(client: Client, timeout: float | None) -> float:
    """The deadline of a wait in seconds: ``timeout`` or the client's ``wait_timeout``."""
    value = client.wait_timeout if timeout is None else timeout
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise InputError(f"timeout must be a number of seconds, got {value!r}")
    if value <= 0:
        raise InputError(f"timeout must be positive, got {value!r}")
    return float(value)


# --- the wait ----------------------------------------------------------------------------------
async def wait_until(
    watcher: Watcher,
    resources: Collection[str],
    condition: Condition,
    *,
    within: float,
    resource: str,
    operation: str,
    reported_timeout: float | None = None,
) -> tuple[ResourceInfo, ...]:
    """Wait until ``condition`` holds for the observed state of ``resources``.

    Returns the state that satisfied it. Raises ConvergenceFailed at once on a reported failure
    and ConvergenceTimeout (naming each lagging node) when ``within`` seconds pass first;
    the error states ``reported_timeout`` (the caller's whole budget) when given.
    """
    last: tuple[NodeLag, ...] = ()
    subscriptions: list[Subscription] = []
    with anyio.move_on_after(within):
        async with watcher.subscribe(resources) as subscription:
            subscriptions.append(subscription)
            while True:
                observed = await subscription.next()
                verdict = condition(observed)
                if isinstance(verdict, Done):
                    return observed
                if isinstance(verdict, Failed):
                    raise ConvergenceFailed(resource, operation, verdict.laggards, verdict.message)
                last = verdict.laggards
    failure = subscriptions[0].failure if subscriptions else None
    if failure is not None:
        last = (*last, NodeLag(node="controller", reason=f"state could not be read: {failure}"))
    raise ConvergenceTimeout(resource, operation, last, reported_timeout or within)


async def observe_changes(
    watcher: Watcher,
    resources: Collection[str],
    *,
    within: float,
    resource: str,
    operation: str,
    until: Condition | None = None,
) -> AsyncGenerator[tuple[ResourceInfo, ...], None]:
    """Yield each changed observation of ``resources``; stop after one that satisfies ``until``.

    The deadline covers the whole iteration (time spent by the consumer included): when it
    passes, ConvergenceTimeout names the laggards ``until`` last reported. A Failed verdict
    raises ConvergenceFailed after the observation showing it was yielded.
    """
    deadline = anyio.current_time() + within
    last: tuple[NodeLag, ...] = ()
    async with watcher.subscribe(resources) as subscription:
        while True:
            observed: tuple[ResourceInfo, ...] | None = None
            with anyio.move_on_after(deadline - anyio.current_time()):
                observed = await subscription.next()
            if observed is None:
                raise ConvergenceTimeout(resource, operation, last, within)
            verdict = until(observed) if until is not None else NotYet()
            yield observed
            if isinstance(verdict, Done):
                return
            if isinstance(verdict, Failed):
                raise ConvergenceFailed(resource, operation, verdict.laggards, verdict.message)
            last = verdict.laggards


# --- writes that may have been applied ---------------------------------------------------------
async def recover_write(
    write: Callable[[], Awaitable[ApiCallRcList]],
    applied: Callable[[], Awaitable[bool]],
    what: str,
) -> ApiCallRcList | None:
    """Send ``write``; if no answer came (TransportError), re-read state instead of re-sending.

    When ``applied()`` shows the change took effect, the caller goes on to wait; only when it
    did not is the write sent once more (get-or-create, never a blind re-send). Returns the
    answer, or None when the change was found applied without one.
    """
    try:
        return await write()
    except TransportError as exc:
        logger.warning("%s: no answer (%s); reading state to see whether it applied", what, exc)
        if await applied():
            logger.info("%s: the change was applied; resuming", what)
            return None
        logger.info("%s: the change was not applied; sending it again", what)
        return await write()


# --- describing replicas -----------------------------------------------------------------------
def _is_sync_target(state: str | None) -> bool:
    return state in _SYNC_TARGET_STATES


def _report_ids(info: ResourceInfo) -> tuple[str, ...]:
    ids: list[str] = []
    for volume in info.volumes:
        for report in volume.raw.get("reports") or ():
            if isinstance(report, dict):
                ids.extend(str(i) for i in report.get("error_report_ids") or ())
    return tuple(dict.fromkeys(ids))


def _connection_summary(info: ResourceInfo) -> str | None:
    if not info.connections:
        return None
    down = [
        f"{peer} {conn.message or 'disconnected'}"
        for peer, conn in sorted(info.connections.items())
        if not conn.connected
    ]
    return "; ".join(down) if down else "Connected"


def node_lag(info: ResourceInfo, reason: str, volume: VolumeInfo | None = None) -> NodeLag:
    """What ``info`` last showed, as a NodeLag with ``reason``."""
    volumes = [volume] if volume is not None else list(info.volumes)
    disk_state = next((v.disk_state for v in volumes if v.disk_state), None)
    replication: str | None = None
    done: float | None = None
    for vol in volumes:
        for peer, rep in sorted(vol.replication_states.items()):
            if rep.replication_state and rep.replication_state != "Established":
                replication = f"{rep.replication_state} (peer {peer})"
                done = rep.done_percentage
                break
        if replication is not None:
            break
    if replication is None and volumes and volumes[0].replication_states:
        replication = "Established"
    return NodeLag(
        node=info.node_name,
        reason=reason,
        disk_state=disk_state,
        replication_state=replication,
        done_percentage=done,
        connection=_connection_summary(info),
        flags=tuple(info.flags),
        error_report_ids=_report_ids(info),
    )


def _error_reports(volume: VolumeInfo) -> list[str]:
    """Messages of the error entries a satellite attached to ``volume`` (``reports[]``)."""
    messages = []
    for report in volume.raw.get("reports") or ():
        if not isinstance(report, dict) or not isinstance(report.get("ret_code"), int):
            continue
        if severity(report["ret_code"]) is Severity.ERROR:
            messages.append(str(report.get("message") or "error"))
    return messages


def _failure(info: ResourceInfo) -> NodeLag | None:
    """A NodeLag when the satellite reported a failure for this replica, else None."""
    for volume in info.volumes:
        if volume.disk_state is not None and volume.disk_state.lower() == "failed":
            return node_lag(
                info, f"volume {volume.volume_number} reports disk state Failed", volume
            )
        errors = _error_reports(volume)
        if errors:
            return node_lag(info, f"satellite reported: {'; '.join(errors)}", volume)
    return None


def replica_problem(info: ResourceInfo, *, require_connected: bool = True) -> str | None:
    """Why one replica is not settled (UpToDate or Diskless, synced, connected), or None."""
    if not info.state_known:
        return "no state reported (satellite offline or not yet deployed)"
    if not info.volumes:
        return "no volumes reported"
    for volume in info.volumes:
        expected = "Diskless" if info.diskless else "UpToDate"
        if volume.disk_state != expected:
            return f"volume {volume.volume_number} is {volume.disk_state or 'unknown'}"
        for peer, rep in volume.replication_states.items():
            if _is_sync_target(rep.replication_state):
                return f"volume {volume.volume_number} resyncing with {peer}"
    if require_connected and not info.diskless:
        down = [peer for peer, conn in info.connections.items() if not conn.connected]
        if down:
            return f"not connected to {', '.join(sorted(down))}"
    return None


def _active(resources: Sequence[ResourceInfo]) -> list[ResourceInfo]:
    return [r for r in resources if not r.deleting and not r.inactive]


def _on(resources: Sequence[ResourceInfo], node: str) -> ResourceInfo | None:
    return next((r for r in resources if r.node_name.upper() == node.upper()), None)


def _check(laggards: list[NodeLag], failures: list[NodeLag]) -> Verdict:
    if failures:
        return Failed(tuple(failures))
    if laggards:
        return NotYet(tuple(laggards))
    return DONE


# --- conditions --------------------------------------------------------------------------------
def replicas_ready(min_diskful: int = 0) -> Condition:
    """Every active replica settled: diskful ones UpToDate and connected, diskless Diskless.

    With ``min_diskful``, also at least that many diskful replicas must exist.
    """

    def condition(resources: Sequence[ResourceInfo]) -> Verdict:
        laggards: list[NodeLag] = []
        failures: list[NodeLag] = []
        active = _active(resources)
        for info in active:
            failed = _failure(info)
            if failed is not None:
                failures.append(failed)
                continue
            problem = replica_problem(info)
            if problem is not None:
                laggards.append(node_lag(info, problem))
        diskful = sum(1 for info in active if not info.diskless)
        if diskful < min_diskful:
            laggards.append(
                NodeLag(node="cluster", reason=f"{diskful} of {min_diskful} diskful replicas exist")
            )
        return _check(laggards, failures)

    return condition


def volume_resized(volume_number: int, size_kib: int) -> Condition:
    """Every active replica reports volume ``volume_number`` at ``size_kib`` or more, settled."""

    def condition(resources: Sequence[ResourceInfo]) -> Verdict:
        laggards: list[NodeLag] = []
        failures: list[NodeLag] = []
        for info in _active(resources):
            failed = _failure(info)
            if failed is not None:
                failures.append(failed)
                continue
            volume = next((v for v in info.volumes if v.volume_number == volume_number), None)
            if volume is None:
                laggards.append(node_lag(info, f"volume {volume_number} not reported"))
                continue
            problem = _size_problem(volume, size_kib) or replica_problem(info)
            if problem is not None:
                laggards.append(node_lag(info, problem, volume))
        return _check(laggards, failures)

    return condition


def _size_problem(volume: VolumeInfo, size_kib: int) -> str | None:
    resizing = [flag for flag in volume.flags if flag.upper() in _RESIZE_FLAGS]
    if resizing:
        return f"volume {volume.volume_number} still resizing ({','.join(resizing)})"
    if volume.usable_size_kib is not None and volume.usable_size_kib < size_kib:
        return (
            f"volume {volume.volume_number} usable size {volume.usable_size_kib} KiB "
            f"< {size_kib} KiB"
        )
    return None


def attached(node: str) -> Condition:
    """The replica on ``node`` exists, is active and reports a device path for every volume,
    and every active peer that reports a connection to it shows it connected."""

    def condition(resources: Sequence[ResourceInfo]) -> Verdict:
        info = _on(resources, node)
        if info is None:
            return NotYet((NodeLag(node=node, reason="no assignment on this node yet"),))
        failed = _failure(info)
        if failed is not None:
            return Failed((failed,))
        if info.deleting:
            return NotYet((node_lag(info, "assignment is being deleted"),))
        if info.inactive:
            return NotYet((node_lag(info, "assignment is inactive"),))
        if not info.state_known:
            return NotYet((node_lag(info, "no state reported (satellite offline?)"),))
        if not info.volumes:
            return NotYet((node_lag(info, "no volumes reported"),))
        for volume in info.volumes:
            if not volume.device_path:
                return NotYet((node_lag(info, f"volume {volume.volume_number} has no device"),))
            if volume.disk_state is None:
                return NotYet((node_lag(info, f"volume {volume.volume_number} state unknown"),))
        for peer in _active(resources):
            link = next((c for name, c in peer.connections.items() if _named(name, node)), None)
            if link is not None and not link.connected:
                return NotYet((node_lag(peer, f"not connected to {node} yet"),))
        return DONE

    return condition


def _named(name: str, node: str) -> bool:
    return name.upper() == node.upper()


def disk_mode(node: str, *, diskful: bool) -> Condition:
    """The replica on ``node`` finished becoming diskful (and UpToDate) or diskless."""

    def condition(resources: Sequence[ResourceInfo]) -> Verdict:
        info = _on(resources, node)
        if info is None:
            return NotYet((NodeLag(node=node, reason="no assignment on this node yet"),))
        failed = _failure(info)
        if failed is not None:
            return Failed((failed,))
        moving = [flag for flag in info.flags if flag.upper() in _TRANSITION_FLAGS]
        if moving:
            return NotYet((node_lag(info, f"disk transition in progress ({','.join(moving)})"),))
        if info.diskless == diskful:
            wanted = "diskful" if diskful else "diskless"
            return NotYet((node_lag(info, f"not {wanted} yet"),))
        problem = replica_problem(info)
        if problem is not None:
            return NotYet((node_lag(info, problem),))
        return DONE

    return condition


def gone(node: str | None = None) -> Condition:
    """No replica is left on ``node`` (a tiebreaker LINSTOR keeps counts as gone), or none at all
    when ``node`` is None."""

    def condition(resources: Sequence[ResourceInfo]) -> Verdict:
        left = list(resources) if node is None else [r for r in resources if _same(r, node)]
        if node is not None:
            left = [r for r in left if not (r.tiebreaker and not r.deleting)]
        if not left:
            return DONE
        return NotYet(tuple(node_lag(info, "assignment not removed yet") for info in left))

    return condition


def _same(info: ResourceInfo, node: str) -> bool:
    return info.node_name.upper() == node.upper()


def resynced() -> Condition:
    """Every active diskful replica is UpToDate with no resync running (connections aside)."""

    def condition(resources: Sequence[ResourceInfo]) -> Verdict:
        laggards: list[NodeLag] = []
        failures: list[NodeLag] = []
        diskful = [info for info in _active(resources) if not info.diskless]
        for info in diskful:
            failed = _failure(info)
            if failed is not None:
                failures.append(failed)
                continue
            problem = replica_problem(info, require_connected=False)
            if problem is not None:
                laggards.append(node_lag(info, problem))
        if not diskful:
            laggards.append(NodeLag(node="cluster", reason="no diskful replica exists"))
        return _check(laggards, failures)

    return condition


# --- state the resource watcher does not see ---------------------------------------------------
async def poll_until(
    settings: PollSettings,
    read: Callable[[], Awaitable[T]],
    check: Callable[[T], Verdict],
    *,
    within: float,
    resource: str,
    operation: str,
    reported_timeout: float | None = None,
) -> T:
    """Poll ``read`` until ``check`` says Done, for state outside ``/v1/view/resources``
    (snapshot flags, clone status). The contract of :func:`wait_until`: Failed raises
    ConvergenceFailed, the deadline ConvergenceTimeout naming the last laggards; a read without
    answer is retried. The pause grows like the watcher's tick and restarts on any change.
    """
    last: tuple[NodeLag, ...] = ()
    failure: BaseException | None = None
    idle = 0
    with anyio.move_on_after(within):
        while True:
            try:
                value = await read()
            except TransportError as exc:
                logger.warning(
                    "%s of %r: reading state failed, will retry: %s", operation, resource, exc
                )
                failure = exc
                idle += 1
            else:
                failure = None
                verdict = check(value)
                if isinstance(verdict, Done):
                    return value
                if isinstance(verdict, Failed):
                    raise ConvergenceFailed(resource, operation, verdict.laggards, verdict.message)
                idle = idle + 1 if verdict.laggards == last else 0
                last = verdict.laggards
            await anyio.sleep(tick_interval(settings, idle))
    if failure is not None:
        last = (*last, NodeLag(node="controller", reason=f"state could not be read: {failure}"))
    raise ConvergenceTimeout(resource, operation, last, reported_timeout or within)
