"""The command line and the notebook pipeline: injected parameters, bad input, failing cells."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from companion import catalogue, cli, pipeline

ROOT = Path(__file__).resolve().parents[1]

FIXTURE = textwrap.dedent('''\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
    kernelspec:
      name: python3
      display_name: Python 3
      language: python
    ---

    # Fixture

    ```{code-cell} ipython3
    :tags: [parameters]
    profile = "ci"
    seed = 0
    n = None
    fail = None
    ```

    ```{code-cell} ipython3
    from companion.records import Session
    rec = Session("fixture-nb", profile, seed)
    assert isinstance(n, int), n
    rec.compare("fixture.n", "test", "the injected n", paper=7, ours=n, tol=0)
    ```

    ```{code-cell} ipython3
    if fail:
        raise RuntimeError("boom on purpose")
    ```

    ```{code-cell} ipython3
    rec.finish()
    ```
    ''')


@pytest.fixture
def fixture_repo(tmp_path, monkeypatch):
    """A temporary repository with one registered notebook ``fixture-nb``."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "fixture.md").write_text(FIXTURE)
    (tmp_path / "_config.yml").write_text("title: fixture\n")
    spec = catalogue._nb(
        "fixture-nb", "fixture.md", "Fixture", "test",
        catalogue.Param("n", "int", 3, 1000, "a number", min=1, max=100),
        catalogue.Param("fail", "bool", False, False, "raise in a cell"),
    )
    monkeypatch.setitem(catalogue.NOTEBOOKS, "fixture-nb", spec)
    monkeypatch.setenv("COMPANION_ROOT", str(tmp_path))
    return tmp_path


def test_injected_parameter_reaches_notebook_and_records(fixture_repo, capsys):
    assert cli.main(["run", "fixture-nb", "-p", "n=7"]) == 0
    executed = fixture_repo / "book" / "notebooks" / "fixture-nb.ipynb"
    nb = json.loads(executed.read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "n = 7" in "".join(injected[0]["source"])
    payload = json.loads((fixture_repo / "_build" / "records" / "fixture-nb.json").read_text())
    (record,) = payload["records"]
    assert record["ours"] == 7 and record["verdict"] == "reproduced"
    assert payload["provenance"]["profile"] == "ci"
    runtimes = json.loads((fixture_repo / "_build" / "runtimes.json").read_text())
    assert runtimes["fixture-nb"]["ci"] > 0


def test_profile_value_used_without_override(fixture_repo):
    assert cli.main(["run", "fixture-nb", "--profile", "paper", "-p", "n=7"]) == 0
    assert cli.main(["run", "fixture-nb"]) == 0  # n = 3 under ci
    payload = json.loads((fixture_repo / "_build" / "records" / "fixture-nb.json").read_text())
    assert payload["records"][0]["ours"] == 3
    assert payload["records"][0]["verdict"] == "differs"


def test_failing_cell_names_notebook_and_cell_and_keeps_output(fixture_repo, capsys):
    assert cli.main(["run", "fixture-nb", "-p", "n=7", "-p", "fail=true"]) == 1
    err = capsys.readouterr().err
    assert "fixture-nb" in err and "code cell 4" in err and "if fail:" in err and "boom on purpose" in err
    kept = fixture_repo / "book" / "notebooks" / "fixture-nb.ipynb"
    assert kept.exists() and "boom on purpose" in kept.read_text()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["run", "no-such-notebook"], "valid notebooks"),
        (["run", "fixture-nb", "--profile", "huge"], "valid profiles: ci, paper"),
        (["run", "fixture-nb", "-p", "n=seven"], "must be of type int"),
        (["run", "fixture-nb", "-p", "n=1000"], "out of range"),
        (["run", "fixture-nb", "-p", "n=2.5"], "must be of type int"),
        (["run", "fixture-nb", "-p", "fail=maybe"], "must be of type bool"),
        (["run", "fixture-nb", "-p", "m=3"], "valid parameters"),
        (["run", "fixture-nb", "-p", "n"], "expected NAME=VALUE"),
        (["run", "fixture-nb", "-p", "seed=-1"], "out of range"),
        (["run", "fixture-nb", "--jobs", "0"], "at least 1"),
    ],
)
def test_bad_input_exits_2_before_compute(fixture_repo, capsys, argv, fragment):
    assert cli.main(argv) == 2
    assert fragment in capsys.readouterr().err
    assert not (fixture_repo / "book" / "notebooks").exists()  # nothing was executed


def test_missing_parameters_cell_is_reported(fixture_repo):
    src = fixture_repo / "notebooks" / "fixture.md"
    src.write_text(FIXTURE.replace(":tags: [parameters]\n", ""))
    with pytest.raises(ValueError, match="tagged 'parameters'"):
        pipeline.load_source("fixture-nb", pipeline.Paths(fixture_repo))


def test_list_shows_every_notebook_and_its_parameters(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name, spec in catalogue.NOTEBOOKS.items():
        assert name in out
        for p in spec.params:
            assert p.name in out


def test_module_entry_point_help():
    proc = subprocess.run([sys.executable, "-m", "companion", "--help"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0
    for word in ("list", "run", "build", "profile", "paper"):
        assert word in proc.stdout.lower()


def test_every_registered_notebook_has_a_source_with_parameters_cell():
    paths = pipeline.Paths(ROOT)
    for name, spec in catalogue.NOTEBOOKS.items():
        nb = pipeline.load_source(name, paths)
        params_cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        for p in ("profile", "seed", *(q.name for q in spec.params)):
            assert f"{p} =" in params_cell.source, f"{name}: parameters cell lacks {p}"


def test_parallel_run_of_two_notebooks(fixture_repo, monkeypatch):
    (fixture_repo / "notebooks" / "fixture2.md").write_text(FIXTURE.replace("fixture-nb", "fixture-nb2"))
    spec = catalogue.NOTEBOOKS["fixture-nb"]
    monkeypatch.setitem(catalogue.NOTEBOOKS, "fixture-nb2",
                        catalogue.NotebookSpec("fixture-nb2", "fixture2.md", "Fixture 2", "test",
                                               spec.params))
    # the worker processes are forked, so they see the monkeypatched catalogue entries
    results = pipeline.run_many(["fixture-nb", "fixture-nb2"], "ci", {"n": "7"}, jobs=2,
                                paths=pipeline.Paths(fixture_repo), echo=lambda *_: None)
    assert sorted(r.name for r in results) == ["fixture-nb", "fixture-nb2"]
    for name in ("fixture-nb", "fixture-nb2"):
        payload = json.loads((fixture_repo / "_build" / "records" / f"{name}.json").read_text())
        assert payload["records"][0]["ours"] == 7


# ---------------------------------------------------------------- notebook names, stale HTML

@pytest.mark.parametrize("spelling", [
    "fawzi-theorems4-5", "theorems4_5", "fawzi/theorems4_5", "notebooks/fawzi/theorems4_5.md",
    "fawzi_theorems4_5", "./notebooks/fawzi/theorems4_5.md", "book/notebooks/fawzi-theorems4-5.ipynb",
    "Fawzi_Theorems4_5",
])
def test_a_notebook_may_be_named_as_its_file(spelling):
    assert catalogue.canonical(spelling) == "fawzi-theorems4-5"
    assert catalogue.get(spelling) is catalogue.NOTEBOOKS["fawzi-theorems4-5"]


def test_every_registered_notebook_answers_to_its_file_names():
    for name, spec in catalogue.NOTEBOOKS.items():
        source = spec.source.removesuffix(".md")
        for spelling in (name, source, f"notebooks/{spec.source}", source.replace("/", "_")):
            assert catalogue.canonical(spelling) == name, (spelling, name)


def test_a_file_name_two_papers_share_is_ambiguous():
    with pytest.raises(catalogue.CatalogueError, match="ambiguous") as exc:
        catalogue.canonical("theorem1")
    assert "fawzi-theorem1" in str(exc.value) and "dai-gifford-theorem1" in str(exc.value)


@pytest.mark.parametrize("argv, nearest", [
    (["run", "fawzi-theorm1"], "did you mean fawzi-theorem1"),
    (["run", "theorems45"], "did you mean fawzi-theorems4-5"),
    (["run", "dai_giford_theorem2"], "did you mean dai-gifford-theorem2"),
])
def test_unknown_notebook_suggests_the_nearest_names_and_exits_2(argv, nearest, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert nearest in err and "valid notebooks:" in err


def test_run_accepts_the_file_spelling(fixture_repo, capsys):
    assert cli.main(["run", "fixture", "-p", "n=7"]) == 0  # notebooks/fixture.md
    assert (fixture_repo / "book" / "notebooks" / "fixture-nb.ipynb").exists()
    assert not (fixture_repo / "book" / "notebooks" / "fixture.ipynb").exists()


def test_run_says_when_the_html_book_is_missing_or_stale(fixture_repo, capsys):
    import os

    assert cli.main(["run", "fixture-nb", "-p", "n=7"]) == 0
    out = capsys.readouterr().out
    assert "the HTML book (_build/html) has not been built" in out
    assert "python -m companion build --skip-run" in out

    index = fixture_repo / "_build" / "html" / "index.html"
    index.parent.mkdir(parents=True)
    index.write_text("<html></html>")
    executed = fixture_repo / "book" / "notebooks" / "fixture-nb.ipynb"
    os.utime(index, (executed.stat().st_mtime + 10,) * 2)  # built after the run: up to date
    assert cli.html_staleness(pipeline.Paths(fixture_repo)) is None

    assert cli.main(["run", "fixture-nb", "-p", "n=7"]) == 0
    os.utime(index, (executed.stat().st_mtime - 10,) * 2)
    notice = cli.html_staleness(pipeline.Paths(fixture_repo))
    assert "is older than 1 executed notebook(s) (fixture-nb)" in notice
    assert notice.endswith("refresh it with: python -m companion build --skip-run")


def test_executed_notebook_starts_with_a_hidden_what_to_install_cell(fixture_repo):
    assert cli.main(["run", "fixture-nb", "-p", "n=7"]) == 0
    assert cli.main(["run", "fixture-nb", "-p", "n=7"]) == 0  # a rerun does not add a second one
    nb = json.loads((fixture_repo / "book" / "notebooks" / "fixture-nb.ipynb").read_text())
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    assert first["metadata"]["tags"] == ["remove-cell"]  # in the .ipynb, not on the page
    text = "".join(first["source"])
    assert 'pip install "companion @ git+https://github.com/robustness-limits/robustness-limits' in text
    assert "downloads no data set" in text
    notes = [c for c in nb["cells"] if c["metadata"].get("companion")]
    assert len(notes) == 1
