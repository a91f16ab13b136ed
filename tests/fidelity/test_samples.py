"""Real captured controller answers pass the same spec check as the emulator's answers.

This proves the exception list (``spec_exceptions.py``) is right - real answers need it - and
that the validator really rejects wrong answers. Each sample is replayed as the HTTP answer it
was captured from (``samples/INDEX.md``): method, path and status; a single ApiCallRc entry is
wrapped into the list it came from, and the CLI's extra outer list is removed. The blockstor
traces were normalized by their recorder, which replaced every ``created_at`` by the text
``<timestamp>``; the replay puts a real timestamp back (a recorder artifact, not a controller
difference).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fidelity.shared import shared_dir
from fidelity.spec_exceptions import SPEC_PATCHES, SpecPatch
from fidelity.spec_validation import SPEC_RELATIVE_PATH, Answer, SpecValidator, spec_validator

SAMPLES_DIR = Path("linstor-rest") / "samples"
RD = "/v1/resource-definitions/rsc1"

# file -> (method, path, status, how the file relates to the body: "body" | "item" | "cli")
SAMPLES: dict[str, tuple[str, str, int, str]] = {
    "view-resources-item.golinstor-resource_test-2.json": (
        "GET",
        "/v1/view/resources",
        200,
        "item",
    ),
    "resource-one.golinstor-resource_test-1.json": ("GET", f"{RD}/resources/n1", 200, "body"),
    "volume-one.golinstor-resource_test-3.json": ("GET", f"{RD}/resources/n1/volumes", 200, "item"),
    "view-resources-3nodes-allonline.linstor-csi-1.json": (
        "GET",
        "/v1/view/resources",
        200,
        "body",
    ),
    "view-resources-3nodes-oneoffline.linstor-csi-2.json": (
        "GET",
        "/v1/view/resources",
        200,
        "body",
    ),
    "view-resources-shared-sp-inactive.linstor-csi-3.json": (
        "GET",
        "/v1/view/resources",
        200,
        "body",
    ),
    "view-resources-3nodes-oneoffline-noquorum.linstor-csi-6.json": (
        "GET",
        "/v1/view/resources",
        200,
        "body",
    ),
    "view-resources-drbd-force-disconnect-noquorum.linstor-csi-7.json": (
        "GET",
        "/v1/view/resources",
        200,
        "body",
    ),
    "view-resources-openshift-inuse.linstor-csi-4.json": ("GET", f"{RD}/resources", 200, "body"),
    "view-resources-tiebreaker-standalone.linstor-csi-5.json": (
        "GET",
        f"{RD}/resources",
        200,
        "body",
    ),
    "view-resources-diskful-diskless.cinder-test_linstordrv.json": (
        "GET",
        "/v1/view/resources",
        200,
        "body",
    ),
    "resource-definitions.cinder-test_linstordrv.json": (
        "GET",
        "/v1/resource-definitions",
        200,
        "body",
    ),
    "nodes.cinder-test_linstordrv.json": ("GET", "/v1/nodes", 200, "body"),
    "view-storage-pools.cinder-test_linstordrv.json": (
        "GET",
        "/v1/view/storage-pools",
        200,
        "body",
    ),
    "view-storage-pools-with-offline-report.linstor-gui-interfaces.json": (
        "GET",
        "/v1/view/storage-pools",
        200,
        "body",
    ),
    "nodes-unsupported-providers.linstor-gui-interfaces.json": ("GET", "/v1/nodes", 200, "body"),
    "error-reports.linstor-gui-interfaces.json": ("GET", "/v1/error-reports", 200, "body"),
    "controller-version.linbit-documentation-ug9-k8s.json": (
        "GET",
        "/v1/controller/version",
        200,
        "body",
    ),
    "resource-groups-cli-m.issue-linstor-server-146.json": (
        "GET",
        "/v1/resource-groups",
        200,
        "cli",
    ),
    "nodes.blockstor-oracle-013.json": ("GET", "/v1/nodes", 200, "body"),
    "node-one-offline-noinfo.blockstor-oracle-014.json": ("GET", "/v1/nodes/trace-n1", 200, "body"),
    "apicallrc-node-create-warn-not-connected.blockstor-oracle-011.json": (
        "POST",
        "/v1/nodes",
        201,
        "body",
    ),
    "apicallrc-node-delete.blockstor-oracle-016.json": (
        "DELETE",
        "/v1/nodes/trace-n1",
        200,
        "body",
    ),
    "apicallrc-controller-props-set.blockstor-oracle-003.json": (
        "POST",
        "/v1/controller/properties",
        201,
        "body",
    ),
    "resource-groups.blockstor-oracle-022.json": ("GET", "/v1/resource-groups", 200, "body"),
    "apicallrc-rg-create.blockstor-oracle-020.json": ("POST", "/v1/resource-groups", 201, "body"),
    "apicallrc-rd-create.blockstor-oracle-032.json": (
        "POST",
        "/v1/resource-definitions",
        201,
        "body",
    ),
    "apicallrc-vd-create.blockstor-oracle-037.json": (
        "POST",
        f"{RD}/volume-definitions",
        200,
        "body",
    ),
    "volume-definitions.blockstor-oracle-038.json": (
        "GET",
        f"{RD}/volume-definitions",
        200,
        "body",
    ),
    "apicallrc-vd-delete.blockstor-oracle-040.json": (
        "DELETE",
        f"{RD}/volume-definitions/0",
        200,
        "body",
    ),
    "apicallrc-controller-props-with-error.linstor-gui-toast.json": (
        "POST",
        "/v1/controller/properties",
        500,
        "body",
    ),
    "apicallrc-delete-resource-satellite-offline.golinstor-apicallerror_test.json": (
        "DELETE",
        f"{RD}/resources/n2",
        500,
        "body",
    ),
    "apicallrc-item-exists-rsc.linstor-api-py-test_responses.json": (
        "POST",
        f"{RD}/resources",
        500,
        "item",
    ),
    "apicallrc-item-node-not-found.linstor-api-py-test_responses.json": (
        "POST",
        f"{RD}/resources",
        404,
        "item",
    ),
    "apicallrc-item-node-create-invalid-ip.linstor-gui-alert.json": (
        "POST",
        "/v1/nodes",
        500,
        "item",
    ),
    "apicallrc-rsc-create-node-not-found.issue-addon-linstor_un-3.json": (
        "POST",
        f"{RD}/resources",
        404,
        "body",
    ),
    "apicallrc-snapshot-restore-no-space.issue-linstor-server-425.json": (
        "POST",
        f"{RD}/snapshot-restore-resource/snap1",
        500,
        "body",
    ),
    "apicallrc-item-snapshot-exists.issue-linstor-server-409.json": (
        "POST",
        f"{RD}/snapshots",
        500,
        "item",
    ),
    "apicallrc-storage-pool-create-vg-missing.issue-xcp-ng-sm-159.json": (
        "POST",
        "/v1/nodes/n1/storage-pools",
        500,
        "body",
    ),
}


def _samples_dir() -> Path:
    return shared_dir() / SAMPLES_DIR


_RECORDER_TIMESTAMP = '"created_at": "<timestamp>"'
_A_TIMESTAMP = '"created_at": "2026-05-12T10:00:00.000+00:00"'


def _body(name: str, form: str) -> Any:
    text = (_samples_dir() / name).read_text(encoding="utf-8")
    data = json.loads(text.replace(_RECORDER_TIMESTAMP, _A_TIMESTAMP))
    if form == "item":
        return [data]
    if form == "cli":
        return data[0]
    return data


def _answer(name: str, body: Any | None = None) -> Answer:
    method, path, status, form = SAMPLES[name]
    if body is None:
        body = _body(name, form)
    return Answer(method, path, status, "application/json", json.dumps(body).encode())


def test_every_sample_is_listed() -> None:
    on_disk = {p.name for p in _samples_dir().glob("*.json")}
    assert on_disk == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_real_sample_passes_the_spec_check(name: str) -> None:
    assert spec_validator(shared_dir()).problem(_answer(name)) is None


# No real capture of GET /health exists; the emulator serves it like a real controller.
NOT_SHOWN_BY_SAMPLES = {"health-endpoint"}


@pytest.mark.parametrize("patch", SPEC_PATCHES, ids=lambda p: p.name)
def test_every_spec_exception_is_needed_by_real_answers(patch: SpecPatch) -> None:
    """The list is minimal: without any one entry, some real answer fails the check."""
    assert len(patch.reason) > 40
    if patch.name in NOT_SHOWN_BY_SAMPLES:
        return
    others = [p for p in SPEC_PATCHES if p is not patch]
    validator = SpecValidator(shared_dir() / SPEC_RELATIVE_PATH, patches=others)
    assert any(validator.problem(_answer(name)) is not None for name in SAMPLES)


@pytest.fixture(scope="module")
def strict_validator() -> SpecValidator:
    return SpecValidator(shared_dir() / SPEC_RELATIVE_PATH, patches=())


def test_unpatched_spec_rejects_the_real_samples(strict_validator: SpecValidator) -> None:
    """Without the exceptions, real answers fail: the list is needed, not decoration."""
    strict = strict_validator
    failing = {name for name in SAMPLES if strict.problem(_answer(name)) is not None}
    # node type capitals + newer provider kinds, VD create 200, layer oneOf, error lists,
    # and an unlisted single-object GET all show up among real answers.
    for expected in (
        "nodes.blockstor-oracle-013.json",
        "apicallrc-vd-create.blockstor-oracle-037.json",
        "view-resources-3nodes-allonline.linstor-csi-1.json",
        "apicallrc-controller-props-with-error.linstor-gui-toast.json",
        "resource-one.golinstor-resource_test-1.json",
    ):
        assert expected in failing


@pytest.mark.parametrize(
    ("name", "mutate", "expected"),
    [
        (
            "nodes.blockstor-oracle-013.json",
            lambda body: body[0].pop("name"),
            "'name' is a required property",
        ),
        (
            "nodes.blockstor-oracle-013.json",
            lambda body: body[0].update(type="ROBOT"),
            "'ROBOT' is not one of",
        ),
        (
            "apicallrc-rd-create.blockstor-oracle-032.json",
            lambda body: body[0].update(ret_code="20447233"),
            "is not of type 'integer'",
        ),
        (
            "view-resources-3nodes-allonline.linstor-csi-1.json",
            lambda body: body[0]["volumes"][0].update(allocated_size_kib="1 GiB"),
            "is not of type 'integer'",
        ),
        (
            "apicallrc-controller-props-with-error.linstor-gui-toast.json",
            lambda body: body[0].pop("message"),
            "'message' is a required property",
        ),
    ],
)
def test_validator_rejects_a_wrong_answer(name: str, mutate: Any, expected: str) -> None:
    form = SAMPLES[name][3]
    body = copy.deepcopy(_body(name, form))
    mutate(body)
    problem = spec_validator(shared_dir()).problem(_answer(name, body))
    assert problem is not None
    assert expected in problem


def test_validator_rejects_an_undeclared_success_status() -> None:
    name = "apicallrc-rd-create.blockstor-oracle-032.json"
    answer = _answer(name)
    wrong = Answer(answer.method, answer.path, 202, answer.content_type, answer.body)
    problem = spec_validator(shared_dir()).problem(wrong)
    assert problem is not None
    assert "202" in problem


def test_validator_rejects_an_unknown_operation() -> None:
    answer = Answer("GET", "/v1/no-such-thing", 200, "application/json", b"[]")
    assert spec_validator(shared_dir()).problem(answer) is not None


def test_skipped_answers_are_not_checked() -> None:
    validator = spec_validator(shared_dir())
    assert (
        validator.problem(Answer("GET", "/_emulator/state", 200, "application/json", b"x")) is None
    )
    stream = Answer("GET", "/v1/events/nodes", 200, "text/event-stream", b"event: x\n\n")
    assert validator.problem(stream) is None
    big = Answer("GET", "/v1/nodes", 200, "application/json", b"[" + b" " * 1_000_001 + b"7]")
    assert validator.problem(big) is None
    assert validator.problem(Answer("GET", "/v1/nodes", 200, "application/json", b"[7]"))
