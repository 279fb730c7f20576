"""environment.yml, requirements.txt and pyproject.toml agree."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _req(line: str) -> tuple[str, str]:
    name, _, version = line.partition("==")
    return re.sub(r"[-_.]+", "-", name.strip().lower()), version.strip()


def requirements() -> dict[str, str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return dict(_req(l) for l in lines if l.strip() and not l.startswith("#"))


def test_every_requirement_is_pinned_and_torch_is_the_local_cpu_build():
    reqs = requirements()
    assert all(v for v in reqs.values()), "every requirement must be pinned with =="
    assert reqs["torch"] == "2.13.0"
    assert "torchvision" not in reqs  # no CPU build exists here


def test_environment_yml_pip_list_matches_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1
    pins = dict(_req(x) for x in pip_lists[0] if not x.startswith("-e"))
    assert pins == requirements()
    assert any(d == "python=3.11" for d in env["dependencies"] if isinstance(d, str))


def test_pyproject_runtime_dependencies_are_in_requirements():
    text = (ROOT / "pyproject.toml").read_text()
    deps = re.search(r"dependencies = \[(.*?)\]", text, re.S).group(1)
    names = {_req(d.strip().strip('"'))[0] for d in deps.split(",") if d.strip()}
    reqs = requirements()
    # nbformat comes with papermill/jupytext; everything else must be pinned explicitly
    assert names - {"nbformat"} <= set(reqs), names - set(reqs)
