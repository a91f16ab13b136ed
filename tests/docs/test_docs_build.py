"""The documentation: the site builds in strict mode, covers the public API, and the code the
README shows runs as shown."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import aiolinstor
import aiolinstor.emulator
from aiolinstor.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
README = REPO / "README.md"

#: Longest time a docs build or a README snippet may take.
RUN_TIMEOUT_S = 300.0


def python_blocks(markdown: str) -> list[str]:
    """The fenced ```python blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)


def section(markdown: str, heading: str) -> str:
    """The text of the ``## heading`` section, up to the next level-2 heading."""
    start = markdown.index(f"\n## {heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else len(markdown)]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LS_")}


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None,
    reason="mkdocs and mkdocstrings are not installed (pip install '.[docs]')",
)
def test_site_builds_in_strict_mode(tmp_path: Path) -> None:
    """Broken links, missing pages and unresolvable API references fail the build."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env={**clean_env(), "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    reference = (tmp_path / "api" / "resources" / "index.html").read_text()
    assert "autoplace" in reference and ":class:" not in reference
    assert (tmp_path / "emulator" / "index.html").is_file()


def test_api_reference_lists_every_public_name() -> None:
    """Each name of ``aiolinstor.__all__`` and ``aiolinstor.emulator.__all__`` has an entry."""
    reference = "\n".join(p.read_text() for p in (DOCS / "api").glob("*.md"))
    documented = set(re.findall(r"^::: ([\w.]+)", reference, flags=re.M))
    wanted = {f"aiolinstor.{n}" for n in aiolinstor.__all__ if not n.startswith("__")}
    wanted |= {f"aiolinstor.emulator.{n}" for n in aiolinstor.emulator.__all__}
    internal = {"aiolinstor.emulator.SERVICES_KEY", "aiolinstor.emulator.ResponseObserver"}
    internal |= {"aiolinstor.emulator.StateEvent", "aiolinstor.emulator.FaultAction"}
    missing = sorted(wanted - internal - documented)
    assert not missing, f"add these to docs/api/*.md: {missing}"


async def test_readme_quickstart_runs_against_the_controllers_in_ls_controllers() -> None:
    (code,) = python_blocks(section(README.read_text(), "Quickstart"))
    async with Emulator(nodes=3, timing=aiolinstor.emulator.Timing.fast()) as emulator:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**clean_env(), "LS_CONTROLLERS": emulator.url},
        )
        out, err = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_S)
        assert process.returncode == 0, out.decode() + err.decode()
        async with aiolinstor.Client(emulator.url) as client:
            left = await client.list_resource_definitions()
    lines = out.decode().splitlines()
    assert lines[0].startswith("replicas on ['node-")
    assert lines[1].startswith("device /dev/drbd")
    assert left == []


def run_as_user_tests(blocks: list[str], project: Path) -> str:
    """Write each block as a test module of a user's project (with the pytest configuration
    the docs ask for) and run pytest there; return its output, failing unless all passed."""
    for number, code in enumerate(blocks):
        (project / f"test_snippet_{number}.py").write_text(code)
    (project / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env=clean_env(),
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_readme_pytest_example_passes_in_a_user_project(tmp_path: Path) -> None:
    (code,) = python_blocks(section(README.read_text(), "Testing your own code"))
    assert "1 passed" in run_as_user_tests([code], tmp_path)


def test_testing_guide_examples_pass_in_a_user_project(tmp_path: Path) -> None:
    """Every complete test module shown in docs/testing.md runs and passes as shown."""
    blocks = [b for b in python_blocks((DOCS / "testing.md").read_text()) if "def test_" in b]
    assert len(blocks) >= 4
    count = sum(block.count("def test_") for block in blocks)
    assert f"{count} passed" in run_as_user_tests(blocks, tmp_path)
