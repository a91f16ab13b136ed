"""Fault injection: rules that make the emulated controller fail, hang or drop connections.

A :class:`FaultRule` matches requests by HTTP method and a regular expression searched in the
request path, and then applies one action:

* :class:`ErrorAnswer` - answer with an ApiCallRc error list and the given HTTP status, and
  record an error report whose id is listed in ``error_report_ids``;
* :class:`Drop` - close the connection without answering, either before the request is
  processed or after it was processed (the change happened, the client sees a reset);
* :class:`Delay` - wait before processing the request (latency).

A rule applies to the next ``count`` matching requests (unlimited when ``None``) and, with a
``probability``, only to that share of them, drawn from a seeded random generator so that runs
repeat. The JSON form (``POST /_emulator/faults``) is documented in ``docs/emulator.md``.

:class:`Blackhole` makes the whole controller hang: requests are accepted and never answered
until the blackhole ends, then their connections are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Blackhole",
    "Delay",
    "Drop",
    "ErrorAnswer",
    "FaultAction",
    "FaultInjector",
    "FaultRule",
    "FaultRuleError",
]


class FaultRuleError(ValueError):
    """A fault rule (usually its JSON form) is malformed; the message names the bad value."""


@dataclass(frozen=True)
class ErrorAnswer:
    """Answer with an ApiCallRc error list instead of processing the request.

    ``ret_code`` defaults to ``FAIL_UNKNOWN_ERROR`` (signed or unsigned values are accepted);
    ``message`` defaults to a text naming the rule.
    """

    status: int = 500
    ret_code: int | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise FaultRuleError(f"fault status must be an integer, got {self.status!r}")
        if not 400 <= self.status <= 599:
            raise FaultRuleError(f"fault status must be within 400..599, got {self.status}")
        if self.ret_code is not None and (
            isinstance(self.ret_code, bool) or not isinstance(self.ret_code, int)
        ):
            raise FaultRuleError(f"fault ret_code must be an integer, got {self.ret_code!r}")
        if self.message is not None and not isinstance(self.message, str):
            raise FaultRuleError(f"fault message must be a string, got {self.message!r}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.ret_code is not None:
            out["ret_code"] = self.ret_code
        if self.message is not None:
            out["message"] = self.message
        return out


@dataclass(frozen=True)
class Drop:
    """Close the connection without an answer; ``after=True`` processes the request first."""

    after: bool = False

    def to_json(self) -> str:
        return "drop_after" if self.after else "drop_before"


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` before processing the request."""

    seconds: float

    def __post_init__(self) -> None:
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, int | float):
            raise FaultRuleError(f"fault delay must be a number of seconds, got {self.seconds!r}")
        if not 0 <= self.seconds <= 3600:
            raise FaultRuleError(f"fault delay must be within 0..3600 s, got {self.seconds}")

    def to_json(self) -> dict[str, Any]:
        return {"delay": self.seconds}


FaultAction = ErrorAnswer | Drop | Delay

_DROP_ACTIONS = {"drop": Drop(), "drop_before": Drop(), "drop_after": Drop(after=True)}
_RULE_KEYS = frozenset({"method", "path", "action", "count", "probability"})


def _parse_action(raw: object) -> FaultAction:
    if isinstance(raw, str):
        if raw in _DROP_ACTIONS:
            return _DROP_ACTIONS[raw]
        raise FaultRuleError(
            f"unknown fault action {raw!r}; use 'drop_before', 'drop_after', "
            '{"status": ...} or {"delay": ...}'
        )
    if isinstance(raw, dict):
        if "delay" in raw:
            if set(raw) != {"delay"}:
                raise FaultRuleError(f"a delay action takes only 'delay', got {sorted(raw)}")
            return Delay(raw["delay"])
        if "status" in raw:
            unknown = set(raw) - {"status", "ret_code", "message"}
            if unknown:
                raise FaultRuleError(f"unknown keys in error action: {sorted(unknown)}")
            return ErrorAnswer(raw["status"], raw.get("ret_code"), raw.get("message"))
    raise FaultRuleError(f"fault action must be a string or an object, got {raw!r}")


@dataclass
class FaultRule:
    """One fault: which requests it matches, what it does, and how often.

    ``method`` is compared case-insensitively (``None`` or ``"*"`` matches any); ``path`` is a
    regular expression searched (``re.search``) in the request path without query string.
    ``id`` and ``hits`` (how many times the action was applied) are kept by the injector.
    """

    action: FaultAction
    method: str | None = None
    path: str = ""
    count: int | None = None
    probability: float | None = None
    id: int = 0
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.action, ErrorAnswer | Drop | Delay):
            raise FaultRuleError(
                f"fault action must be ErrorAnswer, Drop or Delay: {self.action!r}"
            )
        if self.method is not None and not isinstance(self.method, str):
            raise FaultRuleError(f"fault method must be a string, got {self.method!r}")
        if not isinstance(self.path, str):
            raise FaultRuleError(f"fault path must be a regular expression, got {self.path!r}")
        try:
            self._pattern = re.compile(self.path)
        except re.error as exc:
            raise FaultRuleError(f"fault path {self.path!r} is not a valid regex: {exc}") from None
        if self.count is not None and (
            isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1
        ):
            raise FaultRuleError(f"fault count must be a positive integer, got {self.count!r}")
        if self.probability is not None and (
            isinstance(self.probability, bool)
            or not isinstance(self.probability, int | float)
            or not 0 <= self.probability <= 1
        ):
            raise FaultRuleError(
                f"fault probability must be a number within 0..1, got {self.probability!r}"
            )

    @classmethod
    def from_json(cls, data: object) -> FaultRule:
        """Parse the JSON form of ``POST /_emulator/faults``."""
        if not isinstance(data, Mapping):
            raise FaultRuleError(f"a fault rule must be a JSON object, got {data!r}")
        unknown = set(data) - _RULE_KEYS
        if unknown:
            raise FaultRuleError(f"unknown fault rule keys: {sorted(unknown)}")
        if "action" not in data:
            raise FaultRuleError("a fault rule needs an 'action'")
        return cls(
            action=_parse_action(data["action"]),
            method=data.get("method"),
            path=data.get("path", ""),
            count=data.get("count"),
            probability=data.get("probability"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "action": self.action.to_json(),
            "count": self.count,
            "probability": self.probability,
            "hits": self.hits,
            "exhausted": self.exhausted,
        }

    @property
    def exhausted(self) -> bool:
        """True once the rule has been applied ``count`` times."""
        return self.count is not None and self.hits >= self.count

    def matches(self, method: str, path: str) -> bool:
        if self.method not in (None, "*") and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None


class FaultInjector:
    """The active fault rules of one emulator, applied in the order they were added."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._rng = random.Random(seed)
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, rule: FaultRule) -> int:
        """Install ``rule`` and return its id."""
        rule.id = self._next_id
        rule.hits = 0
        self._next_id += 1
        self._rules.append(rule)
        return rule.id

    def remove(self, rule_id: int) -> bool:
        """Remove one rule; False when no rule has that id."""
        before = len(self._rules)
        self._rules = [rule for rule in self._rules if rule.id != rule_id]
        return len(self._rules) != before

    def get(self, rule_id: int) -> FaultRule | None:
        return next((rule for rule in self._rules if rule.id == rule_id), None)

    def clear(self) -> None:
        """Remove every rule."""
        self._rules.clear()

    def reset(self) -> None:
        """Remove every rule and re-seed the random generator (a fresh emulator)."""
        self.clear()
        self._rng = random.Random(self._seed)

    @property
    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def to_json(self) -> list[dict[str, Any]]:
        return [rule.to_json() for rule in self._rules]

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The first rule that fires for this request (its hit count is taken), if any."""
        for rule in self._rules:
            if rule.exhausted or not rule.matches(method, path):
                continue
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            rule.hits += 1
            return rule
        return None


class Blackhole:
    """A period during which the controller accepts requests and never answers them."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: float | None = None
        self._changed = asyncio.Event()
        self.held = 0
        """Requests being held right now."""

    def start(self, seconds: float) -> None:
        """Hang every request for ``seconds`` from now (or until :meth:`clear`)."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise FaultRuleError(f"blackhole seconds must be a number, got {seconds!r}")
        if not 0 < seconds <= 86400:
            raise FaultRuleError(f"blackhole seconds must be within (0, 86400], got {seconds}")
        self._until = self._clock() + seconds
        self._wake()

    def clear(self) -> None:
        """End the blackhole now; held requests lose their connection."""
        self._until = None
        self._wake()

    @property
    def remaining(self) -> float:
        """Seconds left (0 when inactive)."""
        if self._until is None:
            return 0.0
        return max(0.0, self._until - self._clock())

    @property
    def active(self) -> bool:
        return self.remaining > 0

    async def hold(self) -> None:
        """Return once the blackhole is over (its deadline passed or it was cleared)."""
        self.held += 1
        try:
            while (remaining := self.remaining) > 0:
                changed = self._changed
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)
        finally:
            self.held -= 1

    def to_json(self) -> dict[str, Any]:
        return {"active": self.active, "remaining_s": round(self.remaining, 3), "held": self.held}

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
