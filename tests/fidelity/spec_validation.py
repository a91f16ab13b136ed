"""Validate controller answers against the official OpenAPI spec with openapi-core.

The spec file is read from ``$AIOLINSTOR_SHARED_DIR/linstor-rest/rest_v1_openapi.yaml`` and
relaxed only by :mod:`spec_exceptions`. :class:`SpecValidator` checks one answer;
:class:`AnswerRecorder` is an emulator response observer that keeps answers until a test ends,
when the suite validates them (``tests/conftest.py``), so a wrong answer fails the test that
caused it without slowing the emulator down while it serves.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml  # type: ignore[import-untyped]
from openapi_core import Config, OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse

from .spec_exceptions import SPEC_PATCHES, SpecPatch, skip_reason

if TYPE_CHECKING:
    from aiolinstor.emulator import Exchange

SPEC_RELATIVE_PATH = Path("linstor-rest") / "rest_v1_openapi.yaml"
SPEC_SERVER = "http://localhost:3370"  # the server the spec declares; answers are matched to it


@dataclass(frozen=True)
class Answer:
    """What the validator needs of an answer."""

    method: str
    path: str
    status: int
    content_type: str
    body: bytes

    @classmethod
    def of(cls, exchange: Exchange) -> Answer:
        return cls(
            exchange.method,
            exchange.path,
            exchange.status,
            exchange.content_type,
            exchange.body,
        )

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@cache
def _spec_document(spec_file: Path) -> dict[str, Any]:
    with spec_file.open(encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.load(
            stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    return document


def _describe(exc: OpenAPIError) -> str:
    text = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or getattr(exc, "schema_errors", None)
    if schema_errors:
        details = []
        for error in list(schema_errors)[:8]:
            where = "$" + "".join(f"[{p!r}]" for p in error.absolute_path)
            details.append(f"at {where}: {error.message[:300]}")
        text = f"{type(exc).__name__}: " + "; ".join(details)
    return text[:2000]


class SpecValidator:
    """Checks answers against the spec as relaxed by :mod:`spec_exceptions`."""

    def __init__(self, spec_file: Path, patches: Sequence[SpecPatch] = SPEC_PATCHES) -> None:
        document = copy.deepcopy(_spec_document(spec_file))
        for patch in patches:
            patch.apply(document)
        # LOAD_WITHOUT_SPEC_VALIDATION: the spec document itself is not valid OpenAPI.
        self._api = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))
        self._verdicts: dict[tuple[str, str, int, str, str], str | None] = {}
        self._lock = threading.Lock()

    def problem(self, answer: Answer) -> str | None:
        """Why ``answer`` breaks the spec, or None when it conforms (or is skipped)."""
        if skip_reason(answer.path, answer.content_type, len(answer.body)):
            return None
        key = (
            answer.method,
            answer.path,
            answer.status,
            answer.content_type,
            hashlib.sha1(answer.body).hexdigest(),
        )
        with self._lock:
            if key in self._verdicts:
                return self._verdicts[key]
        verdict = self._check(answer)
        with self._lock:
            self._verdicts[key] = verdict
        return verdict

    def _check(self, answer: Answer) -> str | None:
        request = MockRequest(SPEC_SERVER, answer.method.lower(), answer.path)
        response = MockResponse(
            answer.body, status_code=answer.status, content_type=answer.content_type
        )
        try:
            self._api.validate_response(request, response)
        except OpenAPIError as exc:
            return _describe(exc)
        return None


@cache
def spec_validator(shared_dir: Path) -> SpecValidator:
    """The validator for the spec in ``shared_dir`` (parsed once per test session)."""
    return SpecValidator(shared_dir / SPEC_RELATIVE_PATH)


class AnswerRecorder:
    """A response observer keeping answers until :meth:`drain` (thread-safe)."""

    def __init__(self) -> None:
        self._answers: list[Answer] = []
        self._lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> None:
        answer = Answer.of(exchange)
        with self._lock:
            self._answers.append(answer)

    def drain(self) -> list[Answer]:
        with self._lock:
            answers, self._answers = self._answers, []
        return answers


@dataclass
class Tally:
    """What the session's spec check covered (reported in the test run's summary)."""

    answers: int = 0
    skipped: int = 0
    batches: int = 0  # test phases that sent at least one validated answer


TALLY = Tally()


def problems(validator: SpecValidator, answers: list[Answer]) -> Iterator[str]:
    """``"<answer>: <problem>"`` for every answer breaking the spec (counted in TALLY)."""
    validated = 0
    for answer in answers:
        if skip_reason(answer.path, answer.content_type, len(answer.body)):
            TALLY.skipped += 1
            continue
        validated += 1
        problem = validator.problem(answer)
        if problem is not None:
            yield f"{answer}: {problem}"
    TALLY.answers += validated
    TALLY.batches += 1 if validated else 0
