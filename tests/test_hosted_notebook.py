"""A published notebook runs from top to bottom in a bare environment, as on Colab or Binder.

``python -m companion publish DIR`` gives each notebook a first code cell that installs the
book's package at its commit (``%pip install "companion @ git+<repository>@<commit>" torch==...
numpy==... ...``) and downloads the data the notebook reads (``companion.data.prepare([...],
network=True)``). This test runs such a notebook in a fresh virtual environment, with nothing
from outside this machine:

* the notebook is executed here first (``companion run``, in a scratch root) and published with
  :func:`companion.publish.publish`, at this checkout's ``HEAD``;
* ``companion`` is a wheel built from the commit the notebook names (``git archive``); when the
  working tree has uncommitted changes under ``src/`` or in ``pyproject.toml`` it is built from
  the working tree instead (CI's fresh clone always builds the commit). The first cell's
  ``companion @ git+...`` becomes the path of that wheel; nothing else of the cell changes;
* the fresh venv (``python -m venv``) sees, read-only, the installed files of exactly
  the distributions that the first cell's pins and companion's own dependencies need, plus
  ipykernel, pip and setuptools (what a hosted service provides), taken from this checkout's ``.venv``: the
  same versions, linked rather than installed again, since a wheelhouse would need PyPI.
  Everything else of ``.venv`` (pytest, jupyter-book, playwright, foolbox...) is absent, and so is
  companion until the first cell installs it. pip runs with ``PIP_NO_INDEX=1`` and no
  configuration file, so a pin that the environment does not satisfy fails the cell instead
  of being downloaded;
* the data cell's downloads go to a local server on 127.0.0.1 (``$COMPANION_DATA_MIRROR``) that
  serves this machine's data cache; the data layer checks each file's SHA-256;
* the kernel runs in an empty folder, outside any checkout, with its own data cache.

Two notebooks run: a whole published notebook (``fawzi-theorem2``, no data), and the first cells
that publish writes for a notebook that reads Fashion-MNIST (its own notebook takes minutes to
train its models), followed by a cell loading the data. Both share one venv (companion is
uninstalled before each). Wall time: about 60 s on 2 busy cores; marked ``slow``.
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import subprocess
import sys
import tarfile
import threading
import zipfile
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

from companion import data, publish

ROOT = Path(__file__).resolve().parents[1]
VENV_PY = sys.executable
NOTEBOOK = "fawzi-theorem2"
KERNEL = "hosted"
ABSENT = ("pytest", "jupyter_book", "playwright", "foolbox", "mutmut")  # .venv has them
PROBE = f"""\
import importlib.util, json, sys
import companion
print("PROBE " + json.dumps({{"companion": companion.__file__, "prefix": sys.prefix,
    "absent": {{m: importlib.util.find_spec(m) is None for m in {list(ABSENT)!r}}}}}))"""

pytestmark = pytest.mark.slow


def run(args, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 600)
    proc = subprocess.run(args, **kw)
    assert proc.returncode == 0, f"{args}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def closure(requirements: list[str], exclude: set[str]) -> list[metadata.Distribution]:
    """The installed distributions (of this venv) that ``requirements`` need, transitively."""
    seen: dict[str, metadata.Distribution] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        if key in seen or key in exclude:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        dist = metadata.distribution(req.name)
        assert req.specifier.contains(dist.version, prereleases=True), (str(req), dist.version)
        seen[key] = dist
        for dep in dist.requires or []:
            todo.append(Requirement(dep))
    return list(seen.values())


def link_distributions(dists: list[metadata.Distribution], into: Path) -> None:
    """Symlink the top-level files and folders of ``dists`` (from their RECORD) into ``into``."""
    into.mkdir(parents=True)
    for dist in dists:
        base = Path(dist.locate_file(""))
        tops = {Path(str(f)).parts[0] for f in dist.files or []}
        for top in sorted(tops):
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            link = into / top
            if not link.exists() and (base / top).exists():
                link.symlink_to(base / top)


def companion_wheel(source: publish.Source, out: Path) -> Path:
    """A wheel of companion at ``source.commit`` (or of the working tree, when it has changes
    to the package that are not committed)."""
    tree = out / "src-tree"
    tree.mkdir(parents=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src",
                            "pyproject.toml"], capture_output=True, text=True).stdout.strip()
    if source.commit and not dirty:
        archive = out / "src.tar"
        run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), source.commit,
             "src", "pyproject.toml", "README.md"])
        with tarfile.open(archive) as tar:
            tar.extractall(tree, filter="data")
    else:
        listed = run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z", "--",
                      "src", "pyproject.toml", "README.md"]).stdout.split("\0")
        for rel in filter(None, listed):
            if (ROOT / rel).is_file():
                (tree / rel).parent.mkdir(parents=True, exist_ok=True)
                (tree / rel).write_bytes((ROOT / rel).read_bytes())
    wheels = out / "wheels"
    run([VENV_PY, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(wheels), str(tree)], env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    (wheel,) = wheels.glob("companion-*.whl")
    return wheel


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture(scope="module")
def data_mirror(tmp_path_factory):
    """A server on 127.0.0.1 serving Fashion-MNIST from this machine's data cache."""
    spec = data.resolve("fashion-mnist")
    www = tmp_path_factory.mktemp("www")
    for f in spec.files:
        src = data.data_dir() / spec.folder / f.name
        if not src.is_file():
            pytest.skip(f"{src} is not in the data cache (run scripts/setup.sh first)")
        (www / spec.folder).mkdir(parents=True, exist_ok=True)
        (www / spec.folder / f.name).symlink_to(src)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Quiet, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory):
    """(source, wheel, python): the companion wheel and a bare venv with a Jupyter kernel's
    packages and the first cell's pins (companion not installed), shared by the tests here."""
    tmp_path = tmp_path_factory.mktemp("hosted")
    source = publish.git_source(ROOT)
    wheel = companion_wheel(source, tmp_path / "build")
    venv = tmp_path / "venv"
    # pip and setuptools come linked like the rest (Python's bundled setuptools, 65.5 for 3.11,
    # is older than torch asks for; a hosted service has current ones)
    run([VENV_PY, "-m", "venv", "--without-pip", str(venv)])
    bare_py = venv / "bin" / "python"
    site = Path(run([str(bare_py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
                .stdout.strip())
    needed = publish.runtime_requirements(ROOT) + requires_dist(wheel) + ["ipykernel", "pip", "setuptools"]
    base = tmp_path / "hosted-base"
    link_distributions(closure(needed, exclude={"companion"}), base)
    (site / "hosted-base.pth").write_text(f"{base}\n")
    return source, wheel, bare_py


@pytest.fixture
def hosted(tmp_path, bare_venv, data_mirror):
    """(source, wheel, run_notebook): the bare venv without companion, a kernel of it, a fresh
    home (data cache) and an empty working folder; run_notebook(nb, name) runs nb there."""
    source, wheel, bare_py = bare_venv
    pip_env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    run([str(bare_py), "-m", "pip", "uninstall", "-q", "-y", "companion"], env=pip_env)
    assert run([str(bare_py), "-c", "import importlib.util; print(importlib.util.find_spec('companion'))"],
               env=pip_env).stdout.strip() == "None"
    kernels = tmp_path / "jupyter" / "kernels" / KERNEL
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(bare_py), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "hosted (bare venv)", "language": "python"}))
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COMPANION_", "PIP_", "PYTHON", "JUPYTER", "VIRTUAL_ENV"))}
    env.update({
        "HOME": str(tmp_path / "home"),
        "JUPYTER_PATH": str(tmp_path / "jupyter"),
        "PIP_CONFIG_FILE": os.devnull,          # not this machine's pip.conf or its indexes
        "PIP_NO_INDEX": "1",                    # a pin the environment lacks fails, never downloads
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "COMPANION_DATA_DIR": str(tmp_path / "home" / ".cache" / "companion"),
        "COMPANION_DATA_MIRROR": data_mirror,
        "MPLBACKEND": "Agg",
    })

    def run_notebook(nb, name: str):
        path = work / f"{name}.ipynb"
        nbformat.write(nb, path)
        out = work / f"{name}.out.ipynb"
        # papermill (from .venv) drives the kernel of the bare venv, in an empty folder
        run([VENV_PY, "-m", "papermill", str(path), str(out), "-k", KERNEL, "--cwd", str(work),
             "--log-output", "--execution-timeout", "600"], env=env)
        return nbformat.read(out, as_version=4)

    return source, wheel, run_notebook


def requires_dist(wheel: Path) -> list[str]:
    """The Requires-Dist lines of a wheel's METADATA."""
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(name).decode()
    return [line.split(":", 1)[1].strip() for line in text.splitlines()
            if line.startswith("Requires-Dist:")]


def local_install(cell_source: str, source: publish.Source, wheel: Path) -> str:
    """The first code cell with ``companion @ git+...`` replaced by the local wheel."""
    assert cell_source.count(source.install_spec) == 1, cell_source
    return cell_source.replace(source.install_spec, str(wheel))


def outputs(nb) -> str:
    return "\n".join(o.get("text", "") + "".join(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def probe(nb) -> dict:
    line = next(l for l in outputs(nb).splitlines() if l.startswith("PROBE "))
    return json.loads(line.removeprefix("PROBE "))


def test_a_published_notebook_runs_top_to_bottom_in_a_bare_environment(tmp_path, hosted):
    source, wheel, run_notebook = hosted
    # the notebook as the book executes it, in a scratch root (the checkout's outputs untouched)
    scratch = tmp_path / "scratch"
    (scratch / "book").mkdir(parents=True)
    for name in ("_config.yml", "notebooks", "requirements.txt"):
        (scratch / name).symlink_to(ROOT / name)
    env = {k: v for k, v in os.environ.items() if k != "COMPANION_ROOT"}
    run([VENV_PY, "-m", "companion", "run", NOTEBOOK], cwd=scratch,
        env={**env, "COMPANION_ROOT": str(scratch), "COMPANION_ARTIFACTS_DIR": str(tmp_path / "art")})
    target = tmp_path / "published"
    publish.publish(target, scratch, source=source, echo=lambda *a: None)
    nb = nbformat.read(target / "notebooks" / f"{NOTEBOOK}.ipynb", as_version=4)

    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source.startswith("# Install the book's package")
    assert "companion.data.prepare" not in first.source   # this notebook downloads no data
    first.source = local_install(first.source, source, wheel)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    done = run_notebook(nb, NOTEBOOK)

    errors = [o for c in done.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    found = probe(done)
    venv = Path(found["prefix"])
    assert venv.name == "venv" and venv != Path(sys.prefix)
    assert found["companion"].startswith(str(venv)), found   # installed by the first cell
    assert all(found["absent"].values()), found["absent"]
    assert (tmp_path / "work" / "_build" / "records" / f"{NOTEBOOK}.json").is_file()


def test_the_first_cells_of_a_data_notebook_fetch_checksummed_data(tmp_path, hosted):
    source, wheel, run_notebook = hosted
    md, code = publish.install_cells(source, publish.runtime_requirements(ROOT), ["fashion-mnist"])
    assert "Fashion-MNIST" in md.source and "SHA-256" in md.source
    assert "companion.data.prepare(['fashion-mnist'], network=True)" in code.source
    code.source = local_install(code.source, source, wheel)
    check = ("from companion import data\n"
             "ds = data.load('fashion-mnist', 'test')\n"
             "print('LOADED', len(ds), all(f['verified'] for f in ds.provenance['files']))")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": KERNEL, "language": "python",
                                                          "display_name": KERNEL}})
    nb.cells = [md, code, nbformat.v4.new_code_cell(check), nbformat.v4.new_code_cell(PROBE)]
    done = run_notebook(nb, "data-cells")

    text = outputs(done)
    assert "LOADED 10000 True" in text, text
    cache = tmp_path / "home" / ".cache" / "companion" / "fashion-mnist"
    spec = data.resolve("fashion-mnist")
    for f in spec.files:
        assert hashlib.sha256((cache / f.name).read_bytes()).hexdigest() == f.sha256
    assert all(probe(done)["absent"].values())
