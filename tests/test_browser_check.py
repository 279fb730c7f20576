"""The layout rules of scripts/browser_check.py on a tiny synthetic site, in a real Chromium.

* clipping: content wider than the article column that is not inside its own horizontally
  scrollable box (a raw table, a formula in a box with overflow: hidden, a code block cut off)
  fails, naming the page and the element; the same content inside the book's style sheet
  (book/_static/custom.css makes it scroll in its own box) passes;
* image size: a content image displayed under 300 px wide, or shrunk below 45% of a natural width
  wider than the column, fails; icons and a figure at its natural size pass.

The site imitates the theme's relevant rules (pydata-sphinx-theme gives div.math / span.math
``overflow: hidden``). One crawl serves every test. Skipped where /usr/bin/chromium is missing.
"""
from __future__ import annotations

import importlib.util
import shutil
import struct
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")


def _browser_check():
    spec = importlib.util.spec_from_file_location("browser_check", ROOT / "scripts" / "browser_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("browser_check", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def png(width: int, height: int, grey: int = 128) -> bytes:
    """A plain grey PNG of ``width`` x ``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = (b"\x00" + bytes([grey]) * width) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# what pydata-sphinx-theme does that matters here, an article column of 700 px, and a
# stand-in for MathJax (the formulas below are written as MathJax's output)
THEME = """<style>
  body { margin: 0; font: 16px sans-serif; }
  article.bd-article { width: 700px; margin-left: 40px; }
  div.math, span.math { display: flex; max-width: 100%; overflow: hidden; }
  pre { overflow: auto; }
  img { max-width: 100%; }
  mjx-container[display="true"] { display: block; }
  mjx-math { display: inline-block; white-space: nowrap; }
</style>
<script>window.MathJax = {startup: {promise: Promise.resolve()}};  /* typeset by hand below */</script>"""

WIDE_TABLE = ("<table><tr>" + "".join(f"<td>column_{i}_with_a_long_value</td>" for i in range(30))
              + "</tr></table>")
WIDE_MATH = ('<div class="math notranslate nohighlight"><mjx-container class="MathJax" jax="CHTML" '
             'display="true"><mjx-math style="width: 1500px">x_1 + x_2 + ... + x_n</mjx-math>'
             "</mjx-container></div>")
LONG_CODE = '<div class="highlight"><pre>y = 1  # ' + "z" * 400 + "</pre></div>"


def page(body: str, css: bool = False) -> str:
    link = '<link rel="stylesheet" href="_static/custom.css">' if css else ""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{THEME}{link}</head><body><main>"
            f'<article class="bd-article" role="main">{body}</article></main></body></html>')


def build_site(root: Path) -> None:
    (root / "_static").mkdir(parents=True)
    shutil.copy(ROOT / "book" / "_static" / "custom.css", root / "_static" / "custom.css")
    (root / "figure.png").write_bytes(png(600, 380))
    (root / "small.png").write_bytes(png(600, 400))
    (root / "wide.png").write_bytes(png(2400, 600))
    (root / "icon.png").write_bytes(png(32, 32))
    (root / "index.html").write_text(page(
        '<h1 id="top">Index</h1><a href="clean.html">clean</a> <a href="wide-table.html">wide</a> '
        '<a href="tiny-image.html">tiny</a> <a href="cut.html">cut</a>'))
    # Everything wide sits where the book's style sheet makes it scroll in its own box.
    (root / "clean.html").write_text(page(
        "<section><h1>Clean</h1>"
        '<div class="cell_output docutils container"><div class="output text_html">'
        f"{WIDE_TABLE}</div></div>"
        f"{WIDE_MATH}"
        f'<div class="cell docutils container"><div class="cell_input">{LONG_CODE}</div></div>'
        '<div class="cell_output docutils container"><img src="figure.png" alt="a figure"></div>'
        # a formula beyond the column edge, in a table that scrolls in its wrapper: fine
        '<div class="pst-scrollable-table-container"><table><tr>'
        + "".join(f"<td>cell_{i}_wide_wide</td>" for i in range(12))
        + '<td><span class="math notranslate nohighlight"><mjx-container class="MathJax" '
          'jax="CHTML"><mjx-math>x^2</mjx-math></mjx-container></span></td></tr></table></div>'
        '<p>An icon <img src="icon.png" width="16"> and a <code class="docutils literal"><span '
        'class="pre">narrow</span></code> table:</p><table><tr><td>a</td><td>b</td></tr></table>'
        '<aside class="margin"><div style="width: 1200px">margin notes may leave the column</div></aside>'
        "</section>", css=True))
    # The same wide content without the book's style sheet: a raw table spills past the column,
    # the formula is cut by div.math's overflow: hidden.
    (root / "wide-table.html").write_text(page(
        "<section><h1>Wide table</h1>"
        f'<div class="cell_output docutils container"><div class="output text_html">{WIDE_TABLE}'
        f"</div></div>{WIDE_MATH}</section>"))
    (root / "tiny-image.html").write_text(page(
        "<section><h1>Tiny image</h1>"
        '<div class="cell_output docutils container"><img src="small.png" width="120" alt="tiny"></div>'
        '<div class="cell_output docutils container"><img src="wide.png" alt="too wide a figure"></div>'
        '<img class="logo" src="small.png" width="40" alt="logo">'
        "</section>"))
    (root / "cut.html").write_text(page(
        '<section><h1>Cut</h1><pre style="overflow-x: hidden">' + "w" * 300 + "</pre></section>"))


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    build_site(root)
    report = _browser_check().check(root, timeout_s=20)
    by_page: dict[str, list[str]] = {}
    for failure in report.failures:
        name, _, message = failure.partition(": ")
        by_page.setdefault(name, []).append(message)
    return report, by_page


def test_the_synthetic_pngs_have_the_sizes_asked_for(tmp_path):
    data = png(600, 400)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (600, 400)


def test_clean_page_passes(crawl):
    report, by_page = crawl
    assert report.pages == 5
    assert "clean.html" not in by_page, by_page.get("clean.html")
    assert "index.html" not in by_page
    assert report.layout_elements > 10
    assert report.content_images >= 3  # figure.png, small.png, wide.png; not the icon or logo


def test_wide_table_and_cut_formula_fail_naming_page_and_element(crawl):
    _, by_page = crawl
    messages = by_page.get("wide-table.html", [])
    assert len(messages) == 2, messages
    table = [m for m in messages if m.startswith("clipped: table")]
    assert table and "column_0_with_a_long_value" in table[0] and "past the right edge" in table[0]
    assert "not inside its own horizontally scrollable box" in table[0]
    assert 'under the heading "Wide table"' in table[0]
    math = [m for m in messages if m.startswith("clipped: mjx-container")]
    assert math and "clipped by div.math" in math[0] and "overflow-x: hidden" in math[0]


def test_code_cut_inside_its_own_box_fails(crawl):
    _, by_page = crawl
    (message,) = by_page.get("cut.html", [])
    assert message.startswith("content cut off inside pre") and "overflow-x: hidden" in message


def test_tiny_and_overscaled_images_fail(crawl):
    _, by_page = crawl
    messages = by_page.get("tiny-image.html", [])
    assert len(messages) == 2, messages  # the logo is exempt
    small = [m for m in messages if "small.png" in m]
    assert small and small[0].startswith("image too small to read")
    assert "displayed 120 px wide (natural 600x400)" in small[0] and "at least 300 px" in small[0]
    wide = [m for m in messages if "wide.png" in m]
    assert wide and wide[0].startswith("image scaled down too far to read")
    assert "displayed 700 px wide, 29% of its natural 2400x600" in wide[0]


def test_command_line_lists_the_layout_failures(tmp_path):
    build_site(tmp_path)
    (tmp_path / "clean.html").unlink()
    import subprocess

    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "browser_check.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "wide-table.html: clipped: table" in proc.stderr
    assert "tiny-image.html: image too small to read" in proc.stderr
    assert "content elements checked for clipping at 1280 px" in proc.stdout
