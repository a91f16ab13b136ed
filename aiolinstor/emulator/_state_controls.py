"""Satellite-facing controls of the state: error reports, change notifications (offline and
failing satellites), and the knobs tests turn (connection, speed, failures, in-use)."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterable

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import Node, Resource
from aiolinstor.emulator._rc import Answer
from aiolinstor.emulator._render import render_node
from aiolinstor.emulator._spec import DEFAULT_LAYERS
from aiolinstor.emulator._state_core import CONTROLLER_VERSION, StateCore


class Controls(StateCore):
    """Error reports, satellite notifications and the test controls.

    Like everything on the state, the controls are meant for the event loop's thread (they
    wake up waiting handlers through asyncio events).
    """

    # --- error reports ----------------------------------------------------------------------

    def new_error_report(self, node: str | None, message: str) -> str:
        """Record an ErrorReport (served by ``/v1/error-reports``); returns its id."""
        self._report_seq += 1
        node_hash = 0 if node is None else zlib.crc32(node.encode()) & 0xFFFFF
        report_id = f"{self._instance_id}-{node_hash:05X}-{self._report_seq:06d}"
        module = "CONTROLLER" if node is None else "SATELLITE"
        self.error_reports.append(
            {
                "node_name": node or "linstor-controller",
                "error_time": self.now_ms(),
                "filename": f"ErrorReport-{report_id}.log",
                "module": module,
                "version": CONTROLLER_VERSION,
                "exception": "StorageException",
                "exception_message": message,
                "origin_file": "EmulatedSatellite.java",
                "origin_method": "applyChanges",
                "origin_line": 1,
                "text": (
                    f"ERROR REPORT {report_id}\n\nApplication: LINBIT LINSTOR\n"
                    f"Module: {module}\nVersion: {CONTROLLER_VERSION}\n\n"
                    f"Reported error:\n===============\n\n{message}\n"
                ),
            }
        )
        return report_id

    # --- satellite updates ------------------------------------------------------------------

    def notify_nodes(self, answer: Answer, nodes: Iterable[Node]) -> list[Node]:
        """Send a change to satellites: warnings for offline ones, errors for failing ones.

        Returns the online, healthy nodes (the ones whose answer the caller waits for).
        """
        reached = []
        for node in sorted(set(nodes), key=lambda n: n.key):
            if not node.online:
                answer.not_connected(node.name)
            elif node.failure is not None:
                report = self.new_error_report(node.name, node.failure)
                answer.add(
                    rc.FAIL_UNKNOWN_ERROR,
                    f"({node.name}) {node.failure}",
                    refs={"Node": node.name},
                    error_report_ids=[report],
                )
            else:
                reached.append(node)
        return reached

    def reach(self, answer: Answer, resources: Iterable[Resource]) -> list[Node]:
        """Send a change to the satellites of ``resources``: WARN_NOT_CONNECTED for offline ones,
        failed replicas on failing ones; returns the nodes whose answer the caller waits for."""
        resources = list(resources)
        offline = {r.node.name for r in resources if not r.node.online}
        for name in sorted(offline, key=str.upper):
            answer.not_connected(name)
        self.fail_resources(answer, resources)
        return sorted(
            {r.node for r in resources if r.node.online and r.node.failure is None},
            key=lambda n: n.key,
        )

    def fail_resources(self, answer: Answer, resources: Iterable[Resource]) -> None:
        """Mark changes on failing satellites as failed (entries + error reports)."""
        for resource in resources:
            node = resource.node
            if node.failure is None or not node.online:
                continue
            report = self.new_error_report(node.name, node.failure)
            resource.failure = node.failure
            resource.failure_report_ids = [report]
            self.transitions.add(resource)
            answer.add(
                rc.FAIL_UNKNOWN_ERROR,
                f"({node.name}) {node.failure}",
                refs={"Node": node.name},
                error_report_ids=[report],
            )

    async def wait_applied(self, nodes: Iterable[Node]) -> None:
        """Wait as long as the slowest reached satellite needs to apply a change."""
        rates = [n.rate for n in nodes if n.online and n.failure is None]
        if not rates:
            return
        slowest = min(rates)
        delay = self.timing.apply_s / slowest if slowest > 0 else self.ready_timeout
        await asyncio.sleep(min(delay, self.ready_timeout))

    # --- controls ---------------------------------------------------------------------------

    def node(self, name: str) -> Node:
        """The node called ``name`` (any case); KeyError naming it otherwise."""
        node = self.nodes.get(name.upper())
        if node is None:
            raise KeyError(f"unknown node {name!r}")
        return node

    def set_node_online(self, node: str, online: bool) -> None:
        """Connect or disconnect a satellite; pending changes apply once it is back."""
        target = self.node(node)
        self.advance()
        if target.online == online:
            return
        old = render_node(target, DEFAULT_LAYERS)
        target.online = online
        sat.rebase(target, self.clock(), self.timing)
        if online:
            self.transitions.update(target.resources.values())
        self.emit(
            "node-modified", {"old_node": old, "new_node": render_node(target, DEFAULT_LAYERS)}
        )
        self.poke()

    def set_node_speed(self, node: str, factor: float) -> None:
        """Satellite speed factor: 0.1 is 10x slower, 0 stalls deploys and resyncs."""
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor >= 0:
            raise ValueError(f"invalid speed factor {factor!r}: must be a number >= 0")
        target = self.node(node)
        self.advance()
        target.speed = float(factor)
        sat.rebase(target, self.clock(), self.timing)
        self.poke()

    def set_node_failure(self, node: str, message: str | None) -> None:
        """Make the satellite fail every change touching it (None clears and retries)."""
        target = self.node(node)
        target.failure = message
        if message is None:
            for resource in target.resources.values():
                if resource.failure is not None:
                    self.restart(resource)
        self.poke()

    def set_in_use(self, rsc: str, node: str, in_use: bool) -> None:
        """Mark a replica as opened (DRBD Primary) or not; delete/deactivate then fail."""
        rd = self.resource_definitions.get(rsc.upper())
        resource = rd.resources.get(node.upper()) if rd is not None else None
        if rd is None or resource is None:
            raise KeyError(f"unknown resource {rsc!r} on node {node!r}")
        resource.in_use = bool(in_use)
        self.check_promotions(rd, self.clock())
