"""Docstrings and public names of the package.

* ``__all__`` is complete in every concept module: every public top-level function and class
  defined there is listed, and every listed name exists.
* The code shown next to a theorem (``literalinclude`` of a function, in a dropdown under the
  box) names a function that exists, by a path that resolves from where the executed notebook
  lands (book/notebooks/), and that function's docstring names the page.
* *Used on*: in the modules that compute what the pages show (bounds, discrete, the chapters), a
  function or class that a page uses, in its code cells, a ``{func}``-like role or a
  ``literalinclude``, says so in a paragraph ``Used on :doc:`/notebooks/<page>`, ...`` (right
  after its summary), and names exactly those pages.
* The mathematical modules are in numpydoc form: Parameters (when there are any), Returns, and
  Examples written as doctests (``pytest --doctest-modules`` runs them, see pyproject.toml).
"""
from __future__ import annotations

import ast
import fnmatch
import importlib
import inspect
import re
from pathlib import Path

import pytest

from companion import catalogue
from test_notebook_sources import code_cells

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "companion"
EXECUTED = ROOT / "book" / "notebooks"          # where book pages of notebooks land
MACHINERY = {"catalogue.py", "cli.py", "pipeline.py", "scorecard.py", "__main__.py",
             "publish.py", "lint.py"}
#: Pending: modules another session is editing now (no ``__all__`` yet); the lead removes them
#: from this list once that session lands.
PENDING_ALL: set = set()
#: Modules whose functions carry *Used on* (what a page shows is computed there). The page
#: helpers every page calls (records, display, plotting, catalogue) do not.
USED_ON_SCOPE = ("companion.bounds", "companion.discrete", "companion.chapters",
                 "companion.generative.robustness")
#: Pending: modules another session is editing now; *Used on* is added when it lands.
PENDING_USED_ON: set = set()
#: Pending pages (being rewritten by another session): what they use may or may not be named in
#: *Used on* until they land.
PENDING_PAGES: set = set()
#: The mathematical modules in numpydoc form, with doctest examples for every public function.
NUMPYDOC = ["companion.bounds.gaussian_isoperimetry", "companion.discrete.isoperimetry",
            "companion.discrete.bit_depth", "companion.discrete.robust_classifier",
            "companion.discrete.line_drawings", "companion.discrete.image_spaces",
            "companion.bounds.concentration", "companion.spheres"]
#: ... and the page helpers, the attacks and the breadth-first search in numpydoc form
#: (Parameters, Returns; examples where pure).
NUMPYDOC_NO_EXAMPLES = ["companion.display", "companion.records", "companion.attacks.base",
                        "companion.attacks.pgd", "companion.attacks.deepfool",
                        "companion.attacks.cw", "companion.attacks.bisection",
                        "companion.discrete.hamming_bfs", "companion.discrete.hamming_kernel",
                        "companion.discrete.binary_spaces"]


# ------------------------------------------------------------------------ __all__
def _concept_modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "chapters" or (len(rel.parts) == 1 and rel.name in MACHINERY):
            continue
        if rel.name.startswith("_") and rel.name != "__init__.py":
            continue
        if not (path.parent / "__init__.py").is_file():
            continue  # not (yet) a package
        yield path


def _public_definitions(tree: ast.Module) -> list[str]:
    return [n.name for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and not n.name.startswith("_")]


def _all_names(tree: ast.Module) -> list[str] | None:
    names, found = [], False
    for n in tree.body:
        target = n.targets[0] if isinstance(n, ast.Assign) and len(n.targets) == 1 else \
            getattr(n, "target", None)
        if isinstance(target, ast.Name) and target.id == "__all__":
            found = True
            names += list(ast.literal_eval(n.value))
    return names if found else None


def _bound_names(tree: ast.Module) -> set[str]:
    out = set()
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, (ast.Assign, ast.AnnAssign)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            out |= {t.id for t in targets if isinstance(t, ast.Name)}
    return out


CONCEPTS = list(_concept_modules())


def _rel(path: Path) -> str:
    return path.relative_to(PKG).as_posix()


@pytest.mark.parametrize("path", CONCEPTS, ids=_rel)
def test_all_lists_every_public_definition(path):
    if any(fnmatch.fnmatch(_rel(path), pattern) for pattern in PENDING_ALL):
        pytest.skip(f"{_rel(path)}: pending (another session is editing it)")
    tree = ast.parse(path.read_text())
    public = _public_definitions(tree)
    names = _all_names(tree)
    if names is None:
        assert not public, f"{_rel(path)} defines {public} but has no __all__"
        return
    missing = [p for p in public if p not in names]
    assert not missing, f"{_rel(path)}: public but not in __all__: {missing}"
    unknown = sorted(set(names) - _bound_names(tree))
    assert not unknown, f"{_rel(path)}: __all__ names what the module does not define: {unknown}"
    assert len(names) == len(set(names)), f"{_rel(path)}: a name is listed twice in __all__"


def test_pending_modules_exist():
    for pattern in PENDING_ALL:
        assert list(PKG.glob(pattern)), f"{pattern} is pending but matches nothing: remove it"
    assert PENDING_PAGES <= set(PAGES), "a pending page is not a registered notebook"


# ------------------------------------------------------------------------ pages and their code
PAGES = {f"/notebooks/{name}": ROOT / "notebooks" / spec.source
         for name, spec in catalogue.NOTEBOOKS.items()}
_ROLE = re.compile(r"\{(?:py:)?(?:func|class|meth|mod|data|attr)\}`~?(companion[\w.]*)`")
_INCLUDE = re.compile(r"^```\{literalinclude\} (\S+)\n((?::[\w-]+:[^\n]*\n)*)```", re.M)
_USED_ON = re.compile(r"^\s*Used on (.*?)(?:\n\s*\n|\Z)", re.M | re.S)
_DOC = re.compile(r":doc:`(/notebooks/[\w-]+)`")


def literalincludes(text: str) -> list[tuple[str, dict]]:
    """(path, options) of every ``literalinclude`` of a MyST text."""
    out = []
    for m in _INCLUDE.finditer(text):
        opts = dict(re.findall(r"^:([\w-]+):\s*(.*)$", m.group(2), re.M))
        out.append((m.group(1), opts))
    return out


def _module_of_file(path: Path) -> str:
    rel = path.resolve().relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level(obj):
    """The top-level function or class that ``obj`` is (or is a method of), else None."""
    obj = inspect.unwrap(obj) if callable(obj) else obj
    if isinstance(obj, (classmethod, staticmethod)):
        obj = obj.__func__
    if not (inspect.isfunction(obj) or inspect.isclass(obj)):
        return None
    module = importlib.import_module(obj.__module__)
    head = obj.__qualname__.split(".")[0]
    return getattr(module, head, None)


def _resolve(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _aliases(cells: list[dict]) -> dict[str, str]:
    out = {}
    for cell in cells:
        code = "\n".join(l for l in cell["body"].splitlines() if not l.lstrip().startswith("%"))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("companion"):
                for a in node.names:
                    out[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("companion"):
                        out[a.asname or a.name.split(".")[0]] = a.name if a.asname else \
                            a.name.split(".")[0]
    return out


def page_references(page: str, path: Path) -> set:
    """The top-level functions and classes of the package that a page uses: names reached
    from its imports in its code cells, Python roles, and ``literalinclude`` blocks."""
    text = path.read_text()
    cells = code_cells(text)
    alias = _aliases(cells)
    dotted = set()
    for cell in cells:
        code = "\n".join(l for l in cell["body"].splitlines() if not l.lstrip().startswith("%"))
        for node in ast.walk(ast.parse(code)):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in alias):
                dotted.add(f"{alias[node.value.id]}.{node.attr}")
            elif isinstance(node, ast.Name) and node.id in alias:
                dotted.add(alias[node.id])
    dotted |= set(_ROLE.findall(text))
    for inc, opts in literalincludes(text):
        if "pyobject" in opts:
            target = (EXECUTED / inc).resolve()
            if target.is_file() and PKG in target.parents:
                dotted.add(f"{_module_of_file(target)}.{opts['pyobject']}")
    out = set()
    for d in dotted:
        obj = _resolve(d)
        top = _top_level(obj) if obj is not None else None
        if top is not None and top.__module__.startswith("companion"):
            out.add(top)
    return out


def used_on(obj) -> set[str] | None:
    """The pages a docstring's *Used on* paragraph names (None without one)."""
    m = _USED_ON.search(inspect.getdoc(obj) or "")
    return set(_DOC.findall(m.group(1))) if m else None


def _in_scope(module: str) -> bool:
    return module.startswith(USED_ON_SCOPE) and not module.startswith(tuple(PENDING_USED_ON))


REFERENCES = {page: page_references(page, path) for page, path in PAGES.items()}


def test_reference_collection_sees_the_pages():
    from companion.bounds import gaussian_isoperimetry as gi
    from companion.discrete import robust_classifier as rc

    assert gi.theorem1_bound in REFERENCES["/notebooks/fawzi-theorem1"]   # a call
    assert gi.lemma2_bound in REFERENCES["/notebooks/fawzi-theorem1"]     # a literalinclude
    assert gi.theorem3_general_bound in REFERENCES["/notebooks/fawzi-theorem3"]  # a {func} role
    assert rc.threshold in REFERENCES["/notebooks/dai-gifford-theorem2"]
    assert used_on(gi.theorem1_bound) == {"/notebooks/fawzi-theorem1",
                                          "/notebooks/fawzi-theorems4-5"}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_literalincludes_resolve_from_the_executed_notebook(page):
    """``../../src/companion/...`` from book/notebooks/<page>.ipynb; the object exists."""
    bad = []
    for inc, opts in literalincludes(PAGES[page].read_text()):
        target = (EXECUTED / inc).resolve()
        if not target.is_file() or PKG not in target.parents:
            bad.append(f"{inc}: not a file of src/companion seen from book/notebooks/")
            continue
        if "pyobject" not in opts:
            bad.append(f"{inc}: show one function (:pyobject:), not a whole file")
            continue
        obj = _resolve(f"{_module_of_file(target)}.{opts['pyobject']}")
        if obj is None:
            bad.append(f"{inc}: no {opts['pyobject']} in {_module_of_file(target)}")
        elif page not in (used_on(_top_level(obj)) or set()):
            bad.append(f"{opts['pyobject']}: its docstring does not name {page} (Used on ...)")
        if opts.get("language") != "python":
            bad.append(f"{inc} {opts.get('pyobject')}: give :language: python")
    assert not bad, f"{page}:\n  " + "\n  ".join(bad)


def _scope_objects():
    out = []
    for path in sorted(PKG.rglob("*.py")):
        module = _module_of_file(path)
        if not _in_scope(module) or path.name.startswith("_") and path.name != "__init__.py":
            continue
        if not (path.parent / "__init__.py").is_file():
            continue
        mod = importlib.import_module(module)
        for name in _public_definitions(ast.parse(path.read_text())):
            out.append(getattr(mod, name))
    return out


SCOPE = _scope_objects()


@pytest.mark.parametrize("obj", SCOPE, ids=lambda o: f"{o.__module__}.{o.__qualname__}")
def test_used_on_names_exactly_the_pages_that_use_it(obj):
    pages = {page for page, refs in REFERENCES.items() if obj in refs} - PENDING_PAGES
    named = used_on(obj)
    if named is not None:
        named = named - PENDING_PAGES
    if not pages:
        assert not named, f"no page uses it, yet its docstring says Used on {sorted(named)}"
        return
    assert named is not None, (f"used on {sorted(pages)}: add a paragraph after the summary: "
                               "Used on " + ", ".join(f":doc:`{p}`" for p in sorted(pages)))
    assert named == pages, (f"Used on names {sorted(named)}; the pages that use it are "
                            f"{sorted(pages)}")


def test_used_on_reader_on_known_text():
    def f():
        """Summary.

        Used on :doc:`/notebooks/a-b`,
        :doc:`/notebooks/c`.

        Parameters
        ----------
        x : int
            Not :doc:`/notebooks/d`.
        """
    assert used_on(f) == {"/notebooks/a-b", "/notebooks/c"}
    assert used_on(test_used_on_reader_on_known_text) is None


# ------------------------------------------------------------------------ numpydoc form
def _functions(module_name: str):
    mod = importlib.import_module(module_name)
    for name in mod.__all__:
        obj = getattr(mod, name)
        if inspect.isfunction(obj) and obj.__module__ == module_name:
            yield f"{module_name}.{name}", obj
        elif inspect.isclass(obj) and obj.__module__ == module_name:
            yield f"{module_name}.{name}", obj
            for attr, member in vars(obj).items():
                if inspect.isfunction(member) and not attr.startswith("_"):
                    yield f"{module_name}.{name}.{attr}", member


def _sections(doc: str) -> set[str]:
    lines = doc.splitlines()
    return {lines[i].strip() for i in range(len(lines) - 1)
            if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())}


def _has_parameters(fn) -> bool:
    if inspect.isclass(fn):
        fn = fn.__init__
    params = [p for p in inspect.signature(fn).parameters if p not in ("self", "cls")]
    return bool(params)


CASES = [(name, obj, examples) for mods, examples in ((NUMPYDOC, True),
                                                      (NUMPYDOC_NO_EXAMPLES, False))
         for m in mods for name, obj in _functions(m)]


@pytest.mark.parametrize("name,obj,examples", CASES, ids=[c[0] for c in CASES])
def test_numpydoc_sections(name, obj, examples):
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    sections = _sections(doc)
    if inspect.isclass(obj):
        if examples:
            assert "Examples" in sections and ">>>" in doc, f"{name}: add doctest Examples"
        return
    if _has_parameters(obj):
        assert "Parameters" in sections, f"{name}: add a Parameters section (name : type)"
        entries = re.findall(r"^(\w[\w, ]*) : \S", doc, re.M)
        assert entries, f"{name}: parameters are written ``name : type``"
    assert "Returns" in sections or "Yields" in sections, f"{name}: add a Returns section"
    if examples:
        assert "Examples" in sections and ">>>" in doc, f"{name}: add doctest Examples"


def test_doctests_of_the_package_are_collected():
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in cfg["addopts"].split()
    assert "src/companion" in cfg["testpaths"] and "tests" in cfg["testpaths"]
    conftest = (ROOT / "conftest.py").read_text()
    assert "src/companion/__main__.py" in conftest  # importing it would run the command line
