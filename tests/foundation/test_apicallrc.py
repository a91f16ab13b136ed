"""Return codes: bit layout, classification, parsing, status mapping, error classes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aiolinstor import _apicallrc as rc
from aiolinstor._apicallrc import ApiCallRc, ApiCallRcList, Severity
from aiolinstor._errors import (
    AlreadyExistsError,
    ApiCallError,
    AuthenticationError,
    InUseError,
    NotEnoughNodesError,
    NotFoundError,
    ProtocolError,
    api_call_error,
)

SAMPLES = (
    Path(
        os.environ.get(
            "AIOLINSTOR_SHARED_DIR", Path(__file__).resolve().parents[2] / ".." / "shared"
        )
    )
    / "linstor-rest"
    / "samples"
)


@pytest.mark.parametrize(
    ("wire", "const", "kind"),
    [
        (20447233, rc.CREATED, Severity.SUCCESS),
        (-4611686018406940171, rc.FAIL_EXISTS_RSC_DFN, Severity.ERROR),
        (-4611686018427387603, rc.FAIL_NOT_FOUND_RSC_DFN, Severity.ERROR),
        (-4611686018406940470, rc.FAIL_INVLD_RSC_NAME, Severity.ERROR),
        (-4611686018407201820, rc.FAIL_NOT_ENOUGH_NODES, Severity.ERROR),
        (-4611686018373647387, rc.FAIL_IN_USE, Severity.ERROR),
        (-9223372036834589718, rc.WARN_NOT_CONNECTED, Severity.WARNING),
        (-9223372036834589714, rc.WARN_RSC_ALREADY_DEPLOYED, Severity.WARNING),
        (-9223372036800771144, rc.WARN_NOT_FOUND, Severity.WARNING),
        (4611686018447583000, rc.INFO_RSC_ALREADY_EXISTS, Severity.INFO),
    ],
)
def test_real_wire_values_classify_and_match(wire: int, const: int, kind: Severity) -> None:
    assert rc.severity(wire) is kind
    assert rc.matches(wire, const)


def test_matching_ignores_operation_and_object_bits_but_not_type() -> None:
    full = rc.make_ret_code(rc.FAIL_NOT_FOUND_NODE, rc.MASK_CRT, rc.MASK_RSC)
    assert rc.matches(full, rc.FAIL_NOT_FOUND_NODE)
    assert not rc.matches(full, rc.FAIL_NOT_FOUND_RSC_DFN)
    # a warning with the same code bits is not the error
    assert not rc.matches(rc.MASK_WARN | 300, rc.FAIL_NOT_FOUND_NODE)
    # an error is never taken for a warning (python-linstor's is_warning() gets this wrong)
    assert rc.severity(rc.FAIL_IN_USE) is Severity.ERROR


def test_signed_and_unsigned_forms() -> None:
    assert rc.to_signed(rc.MASK_ERROR) == -4611686018427387904
    assert rc.to_signed(rc.MASK_WARN) == -9223372036854775808
    assert rc.to_unsigned(-1) == 2**64 - 1
    assert rc.to_signed(rc.to_unsigned(-12345)) == -12345
    assert rc.make_ret_code(rc.CREATED, rc.MASK_CRT, rc.MASK_RSC_DFN) == 20447233


@pytest.mark.parametrize(
    ("codes", "success", "status"),
    [
        ([], 201, 201),
        ([rc.CREATED, rc.WARN_NOT_CONNECTED], 201, 201),
        ([rc.CREATED, rc.FAIL_NOT_FOUND_NODE], 201, 404),
        ([rc.FAIL_EXISTS_RSC_DFN, rc.FAIL_NOT_FOUND_NODE], 201, 500),
        ([rc.FAIL_ACC_DENIED_NODE], 200, 403),
        ([rc.FAIL_SIGN_IN], 200, 403),
        ([rc.FAIL_SIGN_IN_MISSING_CREDENTIALS], 200, 401),
        ([rc.API_CALL_PARSE_ERROR], 200, 500),
    ],
)
def test_http_status_follows_the_first_error(codes: list[int], success: int, status: int) -> None:
    assert rc.http_status_for(codes, success) == status


def test_entry_round_trip_and_omitted_fields() -> None:
    entry = ApiCallRc.from_json({"ret_code": 20447233, "message": "created"})
    assert entry.is_success and entry.obj_refs == {} and entry.error_report_ids == ()
    assert entry.to_json() == {"ret_code": 20447233, "message": "created"}
    full = {
        "ret_code": -4611686018373647387,
        "message": "in use",
        "cause": "c",
        "details": "d",
        "correction": "x",
        "obj_refs": {"RscDfn": "r"},
        "error_report_ids": ["5F46591B-00000-000009"],
        "created_at": "2026-11-23T18:40:00.123+00:00",
    }
    assert ApiCallRc.from_json(full).to_json() == full
    assert "5F46591B-00000-000009" in str(ApiCallRc.from_json(full))


@pytest.mark.parametrize(
    "bad",
    [
        "text",
        {"message": "no code"},
        {"ret_code": "1", "message": "m"},
        {"ret_code": True, "message": "m"},
        {"ret_code": 1, "message": 5},
        {"ret_code": 1, "message": "m", "obj_refs": []},
        {"ret_code": 1, "message": "m", "error_report_ids": "abc"},
        {"ret_code": 1, "message": "m", "details": 3},
    ],
)
def test_malformed_entries_are_protocol_errors(bad: object) -> None:
    with pytest.raises(ProtocolError):
        ApiCallRcList.from_json([bad])


def test_list_views() -> None:
    answer = ApiCallRcList.from_json(
        [
            {"ret_code": 20185089, "message": "registered"},
            {"ret_code": rc.to_signed(rc.WARN_NOT_CONNECTED), "message": "offline"},
            {"ret_code": rc.to_signed(rc.INFO_NOOP), "message": "noop"},
        ],
        status=201,
    )
    assert len(answer.successes) == len(answer.warnings) == len(answer.infos) == 1
    assert not answer.errors
    assert answer.has(rc.WARN_NOT_CONNECTED) and not answer.has(rc.FAIL_IN_USE)
    assert answer.first(rc.INFO_NOOP) is answer[2]
    assert answer.status == 201
    assert ApiCallRcList.from_json({"ret_code": 1, "message": "single"})[0].message == "single"
    with pytest.raises(ProtocolError):
        ApiCallRcList.from_json("nope")


@pytest.mark.parametrize(
    ("const", "status", "cls"),
    [
        (rc.FAIL_NOT_FOUND_RSC_DFN, 404, NotFoundError),
        (rc.FAIL_EXISTS_RSC_DFN, 500, AlreadyExistsError),
        (rc.FAIL_NOT_ENOUGH_NODES, 500, NotEnoughNodesError),
        (rc.FAIL_IN_USE, 500, InUseError),
        (rc.FAIL_SIGN_IN_MISSING_CREDENTIALS, 401, AuthenticationError),
        (rc.FAIL_INVLD_RSC_NAME, 500, ApiCallError),
    ],
)
def test_error_classes_follow_the_first_error(const: int, status: int, cls: type) -> None:
    answer = ApiCallRcList.from_json(
        [
            {"ret_code": 1, "message": "ok"},
            {
                "ret_code": rc.make_ret_code(const, rc.MASK_CRT, rc.MASK_RSC),
                "message": "bad",
                "error_report_ids": ["ID-1"],
            },
        ]
    )
    error = api_call_error(answer, status, "POST", "/v1/x")
    assert type(error) is cls
    assert error.error_report_ids == ("ID-1",)
    assert "POST /v1/x" in str(error) and "bad" in str(error)
    assert error.has(const)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("apicallrc-*.json")), ids=lambda p: p.name)
def test_every_real_apicallrc_sample_parses(path: Path) -> None:
    data = json.loads(path.read_text())
    answer = ApiCallRcList.from_json(data)
    assert len(answer) >= 1
    for entry in answer:
        assert entry.message
        # severities seen on the wire always make sense for the sign of the value
        if entry.ret_code < 0:
            assert entry.severity in (Severity.ERROR, Severity.WARNING)


def test_samples_directory_is_there() -> None:
    assert len(list(SAMPLES.glob("apicallrc-*.json"))) >= 10
