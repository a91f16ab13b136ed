"""Every example runs as a program, and its real output and effects are checked.

Each example is run as a subprocess, like a user would: on its embedded emulator (no
``--controllers``), and with ``--controllers URL`` pointing at an emulator started by the test
(the ``linstor_emulator`` fixture of aiolinstor's pytest plugin), whose state is then inspected.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from aiolinstor import Client
from aiolinstor.emulator import ClusterSpec, Emulator, NodeSpec, Timing

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TESTS = REPO / "tests"

#: Longest time one example may run (they take a few seconds).
RUN_TIMEOUT_S = 180.0


async def run_example(script: str, *args: str) -> str:
    """Run ``examples/<script>`` with ``args``; return its stdout, failing on a non-zero exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LS_")}
    env["PYTHONUNBUFFERED"] = "1"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / script),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_S)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"{script} {' '.join(args)} did not finish within {RUN_TIMEOUT_S:g} s")
    stdout, stderr = out.decode(), err.decode()
    assert process.returncode == 0, f"{script} exited {process.returncode}:\n{stdout}\n{stderr}"
    return stdout


async def resource_names(url: str) -> list[str]:
    async with Client(url) as client:
        return sorted(rd.name for rd in await client.list_resource_definitions())


def test_every_example_is_run_by_the_suite() -> None:
    """A new example without a test fails here: each must be named in some test module."""
    sources = "\n".join(path.read_text() for path in TESTS.rglob("test_*.py"))
    examples = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
    assert "quickstart.py" in examples
    missing = [name for name in examples if f'"{name}"' not in sources]
    assert not missing, f"examples no test runs: {missing}"


# --- quickstart.py -----------------------------------------------------------------------------
@pytest.mark.linstor_emulator(timing=Timing(speed=20))
async def test_quickstart_against_given_controllers_twice_ends_in_the_same_state(
    linstor_emulator: Emulator,
) -> None:
    args = ("--controllers", linstor_emulator.url, "--node", "node-3")
    first = await run_example("quickstart.py", *args)
    second = await run_example("quickstart.py", *args)
    for out in (first, second):
        assert "embedded" not in out
        assert f"controller: {linstor_emulator.url}" in out
        assert "activate 'foo' on node-3" in out
        assert "device path: /dev/drbd" in out
        assert "outcome: removed" in out
        assert "size now: 19.31 GiB" in out  # 10 GB + 10 GiB, not grown twice
    async with Client(linstor_emulator.url) as client:
        (volume,) = await client.list_volume_definitions("foo")
        replicas = await client.list_resources("foo")
    assert volume.size_kib == (10 * 10**9 + 10 * 2**30) // 1024  # both whole KiB
    assert sorted(r.node_name for r in replicas) == ["node-1", "node-2"]


# --- provision_many.py -------------------------------------------------------------------------
async def test_provision_many_places_resyncs_and_deletes_fifty_volumes() -> None:
    out = await run_example("provision_many.py", "--speed", "20")
    assert "starting the embedded LINSTOR emulator" in out
    lines = out.splitlines()
    placing = next(line for line in lines if line.startswith("placing replicas"))
    resyncing = next(line for line in lines if line.startswith("resyncing"))
    deleting = next(line for line in lines if line.startswith("deleting"))
    for bar in (placing, resyncing, deleting):
        assert "100%" in bar and "50/50" in bar, bar
    assert "50 volumes of 100 MiB placed with 2 replicas each and resynced in" in out
    assert "cleaned up: 50 resources deleted" in out
    per_node = [line for line in lines if "node-" in line]
    counts = [int(line.strip("│ ").split()[-1]) for line in per_node]
    assert len(counts) == 3 and sum(counts) == 100, per_node
    assert out.index("resynced in") < out.index("cleaned up")


@pytest.mark.linstor_emulator(timing=Timing(speed=20), provider_kind="LVM")
async def test_provision_many_against_given_controllers_leaves_nothing_behind(
    linstor_emulator: Emulator,
) -> None:
    url = linstor_emulator.url
    out = await run_example(
        "provision_many.py", "--controllers", url, "--count", "6", "--prefix", "batch"
    )
    assert "embedded" not in out
    assert "6 volumes of 100 MiB placed with 2 replicas each" in out
    assert "cleaned up: 6 resources deleted" in out
    counts = linstor_emulator.request_counts()
    assert counts["POST /v1/resource-definitions/{rsc}/autoplace"] == 6
    assert counts["DELETE /v1/resource-definitions/{rsc}"] == 6
    assert await resource_names(url) == []


# --- aiohttp_service.py ------------------------------------------------------------------------
EXPECTED_CALLS = [
    "GET /nodes -> 200",
    "POST /volumes -> 201",
    "POST /volumes/service-demo/attach -> 200",
    "GET /volumes/service-demo -> 200",
    "POST /volumes/service-demo/detach -> 200",
    "POST /volumes -> 400",
    "DELETE /volumes/service-demo -> 200",
    "GET /volumes/service-demo -> 404",
]


async def test_aiohttp_service_self_test_calls_every_endpoint() -> None:
    out = await run_example("aiohttp_service.py", "--self-test", "--speed", "20")
    calls = [line for line in out.splitlines() if " -> " in line]
    assert [line.split(" {")[0].split(" [")[0] for line in calls] == EXPECTED_CALLS
    created, attached, shown, detached, bad = calls[1:6]
    assert '"replicas": ["node-1", "node-2"]' in created
    assert '"device_path": "/dev/drbd' in attached and '"node": "node-3"' in attached
    assert '"clients": ["node-3"]' in shown
    assert '"outcome": "removed"' in detached
    assert "ten gigs" in bad  # the error names the bad value
    assert out.rstrip().endswith("self-test passed")


@pytest.mark.linstor_emulator(timing=Timing(speed=20))
async def test_aiohttp_service_against_given_controllers(linstor_emulator: Emulator) -> None:
    url = linstor_emulator.url
    out = await run_example(
        "aiohttp_service.py", "--self-test", "--controllers", url, "--name", "svc-vol"
    )
    assert "embedded" not in out
    assert "POST /volumes/svc-vol/attach -> 200" in out
    assert "self-test passed" in out
    assert await resource_names(url) == []


# --- snapshots.py and resource_groups.py (their own tests run them on the embedded emulator) ----
@pytest.mark.linstor_emulator(timing=Timing(speed=20))
async def test_snapshots_against_given_controllers_cleans_up(linstor_emulator: Emulator) -> None:
    url = linstor_emulator.url
    out = await run_example("snapshots.py", "--controllers", url, "--cleanup")
    assert "embedded" not in out
    assert "all done in" in out
    assert await resource_names(url) == []


RACKED = ClusterSpec(
    nodes=[NodeSpec(f"node-{i}", props={"Aux/rack": f"r{(i + 1) // 2}"}) for i in range(1, 5)]
)


@pytest.mark.linstor_emulator(spec=RACKED, timing=Timing(speed=20))
async def test_resource_groups_against_given_controllers_cleans_up(
    linstor_emulator: Emulator,
) -> None:
    url = linstor_emulator.url
    out = await run_example("resource_groups.py", "--controllers", url, "--cleanup")
    assert "embedded" not in out
    assert "all done in" in out
    assert await resource_names(url) == []
    async with Client(url) as client:
        groups = [rg.name for rg in await client.list_resource_groups()]
    assert groups == ["DfltRscGrp"]


async def test_provision_many_without_rich_says_how_to_get_it(tmp_path: Path) -> None:
    # a 'rich' package that is not there: first on the path, it fails like a missing one
    fake = tmp_path / "rich"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'rich'\", name='rich')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / "provision_many.py"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    out, err = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_S)
    assert process.returncode == 1
    assert "pip install '.[examples]'" in err.decode()
    assert "Traceback" not in err.decode() and out == b""
