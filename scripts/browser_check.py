#!/usr/bin/env python
"""Check the built book in a real browser: every page, image, formula and internal link, offline.

    python scripts/browser_check.py [_build/html] [--screenshot DIR]

The HTML folder is served on 127.0.0.1 (a free port, in a thread) and crawled with Debian's
Chromium driven by Playwright (``/usr/bin/chromium``; ``playwright install`` is never needed).
Pages are found by following the links from ``index.html`` and, so that nothing is missed, by
listing every ``.html`` file on disk. For each page:

* it loads with HTTP status 200, with no failed or non-200 sub-request and no JavaScript error;
* every ``<img>`` has loaded (``naturalWidth > 0``);
* its math is typeset: after MathJax's startup promise, every Sphinx ``.math`` element holds an
  ``mjx-container`` and there is no ``mjx-merror``;
* every internal link (same host) points to a file that exists, and its ``#anchor``, if any, to
  an id that exists on the target page;
* no request leaves 127.0.0.1: every request is routed, and any other host is aborted and reported
  (links to other hosts are fine; they are counted, never followed);
* nothing is clipped in a 1280-px-wide window: no content element of the article column (a
  table, a display formula ``mjx-container[display]`` / ``div.math``, a ``pre`` / code block, an
  image, a figure, a paragraph, a notebook output) reaches more than 2 px past the column's right
  edge, or past an ``overflow: hidden`` box that cuts it, unless it is inside its own horizontally
  scrollable box (``overflow-x: auto`` / ``scroll``) that itself fits the column. Margin content
  (``.margin``, ``aside``, ``.full-width``) is meant to leave the column and is not checked;
* content images (figures, notebook output images) are readable: displayed at least 300 px
  wide, and, when their natural width exceeds the column, displayed at no less than 45% of
  their natural width (a figure drawn much wider than the column shrinks its text out of reach).
  Logos and icons (a class, ``src`` or ``alt`` naming a logo / icon / badge, or at most 64 x
  64 px) are exempt. Thresholds: ``MIN_IMAGE_WIDTH_PX``, ``MIN_IMAGE_SCALE``, ``ICON_MAX_PX``.

Prints a summary (pages, images, math elements, links, time) and exits with status 1 listing every
failure, 2 if the check itself cannot run (no HTML folder; a ``--chromium`` that does not exist).
With no Chromium found (``$CHROMIUM``, else ``/usr/bin/chromium``, else ``chromium`` or
``chromium-browser`` on PATH) the check is skipped: it says so and exits 0, except when ``$CI``
is set, where a missing Chromium is an error (exit 2): CI never skips the check.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}
CLIP_TOLERANCE_PX = 2       # sub-pixel rounding; anything further past the column edge is clipped
MIN_IMAGE_WIDTH_PX = 300    # a content image displayed narrower than this is too small to read
MIN_IMAGE_SCALE = 0.45      # ... or shrunk below this fraction of a natural width wider than the column
ICON_MAX_PX = 64            # images at most this size in both directions are icons, not figures
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

# Evaluated in the page: make lazy images load, wait for every image (bounded), report them.
_IMAGES_JS = """async (timeoutMs) => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { img.loading = 'eager'; }
  const settle = img => img.complete ? Promise.resolve() : new Promise(res => {
    img.addEventListener('load', res, {once: true});
    img.addEventListener('error', res, {once: true});
  });
  await Promise.race([Promise.all(imgs.map(settle)),
                      new Promise(res => setTimeout(res, timeoutMs))]);
  return imgs.map(img => ({src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0}));
}"""

# Evaluated in the page: wait for MathJax's initial typesetting, then count what it produced.
_MATH_JS = """async (timeoutMs) => {
  const mathNodes = document.querySelectorAll('.math');
  let state = 'absent';
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    const done = await Promise.race([
      MathJax.startup.promise.then(() => 'typeset', e => 'error: ' + e),
      new Promise(res => setTimeout(() => res('timeout'), timeoutMs))]);
    state = done;
  }
  const untypeset = Array.from(mathNodes)
    .filter(el => !el.querySelector('mjx-container'))
    .map(el => el.textContent.trim().slice(0, 80));
  return {state: state, math: mathNodes.length,
          containers: document.querySelectorAll('mjx-container').length,
          errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent.slice(0, 80)),
          untypeset: untypeset};
}"""

# Evaluated in the page: content that reaches past the article column's right edge (not inside
# its own horizontally scrollable box), and content images displayed too small to read.
_LAYOUT_JS = r"""(opts) => {
  const column = document.querySelector('article.bd-article') || document.querySelector('main article')
      || document.querySelector('[role="main"]') || document.querySelector('main')
      || document.querySelector('article') || document.body;
  const tol = opts.tolerance;
  // the column's content box: text and figures are laid out within it
  const colStyle = getComputedStyle(column);
  const colRight = column.getBoundingClientRect().right - (parseFloat(colStyle.borderRightWidth) || 0)
                   - (parseFloat(colStyle.paddingRight) || 0);
  const colWidth = Math.round(column.clientWidth - (parseFloat(colStyle.paddingLeft) || 0)
                              - (parseFloat(colStyle.paddingRight) || 0));
  const SKIP = '.margin, aside, .sidebar, .marginnote, .sidenote, .full-width, .headerlink, ' +
               'script, style, noscript, template';
  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = Array.from(el.classList).filter(c => !c.startsWith('mjx')).slice(0, 3);
    if (cls.length) s += '.' + cls.join('.');
    if (el.tagName === 'MJX-CONTAINER' && el.getAttribute('display')) s += '[display]';
    if (el.tagName === 'IMG') {
      s += ' src=' + (el.getAttribute('src') || '').slice(0, 80);
    } else {
      const text = (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60);
      if (text) s += ' "' + text + '"';
    }
    const box = el.parentElement && el.parentElement.closest('div.admonition, div.proof');
    const boxTitle = box && box.querySelector('.admonition-title');
    if (boxTitle) s += ' (in the box "' + boxTitle.innerText.replace(/\s+/g, ' ').trim().slice(0, 60) + '")';
    for (let sec = el.closest('section'); sec; sec = sec.parentElement && sec.parentElement.closest('section')) {
      const h = sec.querySelector(':scope > h1, :scope > h2, :scope > h3, :scope > h4, :scope > h5, :scope > h6');
      if (h) {
        s += ' (under the heading "' + h.innerText.replace(/[\s#¶]+/g, ' ').trim().slice(0, 60) + '")';
        break;
      }
    }
    return s;
  };
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const scrolls = ox => ox === 'auto' || ox === 'scroll';
  const clips = ox => ox === 'hidden' || ox === 'clip';

  // (a) horizontal clipping
  const problems = new Map();  // element -> message
  // Formulas are measured by their rendering (mjx-math), not by MathJax's hidden assistive MathML
  // (absolutely positioned and clipped, it may be wider); div.math / span.math are their boxes.
  const CANDIDATES = 'table, pre, div.highlight, mjx-container, img, svg, canvas, video, iframe, ' +
                     'figure, p, li, dl, blockquote, div.cell_output > *';
  const reach = el => {
    if (el.tagName === 'MJX-CONTAINER') {
      const parts = Array.from(el.querySelectorAll(':scope > mjx-math'));
      if (parts.length) return Math.max(...parts.map(m => m.getBoundingClientRect().right));
    }
    const rect = el.getBoundingClientRect();
    return rect.left + Math.max(rect.width, el.scrollWidth);
  };
  let checked = 0;
  for (const el of column.querySelectorAll(CANDIDATES)) {
    if (el.closest(SKIP) || !shown(el)) continue;
    if (el.tagName.toLowerCase() === 'svg' && el.closest('mjx-container')) continue;
    checked += 1;
    const rect = el.getBoundingClientRect();
    const own = getComputedStyle(el).overflowX;
    // how far the element's content reaches: its own box, or what overflows it
    const contentRight = scrolls(own) ? rect.right : reach(el);
    const contentWidth = Math.round(contentRight - rect.left);
    if (clips(own) && el.tagName !== 'IMG' && el.scrollWidth > el.clientWidth + tol) {
      problems.set(el, `content cut off inside ${describe(el)}: ${el.scrollWidth} px of content in a ` +
                       `${el.clientWidth} px box with overflow-x: ${own} (make it overflow-x: auto)`);
      continue;
    }
    // Walk up to the column. Content inside a scrollable box is fine as long as that box (or an
    // outer scrollable box holding it, e.g. a table's scrolling wrapper) fits the column.
    let holder = null;          // the outermost scrollable box met so far
    let reachRight = contentRight;
    let verdict = null;
    for (let a = el.parentElement; a && a !== column; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      const aRight = a.getBoundingClientRect().right;
      if (scrolls(ox)) {
        holder = a;
        reachRight = aRight;
        continue;
      }
      if (clips(ox) && reachRight > aRight + tol) {
        verdict = `clipped by ${a.tagName.toLowerCase()}${a.classList.length ? '.' + Array.from(a.classList).slice(0, 2).join('.') : ''} (overflow-x: ${ox})`;
        break;
      }
    }
    if (verdict === null && reachRight > colRight + tol) {
      verdict = `spills ${Math.round(reachRight - colRight)} px past the right edge of the article column`;
    }
    if (verdict === null) continue;
    if (holder !== null) {
      if (!holder.closest(SKIP)) {
        problems.set(holder, `the scrollable box ${describe(holder)} ${verdict.replace(/^spills/, 'reaches')} ` +
                             `(the article column is ${colWidth} px wide)`);
      }
    } else {
      problems.set(el, `clipped: ${describe(el)} is ${contentWidth} px wide, the article column ` +
                       `${colWidth} px; it ${verdict} and is not inside its own horizontally ` +
                       `scrollable box (overflow-x: auto)`);
    }
  }
  // report the innermost offender only (a clipped table, not also its output and cell)
  const offenders = Array.from(problems.keys());
  const clipped = offenders
    .filter(el => !offenders.some(other => other !== el && el.contains(other)))
    .map(el => problems.get(el));

  // (b) content images too small to read
  const small = [];
  let images = 0;
  for (const img of column.querySelectorAll('img')) {
    if (img.closest(SKIP + ', .logo, .navbar-brand, .sd-avatar')) continue;
    const label = [img.className, img.getAttribute('src') || '', img.alt || ''].join(' ');
    if (/logo|icon|badge|avatar|emoji/i.test(label)) continue;
    if (!img.complete || img.naturalWidth === 0 || !shown(img)) continue;
    if (img.naturalWidth <= opts.iconMax && img.naturalHeight <= opts.iconMax) continue;
    images += 1;
    const w = img.getBoundingClientRect().width;
    const natural = `${img.naturalWidth}x${img.naturalHeight}`;
    if (w < opts.minWidth) {
      small.push(`image too small to read: ${describe(img)} is displayed ${Math.round(w)} px wide ` +
                 `(natural ${natural}); content images must be displayed at least ${opts.minWidth} px wide`);
    } else if (img.naturalWidth > colWidth && w < opts.minScale * img.naturalWidth) {
      small.push(`image scaled down too far to read: ${describe(img)} is displayed ${Math.round(w)} px ` +
                 `wide, ${Math.round(100 * w / img.naturalWidth)}% of its natural ${natural} ` +
                 `(at least ${Math.round(100 * opts.minScale)}% when wider than the ${colWidth} px ` +
                 `column: draw the figure narrower)`);
    }
  }
  return {column: describe(column).split(' ')[0], columnWidth: colWidth, checked: checked,
          clipped: clipped, images: images, small: small};
}"""

_LINKS_JS = """() => ({
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id)
        .concat(Array.from(document.querySelectorAll('a[name]')).map(e => e.name)),
})"""


@dataclass
class Report:
    pages: int = 0
    images: int = 0
    math_elements: int = 0
    mjx_containers: int = 0
    internal_links: int = 0
    anchors: int = 0
    external_links: int = 0
    layout_elements: int = 0
    content_images: int = 0
    requests: int = 0
    blocked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def fail(self, page: str, message: str) -> None:
        self.failures.append(f"{page}: {message}")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, threading.Thread]:
    """Serve ``root`` on 127.0.0.1 at a free port, in a daemon thread."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    return server, thread


def target_file(root: Path, url_path: str) -> Path:
    """The file on disk that a URL path of the served site maps to."""
    rel = unquote(url_path).lstrip("/")
    path = root / rel
    if rel == "" or path.is_dir():
        path = path / "index.html"
    return path


def _meta_refresh(file: Path) -> str | None:
    """The target of a ``<meta http-equiv="refresh">`` redirect page, else None."""
    try:
        text = file.read_text(errors="replace")[:4000]
    except OSError:
        return None
    match = re.search(r'<meta[^>]+http-equiv=["\']refresh["\'][^>]*content=["\'][^"\']*url=([^"\']+)',
                      text, flags=re.IGNORECASE)
    return match.group(1).strip() if match else None


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def page_name(root: Path, url: str) -> str:
    return unquote(urlsplit(url).path).lstrip("/") or "index.html"


def check(root: Path, screenshot_dir: Path | None = None, timeout_s: float = 30.0,
          chromium: str = CHROMIUM, echo=print) -> Report:
    """Crawl the site in ``root``; return a :class:`Report` (failures listed in ``.failures``)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    report = Report()
    server, thread = serve(root)
    host, port = server.server_address[:2]
    base = f"http://{host}:{port}/"
    current = {"page": "(start)"}

    def route(route_, request):
        parts = urlsplit(request.url)
        report.requests += 1
        if parts.scheme in ("data", "blob") or (parts.hostname == host and parts.port == port):
            route_.continue_()
        else:
            report.blocked.append(f"{current['page']}: {request.method} {request.url}")
            route_.abort("blockedbyclient")

    def on_response(response):
        if urlsplit(response.url).hostname == host and response.status >= 400:
            report.fail(current["page"], f"HTTP {response.status} for {response.url}")

    def on_request_failed(request):
        if urlsplit(request.url).hostname == host:
            report.fail(current["page"], f"request failed: {request.url} ({request.failure})")

    ids_by_file: dict[Path, set[str]] = {}
    links_to_check: list[tuple[str, str]] = []  # (page, absolute url)
    queue: deque[str] = deque([base + "index.html"])
    seen: set[Path] = set()
    # Every page on disk, so that nothing unlinked is missed; _static/ holds theme assets (Jinja
    # macro fragments named *.html among them), not pages.
    on_disk = sorted(p for p in root.rglob("*.html") if p.relative_to(root).parts[0] != "_static")

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT,
                                          service_workers="block")
            context.route("**/*", route)
            page = context.new_page()
            page.on("response", on_response)
            page.on("requestfailed", on_request_failed)
            page.on("pageerror", lambda exc: report.fail(current["page"], f"JavaScript error: {exc}"))
            page.on("console", lambda msg: msg.type == "error" and report.fail(
                current["page"], f"console error: {msg.text[:200]}"))

            disk_iter = iter(on_disk)
            while True:
                if not queue:
                    nxt = next(disk_iter, None)
                    if nxt is None:
                        break
                    queue.append(base + nxt.relative_to(root).as_posix())
                url = queue.popleft()
                file = target_file(root, urlsplit(url).path)
                if file in seen:
                    continue
                seen.add(file)
                name = page_name(root, url)
                current["page"] = name
                redirect = _meta_refresh(file)
                if redirect is not None:  # e.g. index.html -> intro.html: check, do not render
                    report.pages += 1
                    status = _http_status(url)
                    if status != 200:
                        report.fail(name, f"status {status}")
                    target = urljoin(url, redirect)
                    links_to_check.append((name, target))
                    queue.append(urldefrag(target)[0])
                    continue
                try:
                    response = page.goto(url, wait_until="load", timeout=timeout_s * 1000)
                except PlaywrightError as exc:
                    report.fail(name, f"does not load: {exc}")
                    continue
                report.pages += 1
                if response is None or response.status != 200:
                    report.fail(name, f"status {None if response is None else response.status}")
                    continue
                images = page.evaluate(_IMAGES_JS, timeout_s * 1000)
                report.images += len(images)
                for img in images:
                    if not img["ok"]:
                        report.fail(name, f"image not displayed: {img['src']}")
                math = page.evaluate(_MATH_JS, timeout_s * 1000)
                report.math_elements += math["math"]
                report.mjx_containers += math["containers"]
                if math["math"]:
                    if math["state"] != "typeset":
                        report.fail(name, f"MathJax did not typeset the page ({math['state']})")
                    for text in math["untypeset"]:
                        report.fail(name, f"formula not typeset: {text!r}")
                for text in math["errors"]:
                    report.fail(name, f"MathJax error: {text!r}")
                layout = page.evaluate(_LAYOUT_JS, {
                    "tolerance": CLIP_TOLERANCE_PX, "minWidth": MIN_IMAGE_WIDTH_PX,
                    "minScale": MIN_IMAGE_SCALE, "iconMax": ICON_MAX_PX})
                report.layout_elements += layout["checked"]
                report.content_images += layout["images"]
                for text in layout["clipped"] + layout["small"]:
                    report.fail(name, text)
                found = page.evaluate(_LINKS_JS)
                ids_by_file[file] = set(found["ids"])
                for href in found["links"]:
                    parts = urlsplit(href)
                    if parts.scheme not in ("http", "https"):
                        continue
                    if parts.hostname != host or parts.port != port:
                        report.external_links += 1
                        continue
                    links_to_check.append((name, href))
                    target, _ = urldefrag(href)
                    if target.endswith(".html") or target.endswith("/"):
                        queue.append(target)
                if screenshot_dir is not None:
                    shot = screenshot_dir / (name.replace("/", "__").removesuffix(".html") + ".png")
                    page.screenshot(path=str(shot), full_page=True)
            browser.close()
    finally:
        current["page"] = "(shutdown)"
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    for name, href in links_to_check:
        report.internal_links += 1
        target, fragment = urldefrag(href)
        file = target_file(root, urlsplit(target).path)
        if not file.is_file():
            report.fail(name, f"broken link: {href} ({file.relative_to(root)} does not exist)")
            continue
        if fragment:
            report.anchors += 1
            ids = ids_by_file.get(file)
            if ids is None:
                report.fail(name, f"link to an anchor on a page that was not loaded: {href}")
            elif unquote(fragment) not in ids:
                report.fail(name, f"broken anchor: {href} (no id {unquote(fragment)!r} on "
                                  f"{file.relative_to(root)})")
    report.failures.extend(f"request left 127.0.0.1 (aborted): {b}" for b in report.blocked)
    return report


def find_chromium() -> str | None:
    """The Chromium to drive: ``$CHROMIUM`` when set (and only it), else ``/usr/bin/chromium``,
    else ``chromium`` or ``chromium-browser`` on PATH; None when there is none."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", nargs="?", default="_build/html", help="the built site (default _build/html)")
    parser.add_argument("--screenshot", metavar="DIR", type=Path,
                        help="save a full-page PNG of every page into DIR")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per page load (default 30)")
    parser.add_argument("--chromium", default=None,
                        help=f"Chromium binary (default: $CHROMIUM, else {CHROMIUM}, else chromium "
                             "or chromium-browser on PATH)")
    args = parser.parse_args(argv)

    root = Path(args.html).resolve()
    if not (root / "index.html").is_file():
        print(f"browser check: {root}/index.html does not exist; build the book first "
              "(python -m companion build, or jupyter-book build book --config _config.yml)",
              file=sys.stderr)
        return 2
    if args.chromium is not None and not Path(args.chromium).exists():
        print(f"browser check: no Chromium at {args.chromium} (--chromium)", file=sys.stderr)
        return 2
    if args.chromium is None:
        args.chromium = find_chromium()
    if args.chromium is None:
        where = os.environ.get("CHROMIUM") or f"{CHROMIUM}, chromium or chromium-browser on PATH"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false"):
            print(f"browser check: no Chromium found ({where}), and $CI is set: CI never skips "
                  "the browser check. Install it ('apt-get install chromium', or scripts/setup.sh) "
                  "or pass --chromium PATH", file=sys.stderr)
            return 2
        print(f"browser check SKIPPED: no Chromium found ({where}); the built book was not "
              "checked in a browser. Install Chromium ('apt-get install chromium') or pass "
              "--chromium PATH to run it (with $CI set a missing Chromium is an error)")
        return 0
    if args.screenshot is not None:
        args.screenshot.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    report = check(root, args.screenshot, args.timeout, args.chromium)
    seconds = time.perf_counter() - t0
    print(f"browser check of {root}: {report.pages} pages, {report.images} images, "
          f"{report.math_elements} formulas ({report.mjx_containers} typeset by MathJax), "
          f"{report.layout_elements} content elements checked for clipping at "
          f"{VIEWPORT['width']} px, {report.content_images} content images checked for size, "
          f"{report.internal_links} internal links ({report.anchors} with anchors), "
          f"{report.external_links} external links (not followed), {report.requests} requests, "
          f"{len(report.blocked)} blocked; {seconds:.1f} s")
    if args.screenshot is not None:
        print(f"screenshots in {args.screenshot}")
    if report.failures:
        print(f"FAILED: {len(report.failures)} problems", file=sys.stderr)
        for failure in report.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print("OK: every page loads, every image is displayed, every formula is typeset, "
          "every internal link resolves, nothing is clipped at the column edge, every content "
          "image is readable, and no request left 127.0.0.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
