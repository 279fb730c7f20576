"""``python -m companion publish DIR``: the executed notebooks laid out for the launch buttons.

A temporary git repository holds a copy of the book's _config.yml and requirements.txt and two
fake executed notebooks; publishing it checks the layout, the first cells (what they install,
at which commit, which data they download), the Binder files, a dirty tree, ``--git``, and that
the launch buttons of the real _config.yml open exactly the published files.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

from companion import catalogue, cli, publish

ROOT = Path(__file__).resolve().parents[1]
URL = "https://github.com/robustness-limits/robustness-limits"
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t",
                           *args], capture_output=True, text=True, check=True).stdout.strip()


def _executed(name: str, parameters: dict, code: str = "print(1)"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["papermill"] = {"parameters": parameters}
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {name}"),
        nbformat.v4.new_code_cell(code, outputs=[nbformat.v4.new_output("stream", name="stdout",
                                                                         text="1\n")]),
    ]
    return nb


@pytest.fixture
def repo(tmp_path):
    """A git checkout with the book's config, requirements and two executed notebooks."""
    root = tmp_path / "repo"
    (root / "book" / "notebooks").mkdir(parents=True)
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    shutil.copy(ROOT / "requirements.txt", root / "requirements.txt")
    executed = root / "book" / "notebooks"
    nbformat.write(_executed("fawzi-theorems4-5", {"profile": "ci", "seed": 0, "dataset": None}),
                   executed / "fawzi-theorems4-5.ipynb")
    nbformat.write(_executed("synthetic", {"profile": "ci"}, "x = data.load('sklearn-digits')"),
                   executed / "synthetic.ipynb")
    if shutil.which("git"):
        _git(root, "init", "-q", "-b", "main")
        _git(root, "add", "_config.yml", "requirements.txt")
        _git(root, "commit", "-q", "-m", "fixture")
    return root


@needs_git
def test_publish_layout_first_cells_and_pinned_commit(repo, tmp_path):
    head = _git(repo, "rev-parse", "HEAD")
    out = tmp_path / "published"
    lines = []
    manifest = publish.publish(out, repo, echo=lines.append)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "PUBLISHED.json", "README.md", "notebooks/fawzi-theorems4-5.ipynb",
        "notebooks/synthetic.ipynb", "postBuild", "requirements.txt", "runtime.txt"]
    assert manifest["commit"] == head and manifest["dirty"] is False
    assert manifest["branch"] == "notebooks" and manifest["source"] == URL
    assert json.loads((out / "PUBLISHED.json").read_text()) == manifest
    assert not any("warning" in line for line in lines)

    nb = nbformat.read(out / "notebooks" / "fawzi-theorems4-5.ipynb", as_version=4)
    note, install, title = nb.cells[0], nb.cells[1], nb.cells[2]
    assert note.cell_type == "markdown" and install.cell_type == "code"
    assert title.source == "# fawzi-theorems4-5"  # the notebook itself follows, unchanged
    assert f"['companion @ git+{URL}@{head}', 'torch==2.13.0'" in install.source
    assert "subprocess.check_call([sys.executable, '-m', 'pip', 'install'" in install.source
    compile(install.source, "first-cell", "exec")  # plain Python: fails loudly, runs anywhere
    assert "companion.data.prepare(['fashion-mnist'], network=True)" in install.source
    assert f"at commit `{head[:12]}`" in note.source and "torch==2.13.0" in note.source
    assert "Fashion-MNIST (`fashion-mnist`, 31 MB)" in note.source and "SHA-256" in note.source
    assert nb.cells[3].outputs[0]["text"] == "1\n"  # outputs kept
    assert nb.metadata["companion"] == {"source": URL, "commit": head, "dirty": False}

    # scikit-learn's digits are bundled: nothing to download
    syn = nbformat.read(out / "notebooks" / "synthetic.ipynb", as_version=4)
    assert "downloads no data set" in syn.cells[0].source
    assert "prepare" not in syn.cells[1].source
    assert manifest["notebooks"][1] == {"name": "synthetic", "datasets": ["sklearn-digits"],
                                        "downloads": []}


@needs_git
def test_binder_files_pin_torch_and_the_commit(repo, tmp_path):
    head = _git(repo, "rev-parse", "HEAD")
    out = tmp_path / "published"
    publish.publish(out, repo, echo=lambda *_: None)
    reqs = [line for line in (out / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    assert "torch==2.13.0" in reqs
    assert f"companion @ git+{URL}@{head}" in reqs
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in reqs
    pinned = dict(line.split("==") for line in reqs if "==" in line)
    for name in ("numpy", "scipy", "matplotlib", "scikit-learn", "scikit-image"):
        assert name in pinned
    assert not {"jupyter-book", "pytest", "playwright"} & set(pinned)  # build/test tools stay out
    assert (out / "runtime.txt").read_text().strip() == "python-3.11"
    post = out / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR
    assert "python -m companion data prepare fashion-mnist --network" in post.read_text()
    readme = (out / "README.md").read_text()
    assert head[:12] in readme and "notebooks/fawzi-theorems4-5.ipynb" in readme
    assert ("https://mybinder.org/v2/gh/robustness-limits/robustness-limits/notebooks"
            "?urlpath=tree/notebooks/fawzi-theorems4-5.ipynb") in readme


def test_the_real_requirements_pin_torch_for_binder():
    reqs = publish.runtime_requirements(ROOT)
    assert reqs[0] == "torch==2.13.0"
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text().splitlines()


@needs_git
def test_dirty_tree_is_published_at_head_and_says_so(repo, tmp_path):
    head = _git(repo, "rev-parse", "HEAD")
    with open(repo / "requirements.txt", "a") as fh:
        fh.write("# uncommitted\n")
    lines = []
    manifest = publish.publish(tmp_path / "out", repo, echo=lines.append)
    assert manifest["commit"] == head and manifest["dirty"] is True
    assert any("uncommitted changes" in line and head[:12] in line for line in lines)
    nb = nbformat.read(tmp_path / "out" / "notebooks" / "synthetic.ipynb", as_version=4)
    assert "uncommitted changes" in nb.cells[0].source and f"@{head}" in nb.cells[1].source


@needs_git
def test_republishing_replaces_the_added_cells_and_old_notebooks(repo, tmp_path):
    out = tmp_path / "out"
    # the pipeline's hidden download note is replaced, not kept beside the install cells
    publish.add_download_note(repo / "book" / "notebooks" / "synthetic.ipynb", "synthetic", repo)
    publish.publish(out, repo, echo=lambda *_: None)
    (repo / "book" / "notebooks" / "fawzi-theorems4-5.ipynb").unlink()
    publish.publish(out, repo, echo=lambda *_: None)
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == ["synthetic.ipynb"]
    nb = nbformat.read(out / "notebooks" / "synthetic.ipynb", as_version=4)
    roles = [c.metadata.get("companion", {}).get("role") for c in nb.cells]
    assert roles == ["install-note", "install", None, None]


@needs_git
def test_git_option_commits_on_the_notebooks_branch(repo, tmp_path):
    out = tmp_path / "out"
    publish.publish(out, repo, git=True, echo=lambda *_: None)
    assert _git(out, "rev-parse", "--abbrev-ref", "HEAD") == "notebooks"
    assert "notebooks/synthetic.ipynb" in _git(out, "ls-files").splitlines()
    head = _git(repo, "rev-parse", "HEAD")
    assert head[:12] in _git(out, "log", "-1", "--format=%s")


def test_cli_publish_and_its_errors(repo, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COMPANION_ROOT", str(repo))
    assert cli.main(["publish", str(tmp_path / "out")]) == 0
    assert "published 2 notebook(s)" in capsys.readouterr().out
    assert cli.main(["publish", str(repo)]) == 2  # never into the repository itself
    assert "folder of its own" in capsys.readouterr().err
    shutil.rmtree(repo / "book" / "notebooks")
    assert cli.main(["publish", str(tmp_path / "out2")]) == 2
    assert "python -m companion build" in capsys.readouterr().err


def test_not_a_git_checkout_installs_from_the_default_branch(tmp_path):
    root = tmp_path / "plain"
    (root / "book" / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    nbformat.write(_executed("synthetic", {}), root / "book" / "notebooks" / "synthetic.ipynb")
    lines = []
    manifest = publish.publish(tmp_path / "out", root, echo=lines.append)
    assert manifest["commit"] is None and any("not a git checkout" in line for line in lines)
    nb = nbformat.read(tmp_path / "out" / "notebooks" / "synthetic.ipynb", as_version=4)
    assert f"'companion @ git+{URL}'" in nb.cells[1].source


def test_launch_buttons_open_the_published_files():
    """The real _config.yml: sphinx-book-theme's Binder/Colab links for a notebook page
    (``<path_to_book>/<docname>.ipynb`` on ``branch``) are the published notebooks/<name>.ipynb."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert cfg["repository"]["branch"] == publish.BRANCH == "notebooks"
    assert cfg["repository"]["url"] == URL
    assert str(cfg["repository"]["path_to_book"]).strip("/") == ""
    toc = (ROOT / "book" / "_toc.yml").read_text()
    for name in catalogue.NOTEBOOKS:
        docname = f"{publish.NOTEBOOK_DIR}/{name}"
        assert f"file: {docname}\n" in toc  # the page's docname is the published path
        urls = publish.launch_urls(ROOT, name)
        assert urls["binder"] == (f"https://mybinder.org/v2/gh/robustness-limits/robustness-limits/"
                                  f"notebooks?urlpath=tree/{docname}.ipynb")
        assert urls["colab"] == (f"https://colab.research.google.com/github/robustness-limits/"
                                 f"robustness-limits/blob/notebooks/{docname}.ipynb")


def test_launch_url_rule_is_sphinx_book_theme_s():
    """launch_urls follows sphinx_book_theme.header_buttons.launch (its source, read here)."""
    import sphinx_book_theme.header_buttons.launch as launch

    source = Path(launch.__file__).read_text()
    assert 'path_rel_repo = f"{book_relpath}{pagename}{extension}"' in source
    assert 'url = f"{binderhub_url}/v2/gh/{org}/{repo}/{branch}"' in source
    assert 'url = f"{url}?urlpath={ui_pre}/{path_rel_repo}"' in source
    assert 'url = f"{colab_url}/github/{org}/{repo}/blob/{branch}/{path_rel_repo}"' in source
