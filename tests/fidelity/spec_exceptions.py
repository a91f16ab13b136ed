"""Every known difference between the official OpenAPI spec and real LINSTOR controllers.

This is the ONE place where the spec check is relaxed. Each entry says what it tolerates and
why (see ``linstor-rest/SPEC_VS_REALITY.md`` and ``NOTES.md`` in the shared reference folder).
The same list is used for the emulator's answers and for the real captured samples, which
proves it is both needed and sufficient (``test_samples.py``). Nothing else is tolerated.

Kinds of entries:

* :data:`LOAD_WITHOUT_SPEC_VALIDATION` - how the spec file is loaded;
* :data:`SPEC_PATCHES` - edits of the loaded spec document (enums, ``oneOf``, statuses,
  operations the real controller serves but the spec does not list);
* :data:`SKIPPED` - answers that are not validated at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Spec = dict[str, Any]

_API_CALL_RC_LIST = {"$ref": "#/components/schemas/ApiCallRcList"}
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

LOAD_WITHOUT_SPEC_VALIDATION = (
    "The spec itself does not pass openapi-spec-validator (an array schema has 'default: null' "
    "without being nullable), so it is loaded with spec validation switched off."
)


@dataclass(frozen=True)
class SpecPatch:
    """One relaxation of the spec document, with the reason it is needed."""

    name: str
    reason: str
    apply: Callable[[Spec], None]


def _schemas(spec: Spec) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def _layer_payload_any_of(spec: Spec) -> None:
    data = _schemas(spec)["VolumeLayer"]["properties"]["data"]
    data["anyOf"] = data.pop("oneOf")


def _node_type_capitals(spec: Spec) -> None:
    enum = _schemas(spec)["Node"]["properties"]["type"]["enum"]
    enum.extend(value.upper() for value in list(enum))


NEWER_PROVIDER_KINDS = ("REMOTE_SPDK", "OPENFLEX_TARGET")


def _newer_provider_kinds(spec: Spec) -> None:
    _schemas(spec)["ProviderKind"]["enum"].extend(NEWER_PROVIDER_KINDS)


def _volume_definition_create_200(spec: Spec) -> None:
    responses = spec["paths"]["/v1/resource-definitions/{resource}/volume-definitions"]["post"][
        "responses"
    ]
    responses["200"] = responses["201"]


def _error_lists_everywhere(spec: Spec) -> None:
    spec["components"]["responses"]["OperationFailed"]["content"]["application/json"]["schema"] = (
        dict(_API_CALL_RC_LIST)
    )
    for path_item in spec["paths"].values():
        for method in _HTTP_METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            for status_range in ("4XX", "5XX"):
                operation["responses"].setdefault(
                    status_range,
                    {
                        "description": "error (ApiCallRc list)",
                        "content": {"application/json": {"schema": dict(_API_CALL_RC_LIST)}},
                    },
                )


#: Single-object GETs a real controller serves (``RequestHelper.queryRequestResponse``) that the
#: spec only hints at ("query by adding the name"): path -> (path parameters, answer schema).
UNLISTED_SINGLE_GETS: dict[str, tuple[tuple[str, ...], str]] = {
    "/v1/nodes/{node}": (("node",), "Node"),
    "/v1/nodes/{node}/storage-pools/{storagepool}": (("node", "storagepool"), "StoragePool"),
    "/v1/resource-definitions/{resource}": (("resource",), "ResourceDefinition"),
    "/v1/resource-definitions/{resource}/volume-definitions/{volume_number}": (
        ("resource", "volume_number"),
        "VolumeDefinition",
    ),
    "/v1/resource-definitions/{resource}/resources/{node}": (("resource", "node"), "Resource"),
    "/v1/resource-definitions/{resource}/resources/{node}/volumes/{volume_number}": (
        ("resource", "node", "volume_number"),
        "Volume",
    ),
    "/v1/resource-groups/{resource_group}": (("resource_group",), "ResourceGroup"),
    "/v1/resource-groups/{resource_group}/volume-groups/{volume_number}": (
        ("resource_group", "volume_number"),
        "VolumeGroup",
    ),
}


def _unlisted_single_gets(spec: Spec) -> None:
    for path, (params, schema) in UNLISTED_SINGLE_GETS.items():
        path_item = spec["paths"].setdefault(path, {})
        path_item["get"] = {
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in params
            ],
            "responses": {
                "200": {
                    "description": schema,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                    },
                },
            },
        }


def _health_endpoint(spec: Spec) -> None:
    spec["paths"]["/health"] = {"get": {"responses": {"200": {"description": "controller up"}}}}


#: Applied in this order; error-lists-everywhere comes last so it also covers added operations.
SPEC_PATCHES: tuple[SpecPatch, ...] = (
    SpecPatch(
        "layer-payload-oneOf-as-anyOf",
        "VolumeLayer.data is a oneOf over layer types whose schemas overlap (a STORAGE volume is "
        "also a valid DRBD/LUKS/... shape), so every real answer matches several branches.",
        _layer_payload_any_of,
    ),
    SpecPatch(
        "node-type-capitals",
        "Answers carry the Node type enum name (SATELLITE, COMBINED, ...); the spec lists only "
        "the request spelling (Satellite, ...).",
        _node_type_capitals,
    ),
    SpecPatch(
        "newer-provider-kinds",
        f"Controllers report storage provider kinds newer than the spec's enum: "
        f"{', '.join(NEWER_PROVIDER_KINDS)}.",
        _newer_provider_kinds,
    ),
    SpecPatch(
        "volume-definition-create-200",
        "POST .../volume-definitions answers 200 (VolumeDefinitions.java); the spec says 201.",
        _volume_definition_create_200,
    ),
    SpecPatch(
        "unlisted-single-object-gets",
        "The controller answers GET on a single node, pool, resource definition, volume "
        "definition, resource, volume, resource group and volume group; the spec does not list "
        "these operations.",
        _unlisted_single_gets,
    ),
    SpecPatch(
        "health-endpoint",
        "GET /health exists on real controllers (AuthenticationFilter lets it pass) but is not "
        "in the spec; its body is not specified.",
        _health_endpoint,
    ),
    SpecPatch(
        "error-lists-everywhere",
        "Errors are ApiCallRc lists on every endpoint and status (ApiCallRcRestUtils); the spec's "
        "OperationFailed response claims a single object and many operations declare no error "
        "statuses (404 on modify/delete, 401/403 with authentication).",
        _error_lists_everywhere,
    ),
)


@dataclass(frozen=True)
class Skip:
    """A class of answers that is not validated, and why."""

    reason: str
    applies: Callable[[str, str, int], bool]
    """``applies(path, content_type, body_size)``."""


MAX_VALIDATED_BODY_BYTES = 1_000_000

SKIPPED: tuple[Skip, ...] = (
    Skip(
        "The /_emulator/ control API is the emulator's own, not LINSTOR's.",
        lambda path, content_type, size: path.startswith("/_emulator"),
    ),
    Skip(
        "Server-sent event streams have no JSON body to validate (their events are checked by "
        "the SSE tests).",
        lambda path, content_type, size: content_type == "text/event-stream",
    ),
    Skip(
        f"Bodies above {MAX_VALIDATED_BODY_BYTES} bytes (bulk benchmarks) would make validation "
        "dominate the run time; their shapes are covered by the smaller answers.",
        lambda path, content_type, size: size > MAX_VALIDATED_BODY_BYTES,
    ),
)


def skip_reason(path: str, content_type: str, body_size: int) -> str | None:
    """Why this answer is not validated, or None when it must be."""
    for skip in SKIPPED:
        if skip.applies(path, content_type, body_size):
            return skip.reason
    return None
