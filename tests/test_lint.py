"""The executed-notebook lint (companion.lint), its CLI, and clean kernels.

Every rule is checked on a tiny nbformat notebook that violates it. The last tests execute real
notebooks in an ipykernel: the pipeline's kernels print no start-up warning, and training in a
kernel writes its progress bar to the terminal, never into the notebook.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import (new_code_cell, new_markdown_cell, new_notebook, new_output)

from companion import catalogue, cli, lint, pipeline, progress

ROOT = Path(__file__).resolve().parents[1]
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 100).decode()


def stream(text, name="stdout"):
    return new_output("stream", name=name, text=text)


def display(data, kind="display_data"):
    if kind == "execute_result":
        return new_output("execute_result", data=data, execution_count=1)
    return new_output("display_data", data=data)


def figure_png():
    return display({"image/png": PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"})


def code(source, *outputs, tags=(), **metadata):
    cell = new_code_cell(source, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = list(tags)
    cell.metadata.update(metadata)
    return cell


def write(tmp_path, *cells, name="nb"):
    nb = new_notebook(cells=[new_markdown_cell("# A page"), *cells])
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def rules(path):
    return [p.rule for p in lint.lint_notebook(path)]


def clean_cells():
    return [
        code("x = 1"),
        code("print(f'the bound is {0.25:.3f}')", stream("the bound is 0.250\n")),
        code("Markdown(table)", display({"text/markdown": "| a | b |\n|---|---|\n| 1 | 2 |",
                                         "text/plain": "<IPython.core.display.Markdown object>"},
                                        "execute_result")),
        code("df", display({"text/html": "<table></table>", "text/plain": "   a\n0  1"},
                           "execute_result")),
        code("fig = plot()", figure_png(),
             mystnb={"figure": {"name": "fig-x", "caption": "A figure."}}),
        code("print(report)", stream("\n".join(f"line {i}" for i in range(lint.MAX_LINES)))),
    ]


def test_clean_notebook_passes(tmp_path):
    path = write(tmp_path, *clean_cells())
    assert lint.lint_notebook(path) == []
    assert lint.format_report([]) == "notebook lint: no problems"


def test_problem_names_notebook_cell_and_first_line(tmp_path):
    path = write(tmp_path, code("a = 1"), code("\n# compute\nimport warnings\nwarn()",
                                                stream("oops\n", "stderr")), name="demo")
    [p] = lint.lint_notebook(path)
    assert (p.notebook, p.cell, p.first_line, p.rule) == ("demo.ipynb", 2, "# compute", "stderr")
    assert "oops" in p.detail
    report = lint.format_report([p])
    assert "demo.ipynb, code cell 2 (`# compute`): [stderr]" in report
    assert report.startswith("notebook lint: 1 problem(s) in 1 executed notebook(s)")


def test_error_output(tmp_path):
    err = new_output("error", ename="ValueError", evalue="bad", traceback=["Traceback..."])
    path = write(tmp_path, code("raise ValueError('bad')", err))
    assert rules(path) == ["error"]


def test_stderr_output(tmp_path):
    assert rules(write(tmp_path, code("f()", stream("something\n", "stderr")))) == ["stderr"]


@pytest.mark.parametrize("text", [
    "/x.py:3: UserWarning: careful\n  warnings.warn(...)\n",
    "DeprecationWarning: old api\n",
    "Warning: the thing\n",
    "WARNING | something\n",
    "[IPKernelApp] WARNING | Kernel is running over TCP without encryption.\n",
])
def test_warning_text_in_stdout(tmp_path, text):
    assert rules(write(tmp_path, code("f()", stream(text)))) == ["warning"]


def test_warning_text_in_rich_output_and_with_stderr(tmp_path):
    md = display({"text/markdown": "FutureWarning: x", "text/plain": "<Markdown>"})
    assert rules(write(tmp_path, code("show()", md))) == ["warning"]
    both = rules(write(tmp_path, code("f()", stream("RuntimeWarning: overflow\n", "stderr"))))
    assert sorted(both) == ["stderr", "warning"]


@pytest.mark.parametrize("out", [
    stream("\rtrain:  10%|#         | 1/10 [00:00<00:01,  9.0it/s]"),
    stream("epoch 1: 12.5it/s\n"),
    stream("step 3, 4.50s/it\n"),
    stream(" 50%|#####     |\n"),
    display({"application/vnd.jupyter.widget-view+json": {"model_id": "abc"},
             "text/plain": "HBox(children=())"}),
])
def test_progress_output(tmp_path, out):
    assert "progress" in rules(write(tmp_path, code("train()", out)))


def test_windows_newlines_are_not_progress(tmp_path):
    assert rules(write(tmp_path, code("f()", stream("a line\r\nanother\r\n")))) == []


def test_figure_without_image(tmp_path):
    meta = {"figure": {"name": "fig-a", "caption": "A."}}
    path = write(tmp_path, code("plot()", stream("done\n"), mystnb=meta),
                 code("plot()", mystnb=meta))
    found = lint.lint_notebook(path)
    assert [(p.cell, p.rule) for p in found] == [(1, "figure"), (2, "figure")]
    assert "fig-a" in found[0].detail and "no image" in found[0].detail


def test_figure_with_outputs_beside_its_image(tmp_path):
    meta = {"figure": {"name": "fig-b", "caption": "B."}}
    path = write(tmp_path, code("plot(); print(x)", figure_png(), stream("x = 3 checked\n"),
                                mystnb=meta))
    assert rules(path) == ["figure"]


def test_figure_with_machine_only_records_passes(tmp_path):
    record = display({"application/papermill.record/text/plain": "0.5"})
    path = write(tmp_path, code("plot(); glue()", figure_png(), record,
                                mystnb={"figure": {"name": "f", "caption": "c"}}))
    assert rules(path) == []


def test_svg_figure_passes(tmp_path):
    svg = display({"image/svg+xml": "<svg></svg>", "text/plain": "<Figure>"})
    path = write(tmp_path, code("plot()", svg, mystnb={"figure": {"name": "f", "caption": "c"}}))
    assert rules(path) == []


@pytest.mark.parametrize("text", [
    "24.531057167711403", "13198", "np.float64(0.39)", "Record(id='a', value=1.0)",
    "<companion.records.Session object at 0x7f3a2c1d0e50>", "{'a': 1, 'b': [2, 3]}",
    "[0.1, 0.2]", "(1, 2)", "'a string'", "<Figure size 640x480 with 1 Axes>",
    "Setup(dataset='fashion-mnist', profile='ci')", "array([[1, 2],\n       [3, 4]])",
])
def test_bare_repr_as_execute_result(tmp_path, text):
    out = display({"text/plain": text}, "execute_result")
    assert rules(write(tmp_path, code("value", out))) == ["repr"]


@pytest.mark.parametrize("text", ["13198\n", "0.39\n", "Record(id=1)\n",
                                  "<companion.x.Y object at 0x7f00>\n", "{'a': 1}\n"])
def test_bare_repr_printed_or_displayed(tmp_path, text):
    assert rules(write(tmp_path, code("print(value)", stream(text)))) == ["repr"]
    shown = display({"text/plain": text.strip()})
    assert rules(write(tmp_path, code("display(value)", shown))) == ["repr"]


@pytest.mark.parametrize("text", ["the bound holds: 0.25 <= 0.31\n", "Lemma 2 (exact): ok\n",
                                  "[ok] all 12 checks\n", "check(a): passed\nall (3) ok\n",
                                  "Fashion-MNIST (a subset of 2,000 images)\n"])
def test_sentences_are_not_bare_reprs(tmp_path, text):
    assert rules(write(tmp_path, code("print(msg)", stream(text)))) == []


def test_formatted_displays_are_not_bare_reprs(tmp_path):
    md = display({"text/markdown": "**0.39**", "text/plain": "0.39"}, "execute_result")
    html = display({"text/html": "<b>13198</b>", "text/plain": "13198"}, "execute_result")
    latex = display({"text/latex": "$0.39$", "text/plain": "0.39"}, "execute_result")
    assert rules(write(tmp_path, code("a", md), code("b", html), code("c", latex))) == []


def test_size_limits(tmp_path):
    big_png = base64.b64encode(b"\0" * (lint.MAX_IMAGE_BYTES + 1)).decode()
    ok_png = base64.b64encode(b"\0" * (lint.MAX_IMAGE_BYTES - 1)).decode()
    big_html = "<p>" + "x" * lint.MAX_TEXT_BYTES + "</p>"
    path = write(tmp_path, code("big()", display({"image/png": big_png})),
                 code("ok()", display({"image/png": ok_png})),
                 code("html()", display({"text/html": big_html, "text/plain": "<HTML>"})))
    found = lint.lint_notebook(path)
    assert [(p.cell, p.rule) for p in found] == [(1, "size"), (3, "size")]
    long_line = stream("y" * (lint.MAX_TEXT_BYTES + 1) + "\n")
    assert rules(write(tmp_path, code("print(s)", long_line))) == ["size"]


def test_line_limit_per_cell(tmp_path):
    half = "\n".join(f"row {i}" for i in range(lint.MAX_LINES // 2 + 1)) + "\n"
    path = write(tmp_path, code("report()", stream(half), stream(half)))  # 62 lines in all
    assert rules(path) == ["lines"]
    exact = "\n".join(f"row {i}" for i in range(lint.MAX_LINES)) + "\n"
    assert rules(write(tmp_path, code("report()", stream(exact)))) == []


@pytest.mark.parametrize("tag", ["remove-output", "remove-cell"])
def test_removed_cells_are_skipped_by_the_presentation_rules(tmp_path, tag):
    many = "\n".join(str(i) for i in range(200))
    path = write(tmp_path,
                 code("value", display({"text/plain": "13198"}, "execute_result"), tags=[tag]),
                 code("print(x)", stream(many), tags=[tag]),
                 code("train()", stream("\r 10%|#   | 1/10 [00:00, 9.0it/s]"), tags=[tag]),
                 code("plot()", tags=[tag], mystnb={"figure": {"name": "f", "caption": "c"}}))
    assert rules(path) == []
    # the same cells shown to the reader are flagged
    shown = write(tmp_path, code("value", display({"text/plain": "13198"}, "execute_result"),
                                 tags=["remove-input"]), name="shown")
    assert rules(shown) == ["repr"]


def test_removed_cells_still_fail_on_errors_stderr_and_warnings(tmp_path):
    path = write(tmp_path, code("f()", stream("UserWarning: x\n", "stderr"), tags=["remove-cell"]))
    assert sorted(rules(path)) == ["stderr", "warning"]


def test_lint_directory_and_invalid_json(tmp_path):
    write(tmp_path, code("x", display({"text/plain": "1"}, "execute_result")), name="b")
    write(tmp_path, *clean_cells(), name="a")
    (tmp_path / "c.ipynb").write_text("{not json")
    found = lint.lint_directory(tmp_path)
    assert [(p.notebook, p.rule) for p in found] == [("b.ipynb", "repr"), ("c.ipynb", "invalid")]


# --------------------------------------------------------------------------- command line
def test_cli_lint_exit_status_and_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COMPANION_ROOT", str(ROOT))
    bad = write(tmp_path, code("value", display({"text/plain": "0.39"}, "execute_result")),
                name="bad")
    good = write(tmp_path, *clean_cells(), name="good")
    assert cli.main(["lint", str(good)]) == 0
    assert "no problems" in capsys.readouterr().out
    assert cli.main(["lint", str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.ipynb, code cell 1 (`value`): [repr]" in err and "good.ipynb" not in err
    assert cli.main(["lint", "no-such-notebook"]) == 2
    assert "no-such-notebook" in capsys.readouterr().err


def fake_repo(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_config.yml").write_text("title: x\n")
    (tmp_path / "book" / "notebooks").mkdir(parents=True)
    return tmp_path


def test_cli_lint_by_name_and_build_fails_on_lint(tmp_path, monkeypatch, capsys):
    root = fake_repo(tmp_path)
    monkeypatch.setenv("COMPANION_ROOT", str(root))
    name = next(iter(catalogue.NOTEBOOKS))
    write(root / "book" / "notebooks", code("f()", stream("x\n", "stderr")), name=name)
    assert cli.main(["lint", name]) == 1
    assert f"{name}.ipynb, code cell 1 (`f()`): [stderr]" in capsys.readouterr().err

    def no_jupyter_book(*a, **k):  # the build must stop before jupyter-book runs
        raise AssertionError("jupyter-book ran although the lint failed")

    monkeypatch.setattr(cli.subprocess, "run", no_jupyter_book)
    assert cli.main(["build", "--skip-run"]) == 1
    assert "[stderr]" in capsys.readouterr().err


def test_cli_lint_without_executed_notebooks(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COMPANION_ROOT", str(fake_repo(tmp_path)))
    assert cli.main(["lint"]) == 2
    assert "no executed notebooks" in capsys.readouterr().err


def test_notebook_failure_survives_pickling():
    """A failing notebook in a ``--jobs`` worker comes back to the parent as the exception the
    build reports (not a BrokenProcessPool from an exception that cannot be unpickled)."""
    import pickle

    exc = pipeline.NotebookFailed("nb", "code cell 2 (`f()`)", "ValueError: x", Path("o.ipynb"))
    back = pickle.loads(pickle.dumps(exc))
    assert (back.name, back.cell, back.error, back.output) == (exc.name, exc.cell, exc.error,
                                                               exc.output)
    assert str(back) == str(exc)


# --------------------------------------------------------------------------- progress helper
class _FakeKernelStream:
    """Stands in for ipykernel's OutStream: the notebook's stderr plus the saved terminal fd."""

    def __init__(self, fd):
        self._original_stdstream_copy = fd
        self.written = []

    def write(self, s):
        self.written.append(s)

    def flush(self):
        pass


_FakeKernelStream.__module__ = "ipykernel.iostream"


def _drain(fd, sink):
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        sink.append(chunk)


def test_progress_in_a_kernel_goes_to_the_terminal_only(monkeypatch):
    import ipykernel  # noqa: F401  (in_kernel() looks for it)

    monkeypatch.delenv("COMPANION_PROGRESS", raising=False)
    master, slave = os.openpty()
    try:
        fake = _FakeKernelStream(slave)
        monkeypatch.setattr(sys, "stderr", fake)
        assert progress.in_kernel()
        assert list(progress.progress(range(3), desc="unit-bar", mininterval=0)) == [0, 1, 2]
        assert fake.written == []  # nothing for the notebook
        assert b"unit-bar" in os.read(master, 65536)
    finally:
        progress._TERMINALS.pop(slave, None)
        os.close(slave)
        os.close(master)
    r, w = os.pipe()  # not a terminal (a CI log): the bar is disabled
    try:
        fake = _FakeKernelStream(w)
        monkeypatch.setattr(sys, "stderr", fake)
        assert progress.progress_stream() is None
        assert list(progress.progress(range(2), desc="x")) == [0, 1] and fake.written == []
    finally:
        os.close(r)
        os.close(w)


def test_progress_outside_a_kernel_and_disabled(monkeypatch):
    monkeypatch.delenv("COMPANION_PROGRESS", raising=False)
    assert not progress.in_kernel()
    assert progress.progress_stream() is sys.stderr
    monkeypatch.setenv("COMPANION_PROGRESS", "0")
    assert progress.progress_stream() is None
    with pytest.raises(TypeError):
        progress.progress(range(2), file=sys.stdout)


# --------------------------------------------------------------------------- real kernels
def _stderr_outputs(path):
    nb = json.loads(Path(path).read_text())
    return [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stderr"]


def test_pipeline_kernel_prints_no_warning(tmp_path, capfd):
    nb = new_notebook(cells=[new_code_cell("x = 6 * 7"), new_code_cell("print(f'x is {x}')")])
    nb.metadata["kernelspec"] = dict(pipeline.KERNELSPEC)
    out = tmp_path / "tiny.ipynb"
    pipeline.execute(nb, out, cwd=tmp_path)
    captured = capfd.readouterr()  # the kernel's own stderr (the terminal of the run)
    assert "IPKernelApp" not in captured.err and "WARNING" not in captured.err
    assert _stderr_outputs(out) == []
    assert lint.lint_notebook(out) == []


TRAIN_SCRIPT = textwrap.dedent('''\
    import sys
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    from companion import pipeline

    out, cache = sys.argv[1], sys.argv[2]
    nb = new_notebook(cells=[
        new_code_cell("import torch\\nfrom torch import nn\\n"
                      "from companion import artifacts, training"),
        new_code_cell(
            "X, Y = torch.rand(64, 1, 4, 4), torch.randint(0, 3, (64,))\\n"
            "def make():\\n"
            "    torch.manual_seed(0)\\n"
            "    return nn.Sequential(nn.Flatten(), nn.Linear(16, 3))\\n"
            "def fit(m):\\n"
            "    r = training.train(m, X, Y, training.TrainConfig(epochs=3, batch_size=8))\\n"
            "    return {'steps': r.steps}\\n"
            f"model, meta = artifacts.cached_model('tiny', {{'n': 64}}, make, fit, {cache!r})"),
        new_code_cell("print(f'{meta[\\"steps\\"]} steps')"),
    ])
    nb.metadata["kernelspec"] = dict(pipeline.KERNELSPEC)
    pipeline.execute(nb, out)
''')


def test_training_in_a_kernel_writes_no_progress_into_the_notebook(tmp_path):
    """A papermill-launched kernel whose terminal is a TTY: the bar goes there, not to the page."""
    out, cache = tmp_path / "train.ipynb", tmp_path / "cache"
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "COMPANION_PROGRESS"}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    chunks: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(master, chunks), daemon=True)
    reader.start()
    try:
        proc = subprocess.run([sys.executable, "-c", TRAIN_SCRIPT, str(out), str(cache)],
                              stderr=slave, stdout=subprocess.PIPE, env=env, cwd=tmp_path,
                              timeout=120)
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    terminal = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, terminal
    assert _stderr_outputs(out) == []                  # nothing reached the notebook ...
    assert lint.lint_notebook(out) == []
    assert "train" in terminal and "it/s" in terminal  # ... the bar reached the terminal
    cells = json.loads(out.read_text())["cells"]
    train_out = "".join("".join(o.get("text", "")) for o in cells[1]["outputs"])
    assert train_out.startswith("model tiny: trained in ") and train_out.count("\n") == 1
    # the TCP warning is gone (an "[IPKernelApp] ERROR | KeyboardInterrupt" at kernel shutdown
    # may reach the terminal, never the page)
    assert "Kernel is running over TCP" not in terminal and "IPKernelApp] WARNING" not in terminal


def test_graceful_shutdown_sends_no_interrupt():
    """The notebooks' kernel manager skips jupyter_client's SIGINT during a shutdown (on a busy
    machine it made ipykernel log a KeyboardInterrupt on the terminal), and only then."""
    import asyncio

    km = pipeline.quiet_kernel_manager()()
    with pytest.raises(RuntimeError, match="No kernel is running"):
        asyncio.run(km._async_interrupt_kernel())   # not shutting down: the usual interrupt
    km.shutting_down = True
    assert asyncio.run(km._async_interrupt_kernel()) is None


def test_pipeline_kernels_use_the_quiet_manager(tmp_path, monkeypatch):
    made = []
    base = pipeline.quiet_kernel_manager()

    class Counting(base):
        def __init__(self, *a, **kw):
            made.append(1)
            super().__init__(*a, **kw)

    monkeypatch.setattr(pipeline, "quiet_kernel_manager", lambda: Counting)
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    nb.metadata["kernelspec"] = dict(pipeline.KERNELSPEC)
    pipeline.execute(nb, tmp_path / "one.ipynb", cwd=tmp_path)
    assert made, "papermill did not use the pipeline's kernel manager"
