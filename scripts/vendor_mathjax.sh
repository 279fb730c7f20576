#!/usr/bin/env bash
# Vendor MathJax 3.2.2 from the npm registry into book/_vendor/mathjax (gitignored), so that the
# built book typesets its formulas with no request to a CDN.
#
#   bash scripts/vendor_mathjax.sh          # idempotent: does nothing when already in place
#
# The tarball (`npm pack mathjax@3.2.2`) is cached in .cache/npm/ and its SHA-256 is checked
# against the value pinned below before anything is extracted. Only what the runtime of
# es5/tex-mml-chtml.js needs is kept (about 3 MB): the combined component, the CHTML woff-v2
# fonts, the TeX extensions (loaded on demand by \require and autoload), the accessibility and
# menu components it may load lazily, and the English speech-rule maps they read.
#
# Sphinx is pointed at it by _config.yml: `html_extra_path: ["_vendor"]` copies the folder to the
# site root (NOT under _static/, where Jupyter Book would add every .js file to every page) and
# `mathjax_path: ../mathjax/es5/tex-mml-chtml.js` (relative to _static/).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=3.2.2
SHA256=1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09
CACHE=${COMPANION_NPM_CACHE:-.cache/npm}
DEST=book/_vendor/mathjax
TARBALL="$CACHE/mathjax-$VERSION.tgz"
STAMP="$DEST/.vendored"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "mathjax@$VERSION $SHA256" ] \
   && [ -f "$DEST/es5/tex-mml-chtml.js" ]; then
  echo "[mathjax] mathjax@$VERSION already in $DEST"
  exit 0
fi

mkdir -p "$CACHE"
if [ ! -f "$TARBALL" ] || ! echo "$SHA256  $TARBALL" | sha256sum --check --status; then
  command -v npm >/dev/null 2>&1 || {
    echo "[mathjax] npm is not installed: run 'apt-get install npm' (or scripts/setup.sh)" >&2
    exit 1
  }
  echo "[mathjax] npm pack mathjax@$VERSION -> $CACHE"
  rm -f "$TARBALL"
  (cd "$CACHE" && npm pack --silent "mathjax@$VERSION" >/dev/null)
fi
if ! echo "$SHA256  $TARBALL" | sha256sum --check --status; then
  echo "[mathjax] checksum mismatch for $TARBALL:" >&2
  echo "  expected $SHA256" >&2
  echo "  got      $(sha256sum "$TARBALL" | cut -d' ' -f1)" >&2
  echo "  delete the file and run this script again; if it persists, the registry served another tarball" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$TARBALL" -C "$tmp" \
  package/LICENSE \
  package/es5/tex-mml-chtml.js \
  package/es5/output/chtml/fonts/woff-v2 \
  package/es5/input/tex/extensions \
  package/es5/input/mml/extensions \
  package/es5/a11y \
  package/es5/ui \
  package/es5/sre/mathmaps/base.json \
  package/es5/sre/mathmaps/en.json
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$tmp/package" "$DEST"
echo "mathjax@$VERSION $SHA256" > "$STAMP"
echo "[mathjax] vendored mathjax@$VERSION into $DEST ($(du -sh "$DEST" | cut -f1))"
