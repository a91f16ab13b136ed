"""The shared watcher: one poll of ``/v1/view/resources`` per tick for every wait of a client.

LINSTOR has no event stream for DRBD state, so convergence can only be polled. Polling once per
waiter would cost O(N) requests per tick for N concurrent waits; the watcher instead reads the
union of the watched resources once per tick and wakes only the waiters whose resources changed.

There is no background task. The first registered waiter is the *leader*: it sleeps until the
next tick is due, performs the fetch for everybody, and wakes the subscribers whose resources
changed. When the leader leaves (done, failed, timed out or cancelled) it hands leadership over,
synchronously, to another subscriber, so cancelling the fetching waiter never strands the others.
The tick adapts with tenacity's backoff: it restarts at ``poll_interval`` whenever something
changed or a new waiter arrived, grows (with jitter) while nothing changes, and is capped at
``max_poll_interval``. Polls are never closer than ``poll_interval``, except that a waiter
arriving while nobody else waits looks at once (it needs that one fetch anyway).

Once the tick has backed off a few steps, the leader pauses listening to the controller's node
event stream (``/v1/events/nodes``): a node going offline or online brings the next tick forward
at once instead of after the backed-off pause. The stream is only read by a leader inside its
pause and closed when the last subscriber leaves; when it cannot be opened or breaks, the
watcher simply keeps polling and tries the stream again after :data:`EVENTS_RETRY_S`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import tenacity

from aiolinstor._errors import LinstorError, TransportError

if TYPE_CHECKING:
    from aiolinstor._models import ResourceInfo

logger = logging.getLogger("aiolinstor")

#: Reads the state of the given resources (all their nodes) in one request.
FetchResources = Callable[[Sequence[str]], Awaitable[Sequence["ResourceInfo"]]]

#: Seconds the watcher polls only, after the node event stream failed, ended or could not open.
EVENTS_RETRY_S = 30.0
#: The node event stream is opened for pauses of at least this many ``poll_interval``s: only
#: waits that have seen no change for a while pay its request.
EVENTS_MIN_PAUSE = 4.0


class NodeEventStream(Protocol):
    """The controller's node event stream as the watcher uses it (an ``EventStream``)."""

    async def open(self) -> None: ...

    async def __anext__(self) -> object: ...

    async def aclose(self) -> None: ...


#: Makes a new, not yet opened, node event stream.
OpenNodeEvents = Callable[[], NodeEventStream]


class PollSettings(Protocol):
    """Where the watcher reads its tick bounds from (the client), at every tick."""

    @property
    def poll_interval(self) -> float: ...

    @property
    def max_poll_interval(self) -> float: ...


def tick_interval(settings: PollSettings, idle_ticks: int) -> float:
    """The pause before the next poll after ``idle_ticks`` polls without change: tenacity's
    exponential backoff from ``poll_interval`` with jitter, capped at ``max_poll_interval``."""
    low = max(float(settings.poll_interval), 0.0)
    high = max(float(settings.max_poll_interval), low)
    strategy = tenacity.wait_exponential(multiplier=low, min=low, max=high) + tenacity.wait_random(
        0, low / 2
    )
    state = tenacity.RetryCallState(tenacity.Retrying(), None, (), {})
    state.attempt_number = idle_ticks + 1
    return min(strategy(state), high)


class Subscription:
    """One waiter's registration: the resources it watches and what it has seen of them."""

    __slots__ = ("_watcher", "failure", "keys", "min_seq", "names", "seen", "waiting", "wake")

    def __init__(self, watcher: Watcher, names: Sequence[str], min_seq: int) -> None:
        self._watcher = watcher
        self.names = tuple(names)
        self.keys = frozenset(name.upper() for name in names)
        #: The first fetch whose result this subscriber may see (one started after it came).
        self.min_seq = min_seq
        #: Version of each watched resource when this subscriber last looked; -1 = never.
        self.seen: dict[str, int] = dict.fromkeys(self.keys, -1)
        self.wake = anyio.Event()
        #: True while the subscriber is inside ``next()``; only such a one can lead.
        self.waiting = False
        #: The last failed fetch while this subscriber waited, for timeout messages.
        self.failure: BaseException | None = None

    async def next(self) -> tuple[ResourceInfo, ...]:
        """The state of the watched resources once it is fresh and differs from the last seen."""
        return await self._watcher._next(self)


class Watcher:
    """Single-flight, adaptive polling of resource state, shared by all waits of one client."""

    def __init__(
        self,
        fetch: FetchResources,
        settings: PollSettings,
        node_events: OpenNodeEvents | None = None,
    ) -> None:
        self._fetch = fetch
        self._settings = settings
        self._open_events = node_events
        self._events: NodeEventStream | None = None
        self._events_retry_at = -math.inf
        self._pause_scope: anyio.CancelScope | None = None
        self._subscriptions: dict[int, Subscription] = {}
        self._leader: Subscription | None = None
        # Per watched resource (upper-cased name): last seen raw state and a version counter.
        self._states: dict[str, tuple[ResourceInfo, ...]] = {}
        self._raw: dict[str, tuple[Mapping[str, Any], ...]] = {}
        self._versions: dict[str, int] = {}
        self._version_counter = 0
        self._started_seq = 0
        self._success_seq = 0
        self._idle_ticks = 0
        self._last_start = -math.inf
        self._next_due = -math.inf
        #: Number of fetches performed: the cost of all waits together.
        self.fetch_count = 0
        #: Node events received, and how many of them brought a tick forward.
        self.node_events_seen = 0
        self.event_ticks = 0
        #: How often the node event stream could not be opened, broke or ended.
        self.node_events_failures = 0

    # -- public hooks --------------------------------------------------------------------
    @property
    def active_subscriptions(self) -> int:
        return len(self._subscriptions)

    @property
    def watched_names(self) -> list[str]:
        """The union of the resource names the current subscribers wait on."""
        names: dict[str, str] = {}
        for sub in self._subscriptions.values():
            for name in sub.names:
                names.setdefault(name.upper(), name)
        return sorted(names.values(), key=str.upper)

    def notify_changed(self) -> None:
        """Something changed outside the poll (e.g. an event stream): tick again soon."""
        self._idle_ticks = 0
        self._hurry()

    @property
    def listening(self) -> bool:
        """True while a node event stream is open (read by the leader during its pauses)."""
        return self._events is not None

    @asynccontextmanager
    async def subscribe(self, names: Iterable[str]) -> AsyncIterator[Subscription]:
        """Register interest in ``names`` for the duration of the block."""
        unique = list(dict.fromkeys(names))
        if not unique:
            raise ValueError("a subscription needs at least one resource name")
        idle = not self._subscriptions
        sub = Subscription(self, unique, self._started_seq + 1)
        self._subscriptions[id(sub)] = sub
        for key in sub.keys:
            self._versions.setdefault(key, -1)
        self._idle_ticks = 0
        if idle:
            # Nobody else waits: the first look is due at once (it is the one fetch this wait
            # needs anyway), so waits one after another do not each sit out a tick.
            self._next_due = min(self._next_due, anyio.current_time())
        else:
            self._hurry()
        try:
            yield sub
        finally:
            self._unsubscribe(sub)
            if not self._subscriptions and self._events is not None:
                with anyio.CancelScope(shield=True):
                    await self._drop_events()

    # -- internals -----------------------------------------------------------------------
    def _hurry(self) -> None:
        """Bring the next tick forward to the earliest moment the minimum spacing allows."""
        earliest = self._last_start + self._settings.poll_interval
        if earliest < self._next_due:
            self._next_due = earliest
            if self._pause_scope is not None:
                self._pause_scope.deadline = earliest

    def _unsubscribe(self, sub: Subscription) -> None:
        # Runs in ``finally`` (also on cancellation): must not await.
        self._subscriptions.pop(id(sub), None)
        still_watched = {key for other in self._subscriptions.values() for key in other.keys}
        for key in sub.keys - still_watched:
            self._versions.pop(key, None)
            self._states.pop(key, None)
            self._raw.pop(key, None)
        self._release(sub)

    def _release(self, sub: Subscription) -> None:
        """Hand leadership from ``sub`` to a subscriber waiting in ``next()``, if any."""
        if self._leader is not sub:
            return
        self._leader = None
        for successor in self._subscriptions.values():
            if successor.waiting:
                self._leader = successor
                successor.wake.set()
                return

    def _has_news(self, sub: Subscription) -> bool:
        if self._success_seq < sub.min_seq:
            return False
        return any(self._versions.get(key, -1) != sub.seen[key] for key in sub.keys)

    def _take(self, sub: Subscription) -> tuple[ResourceInfo, ...]:
        if sub.wake.is_set():
            sub.wake = anyio.Event()
        for key in sub.keys:
            sub.seen[key] = self._versions.get(key, -1)
        result: list[ResourceInfo] = []
        for key in sorted(sub.keys):
            result.extend(self._states.get(key, ()))
        return tuple(result)

    async def _next(self, sub: Subscription) -> tuple[ResourceInfo, ...]:
        # Leadership is held only while inside this method, so a subscriber busy elsewhere
        # (e.g. a progress consumer between iterations) never stalls the others.
        sub.waiting = True
        try:
            while True:
                if self._has_news(sub):
                    return self._take(sub)
                if self._leader is None:
                    self._leader = sub
                if self._leader is sub:
                    await self._tick()
                else:
                    await sub.wake.wait()
                    sub.wake = anyio.Event()
        finally:
            sub.waiting = False
            self._release(sub)

    def _interval(self) -> float:
        """The pause before the next tick (see :func:`tick_interval`)."""
        return tick_interval(self._settings, self._idle_ticks)

    async def _tick(self) -> None:
        while (delay := self._next_due - anyio.current_time()) > 0:
            await self._pause(delay)
        await self._fetch_and_distribute()

    async def _pause(self, delay: float) -> None:
        """Sleep until the next tick is due; :meth:`_hurry` (a new subscriber, a change seen
        elsewhere) moves the deadline, a node event ends the pause at once."""
        # The stream only helps once the tick has backed off (an event cannot bring a tick
        # earlier than the minimum spacing anyway), and only pays off for long waits.
        stream = None
        if self._events is not None or delay >= EVENTS_MIN_PAUSE * self._settings.poll_interval:
            stream = await self._node_events(delay)
        with anyio.CancelScope(deadline=self._next_due) as scope:
            self._pause_scope = scope
            try:
                if stream is not None and await self._next_node_event(stream):
                    return
                await anyio.sleep_forever()
            finally:
                self._pause_scope = None

    async def _node_events(self, delay: float) -> NodeEventStream | None:
        """The open node event stream, opening it if needed; None to only poll."""
        if self._events is not None:
            return self._events
        if self._open_events is None or anyio.current_time() < self._events_retry_at:
            return None
        stream = self._events = self._open_events()
        try:
            # Bounded, and not cut short by pokes (a half-opened stream is lost), so a slow
            # controller delays the tick by at most one poll interval.
            with anyio.move_on_after(max(delay, self._settings.poll_interval)) as scope:
                await stream.open()
        except LinstorError as exc:
            await self._events_failed(f"cannot open the node event stream: {exc}")
            return None
        except BaseException:
            self._events = None  # cancelled while opening: the stream closed itself
            raise
        if scope.cancelled_caught:
            await self._events_failed("the node event stream did not open in time")
            return None
        logger.debug("listening to node events while waiting")
        return stream

    async def _next_node_event(self, stream: NodeEventStream) -> bool:
        """Wait for one node event; True when it came (the next tick is then due at once)."""
        try:
            await stream.__anext__()
        except StopAsyncIteration:
            await self._events_failed("the node event stream ended")
            return False
        except LinstorError as exc:
            await self._events_failed(f"the node event stream failed: {exc}")
            return False
        self.node_events_seen += 1
        self._idle_ticks = 0
        earliest = self._last_start + self._settings.poll_interval
        if earliest < self._next_due:
            self._next_due = earliest
            self.event_ticks += 1
        return True

    async def _events_failed(self, reason: str) -> None:
        """Give the stream up for a while and keep polling."""
        self.node_events_failures += 1
        self._events_retry_at = anyio.current_time() + EVENTS_RETRY_S
        logger.info("%s; polling only for the next %g s", reason, EVENTS_RETRY_S)
        await self._drop_events()

    async def _drop_events(self) -> None:
        stream, self._events = self._events, None
        if stream is not None:
            await stream.aclose()

    async def _fetch_and_distribute(self) -> None:
        names = self.watched_names
        self._started_seq += 1
        seq = self._started_seq
        self._last_start = anyio.current_time()
        # Until this fetch completes, a cancelled leader's successor may fetch at once.
        self._next_due = self._last_start
        self.fetch_count += 1
        try:
            observed = await self._fetch(names)
        except TransportError as exc:
            logger.warning("reading resource state failed, will retry: %s", exc)
            for sub in self._subscriptions.values():
                sub.failure = exc
            self._idle_ticks += 1
            self._next_due = self._last_start + self._interval()
            return
        except Exception:
            # Not transient (e.g. a malformed answer): this leader's wait fails with it; the
            # next leader tries again after a backoff instead of at once.
            self._idle_ticks += 1
            self._next_due = self._last_start + self._interval()
            raise
        changed = self._store(names, observed)
        self._success_seq = seq
        self._idle_ticks = 0 if changed else self._idle_ticks + 1
        self._next_due = self._last_start + self._interval()
        for sub in self._subscriptions.values():
            sub.failure = None
            if sub is not self._leader and self._has_news(sub):
                sub.wake.set()

    def _store(self, names: Sequence[str], observed: Sequence[ResourceInfo]) -> bool:
        by_key: dict[str, list[ResourceInfo]] = {name.upper(): [] for name in names}
        for info in observed:
            bucket = by_key.get(info.name.upper())
            if bucket is not None:
                bucket.append(info)
        changed = False
        for key, infos in by_key.items():
            if key not in self._versions:  # its last subscriber left during the fetch
                continue
            infos.sort(key=lambda info: info.node_name.upper())
            raw = tuple(info.raw for info in infos)
            if self._versions[key] == -1 or self._raw.get(key) != raw:
                self._version_counter += 1
                self._versions[key] = self._version_counter
                self._raw[key] = raw
                self._states[key] = tuple(infos)
                changed = True
        return changed
