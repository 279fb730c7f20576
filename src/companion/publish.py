"""Publish the executed notebooks where the book's launch buttons open them.

    python -m companion publish DIR [--git]

The book's Binder and Colab buttons (Jupyter Book 1) open ``<path_to_book>/<page>.ipynb`` on the
branch ``repository.branch`` of ``repository.url`` (``_config.yml``). The source branch holds no
executed notebook (``book/notebooks`` is a build output), so the buttons point at a branch of
their own, ``notebooks``, with ``path_to_book: ""``, and this command writes that branch's
content into ``DIR``::

    DIR/README.md                 what the branch is, its source commit, launch links
    DIR/requirements.txt          Binder: companion at the source commit, torch==2.13.0 (CPU) ...
    DIR/runtime.txt               Binder: python-3.11
    DIR/postBuild                 Binder: downloads the notebooks' data into the image
    DIR/PUBLISHED.json            source commit, dirty flag, notebooks and their data
    DIR/notebooks/<name>.ipynb    every executed notebook of book/notebooks

Each published notebook starts with a Markdown cell that says what the next cell installs and
which data it downloads, and a code cell that does it: ``pip install "companion @
git+<repository>@<commit>"`` with the runtime pins of ``requirements.txt``, then
``companion.data.prepare([...], network=True)`` (SHA-256 checked downloads). ``<commit>`` is the
source commit ``HEAD``; a working tree with uncommitted changes is published anyway, at ``HEAD``,
and the command, the README and the first cell say so.

``--git`` makes ``DIR`` a git repository on the branch ``notebooks`` and commits the content;
pushing it is left to you (book/how-to-rerun.md). The executed notebooks that the book's download
button serves get a shorter note, from :func:`add_download_note` (called by the pipeline right
after papermill writes them): a first Markdown cell tagged ``remove-cell``, so that it is in the
``.ipynb`` and not on the HTML page.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

DEFAULT_REPOSITORY = "https://github.com/robustness-limits/robustness-limits"
BRANCH = "notebooks"      # the branch the launch buttons open (_config.yml repository.branch)
NOTEBOOK_DIR = "notebooks"  # = the docname folder of the executed notebooks (book/_toc.yml)
PYTHON = "python-3.11"
# requirements.txt entries the notebooks need at run time (the rest builds or tests the book)
RUNTIME = ("torch", "numpy", "scipy", "matplotlib", "scikit-learn", "scikit-image", "tqdm",
           "PyYAML")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
ROLE_KEY = "companion"    # cell metadata key marking the cells this module adds


class PublishError(RuntimeError):
    """Nothing to publish, or a target that is not safe to write."""


@dataclass(frozen=True)
class Source:
    """Where the notebooks come from: the repository URL and the commit to install."""

    url: str
    commit: str | None      # None: not a git checkout (nothing to pin)
    dirty: bool = False     # uncommitted changes to tracked files

    @property
    def install_spec(self) -> str:
        ref = f"@{self.commit}" if self.commit else ""
        return f"companion @ git+{self.url}{ref}"

    @property
    def short(self) -> str:
        return self.commit[:12] if self.commit else "(unknown commit)"

    def caveat(self) -> str:
        if self.commit is None:
            return ("The notebook was not executed in a git checkout, so no commit is pinned: "
                    "the package comes from the repository's default branch.")
        if self.dirty:
            return (f"The notebook was executed in a working tree with uncommitted changes; the "
                    f"package is installed at commit {self.short} (HEAD), which does not hold "
                    f"them.")
        return ""


def _config(root: Path) -> dict:
    import yaml

    try:
        return yaml.safe_load((root / "_config.yml").read_text()) or {}
    except FileNotFoundError:
        return {}


def repository_url(root: Path) -> str:
    """``repository.url`` of ``_config.yml`` (the default repository if it is not set)."""
    url = (_config(root).get("repository") or {}).get("url") or DEFAULT_REPOSITORY
    return str(url).rstrip("/").removesuffix(".git")


def git_source(root: Path) -> Source:
    """The repository URL and ``HEAD`` of the checkout at ``root`` (commit None if not one)."""
    url = repository_url(root)

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()

    try:
        top = Path(git("rev-parse", "--show-toplevel")).resolve()
        if top != Path(root).resolve():  # e.g. a temporary folder inside another checkout
            return Source(url, None)
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return Source(url, None)
    return Source(url, commit, dirty)


def runtime_requirements(root: Path) -> list[str]:
    """The pinned runtime packages of ``requirements.txt`` (torch first), as written there."""
    pins = {}
    try:
        lines = (root / "requirements.txt").read_text().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*==\s*(\S+)$", line)
        if match:
            pins[match.group(1).lower()] = f"{match.group(1)}=={match.group(2)}"
    return [pins[name.lower()] for name in RUNTIME if name.lower() in pins]


# ------------------------------------------------------------------------------ data

_LOAD = re.compile(r"""\bload\(\s*["']([A-Za-z0-9_.-]+)["']""")


def notebook_datasets(nb, name: str, records_dir: Path | None = None) -> list[str]:
    """The datasets notebook ``name`` reads: its ``dataset`` parameter (the value it ran with),
    the names its code passes to ``data.load``, and those its reproduction records declare."""
    from . import catalogue, data

    found: list[str] = []
    params = dict(nb.metadata.get("papermill", {}).get("parameters", {}) or {})
    spec = catalogue.NOTEBOOKS.get(name)
    if spec is not None and any(p.name == "dataset" for p in spec.params):
        profile = params.get("profile", "ci")
        value = params.get("dataset") or spec.param("dataset").default(
            profile if profile in catalogue.PROFILES else "ci")
        found.append(str(value))
    elif params.get("dataset"):
        found.append(str(params["dataset"]))
    for cell in nb.cells:
        if cell.cell_type == "code":
            found.extend(_LOAD.findall(cell.source))
    if records_dir is not None:
        try:
            declared = json.loads((records_dir / f"{name}.json").read_text())["provenance"]["data"]
        except (FileNotFoundError, KeyError, TypeError, json.JSONDecodeError):
            declared = []
        # "fashion-mnist (train, 6,000 images) (source ...); sklearn-digits (...)", or a list
        items = declared.split("; ") if isinstance(declared, str) else declared
        for item in items:
            text = item.get("name", "") if isinstance(item, dict) else str(item)
            found.append(text.split(" (")[0].strip())
    out = []
    for raw in found:
        try:
            canonical = data.resolve(raw).name
        except data.UnknownDatasetError:
            continue
        if canonical not in out:
            out.append(canonical)
    return out


def downloads(datasets: Iterable[str]) -> list[tuple[str, str, int | None]]:
    """(name, title, bytes) of the datasets among ``datasets`` that a fresh machine downloads
    (those bundled with scikit-learn need nothing)."""
    from . import data

    out = []
    for name in datasets:
        spec = data.resolve(name)
        if spec.kind == "sklearn" or not any(f.urls for f in spec.files):
            continue
        sizes = [f.size for f in spec.files]
        out.append((spec.name, spec.title, None if None in sizes else sum(sizes)))
    return out


def _size(n: int | None) -> str:
    if n is None:
        return "size unknown"
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _data_sentence(items: list[tuple[str, str, int | None]]) -> str:
    if not items:
        return ("It downloads no data set: this notebook uses synthetic samples or data bundled "
                "with scikit-learn / scikit-image.")
    listed = "; ".join(f"{title} (`{name}`, {_size(size)})" for name, title, size in items)
    return (f"It then downloads the data this notebook reads, each file checked against its "
            f"pinned SHA-256: {listed}, into `~/.cache/companion` (set `COMPANION_DATA_DIR` "
            f"to put it elsewhere); a file already there is not fetched again.")


# ------------------------------------------------------------------------------ cells

def _role(cell) -> str | None:
    meta = cell.get("metadata", {}).get(ROLE_KEY)
    return meta.get("role") if isinstance(meta, dict) else None


def strip_added_cells(nb) -> None:
    """Remove the cells this module added (so that a notebook is never noted twice)."""
    nb.cells = [c for c in nb.cells if _role(c) is None]


def install_cells(source: Source, requirements: list[str], datasets: list[str]):
    """The Markdown cell and the code cell that start a published notebook."""
    import nbformat

    items = downloads(datasets)
    extra = f" with {', '.join(requirements)}" if requirements else ""
    where = f"at commit `{source.short}`" if source.commit else "from its default branch"
    text = (
        f"**Running this notebook on Binder, Colab or your own Jupyter.** The next cell installs "
        f"the book's Python package `companion` from {source.url} {where}{extra} (the versions "
        f"the book was executed with):\n\n"
        f"    pip install \"{source.install_spec}\"\n\n"
        f"{_data_sentence(items)} Run it once per machine: on Binder the image already has "
        f"everything and the cell only checks it; if pip replaced a package that was already "
        f"loaded, restart the kernel once. {source.caveat()}".rstrip())
    code = ["# Install the book's package at the commit these results come from, then fetch "
            "the data (SHA-256 checked).",
            "import subprocess, sys",
            "# check_call: a failed install stops here, not at the first import of companion",
            "subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet']",
            f"                      + {[source.install_spec, *requirements]!r})"]
    if items:
        code += ["import companion.data",
                 f"companion.data.prepare({[n for n, _, _ in items]!r}, network=True)"]
    md = nbformat.v4.new_markdown_cell(text, metadata={ROLE_KEY: {"role": "install-note"}})
    cc = nbformat.v4.new_code_cell("\n".join(code), metadata={ROLE_KEY: {"role": "install"}})
    return md, cc


def download_note(source: Source, datasets: list[str]):
    """The first cell of an executed notebook as the book's download button serves it: what to
    install and which data to fetch; tagged ``remove-cell``, it is not shown on the HTML page."""
    import nbformat

    from .data.cache import prepare_command

    items = downloads(datasets)
    steps = [f'pip install "{source.install_spec}"']
    steps += [prepare_command(n, network=True) for n, _, _ in items]
    data = (f"and the data it reads ({', '.join(t for _, t, _ in items)}; SHA-256 checked)"
            if items else "(it downloads no data set)")
    text = (f"**To run this notebook outside the book's repository**, install the book's package "
            f"`companion` at the commit these results come from {data}:\n\n"
            + "".join(f"    {s}\n" for s in steps)
            + "\nThe launch buttons of the book's page open a copy whose first cell does this "
              f"(branch `{BRANCH}` of {source.url}). {source.caveat()}").rstrip()
    return nbformat.v4.new_markdown_cell(
        text, metadata={"tags": ["remove-cell"], ROLE_KEY: {"role": "download-note"}})


def add_download_note(path: Path, name: str, root: Path, records_dir: Path | None = None,
                      source: Source | None = None) -> None:
    """Give the executed notebook at ``path`` its first, hidden, what-to-install cell."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    strip_added_cells(nb)
    source = source or git_source(root)
    nb.cells.insert(0, download_note(source, notebook_datasets(nb, name, records_dir)))
    nbformat.write(nb, path)


# ------------------------------------------------------------------------------ publish

def launch_urls(root: Path, name: str) -> dict[str, str]:
    """The Binder and Colab links the book's page of notebook ``name`` shows (as
    sphinx-book-theme builds them from ``_config.yml``)."""
    cfg = _config(root)
    repo = cfg.get("repository") or {}
    buttons = cfg.get("launch_buttons") or {}
    url = repository_url(root)
    org, repo_name = url.split("/")[-2:]
    branch = repo.get("branch") or "master"
    rel = str(repo.get("path_to_book") or "").strip("/")
    path = f"{rel + '/' if rel else ''}{NOTEBOOK_DIR}/{name}.ipynb"
    interface = buttons.get("notebook_interface", "classic")
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[interface]
    out = {}
    if buttons.get("binderhub_url"):
        out["binder"] = (f"{buttons['binderhub_url'].rstrip('/')}/v2/gh/{org}/{repo_name}/{branch}"
                         f"?urlpath={ui}/{path}")
    if buttons.get("colab_url"):
        out["colab"] = (f"{buttons['colab_url'].rstrip('/')}/github/{org}/{repo_name}/blob/"
                        f"{branch}/{path}")
    return out


def _requirements_txt(source: Source, requirements: list[str]) -> str:
    lines = [
        "# Binder environment of the published notebooks (written by "
        "`python -m companion publish`).",
        "# The book's package at its source commit, and the runtime pins of its requirements.txt;",
        "# torch's CPU wheels (torch==2.13.0 resolves to 2.13.0+cpu there, no CUDA download).",
        f"--extra-index-url {TORCH_CPU_INDEX}",
        *requirements,
        source.install_spec,
    ]
    return "\n".join(lines) + "\n"


def _post_build(datasets: list[str]) -> str:
    items = downloads(datasets)
    lines = ["#!/bin/bash",
             "# Binder runs this once when it builds the image: the notebooks' data, SHA-256 "
             "checked,",
             "# into ~/.cache/companion, so a launched notebook reads it without downloading.",
             "set -euo pipefail"]
    if items:
        lines.append("python -m companion data prepare " + " ".join(n for n, _, _ in items)
                     + " --network")
    else:
        lines.append("echo 'the notebooks download no data set'")
    return "\n".join(lines) + "\n"


def _readme(root: Path, source: Source, entries: list[dict]) -> str:
    cfg = _config(root)
    title = cfg.get("title", "the companion book")
    rows = []
    for e in entries:
        links = launch_urls(root, e["name"])
        launch = " · ".join(f"[{k.title()}]({v})" for k, v in links.items()) or "-"
        data = ", ".join(e["downloads"]) or "none"
        rows.append(f"| `{NOTEBOOK_DIR}/{e['name']}.ipynb` | {data} | {launch} |")
    caveat = source.caveat()
    return "\n".join([
        f"# Executed notebooks of *{title}*",
        "",
        f"This branch (`{BRANCH}`) holds the executed notebooks of the book, as published by",
        f"`python -m companion publish` from commit `{source.short}` of {source.url}. The source",
        "(notebooks as MyST Markdown, the `companion` package, the tests) lives on the default",
        "branch; nothing here is edited by hand. The book's Binder and Colab buttons open these "
        "files.",
        *([""] + [caveat] if caveat else []),
        "",
        "Each notebook starts with a cell that installs the package at that commit",
        f"(`pip install \"{source.install_spec}\"`) and downloads the data it reads",
        "(SHA-256 checked). On Binder, `requirements.txt` and `postBuild` have done both when the",
        "image was built.",
        "",
        "| notebook | data downloaded | launch |",
        "| --- | --- | --- |",
        *rows,
        "",
        "Binder files: `requirements.txt` (the package at the source commit, torch==2.13.0 and "
        "the",
        "other runtime pins, CPU wheels), `runtime.txt` (Python 3.11), `postBuild` (the data).",
        "",
    ])


def publish(target: Path, root: Path, source: Source | None = None, git: bool = False,
            echo=print) -> dict:
    """Write the published-notebooks layout into ``target``; return its manifest."""
    import nbformat

    from .pipeline import Paths

    paths = Paths(Path(root))
    executed = sorted(paths.executed.glob("*.ipynb"))
    if not executed:
        raise PublishError(f"no executed notebooks in {paths.executed}; run "
                           "`python -m companion build` (or `run NAME`) first")
    target = Path(target).resolve()
    if target == paths.root.resolve() or paths.root.resolve().is_relative_to(target):
        raise PublishError(f"{target} holds the repository; publish into a folder of its own")
    if target.exists() and not target.is_dir():
        raise PublishError(f"{target} exists and is not a folder")
    source = source or git_source(paths.root)
    if source.dirty:
        echo(f"warning: the working tree has uncommitted changes; the notebooks install companion "
             f"at HEAD ({source.short}), which does not hold them")
    elif source.commit is None:
        echo(f"warning: {paths.root} is not a git checkout; the notebooks install companion "
             f"from {source.url} without a pinned commit")
    requirements = runtime_requirements(paths.root)

    out_dir = target / NOTEBOOK_DIR
    if out_dir.exists():
        shutil.rmtree(out_dir)  # a notebook removed from the book leaves the branch as well
    out_dir.mkdir(parents=True)
    entries, all_data = [], []
    for path in executed:
        name = path.stem
        nb = nbformat.read(path, as_version=4)
        strip_added_cells(nb)
        datasets = notebook_datasets(nb, name, paths.records)
        nb.cells[0:0] = list(install_cells(source, requirements, datasets))
        nb.metadata[ROLE_KEY] = {"source": source.url, "commit": source.commit,
                                 "dirty": source.dirty}
        nbformat.write(nb, out_dir / f"{name}.ipynb")
        entries.append({"name": name, "datasets": datasets,
                        "downloads": [n for n, _, _ in downloads(datasets)]})
        all_data += [d for d in datasets if d not in all_data]

    (target / "requirements.txt").write_text(_requirements_txt(source, requirements))
    (target / "runtime.txt").write_text(PYTHON + "\n")
    post = target / "postBuild"
    post.write_text(_post_build(all_data))
    post.chmod(0o755)
    (target / "README.md").write_text(_readme(paths.root, source, entries))
    manifest = {"source": source.url, "commit": source.commit, "dirty": source.dirty,
                "branch": BRANCH, "notebooks": entries}
    (target / "PUBLISHED.json").write_text(json.dumps(manifest, indent=1) + "\n")
    echo(f"published {len(entries)} notebook(s) from {source.short}"
         f"{' (dirty tree: HEAD)' if source.dirty else ''} -> {target}")
    if git:
        _commit(target, source, echo)
    return manifest


def _commit(target: Path, source: Source, echo=print) -> None:
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(target), *args], capture_output=True, text=True,
                              timeout=60)

    if not (target / ".git").exists():
        proc = git("init", "-q", "-b", BRANCH)
        if proc.returncode != 0:
            raise PublishError(f"git init in {target} failed: {proc.stderr.strip()}")
    git("add", "-A")
    message = f"Executed notebooks of {source.short}" + (" (dirty tree)" if source.dirty else "")
    identity = [] if git("config", "user.email").stdout.strip() else [
        "-c", "user.name=companion publish", "-c", "user.email=publish@localhost"]
    proc = git(*identity, "commit", "-q", "-m", message)
    if proc.returncode != 0 and "nothing to commit" not in proc.stdout + proc.stderr:
        reason = proc.stderr.strip() or proc.stdout.strip()
        raise PublishError(f"git commit in {target} failed: {reason}")
    echo(f"committed on branch {BRANCH} in {target}; push it with: git -C {target} push "
         f"--force {source.url} {BRANCH}")
