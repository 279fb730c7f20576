#!/usr/bin/env bash
# Vendor MathJax 3.2.2 from the npm registry into book/_vendor/mathjax (gitignored), so that the
# built book typesets its formulas with no request to a CDN.
#
#   bash scripts/vendor_mathjax.sh          # idempotent: does nothing when already in place
#
# The tarball (`npm pack mathjax@3.2.2`, or without npm the same file downloaded from the
# registry's tarball URL, $COMPANION_NPM_REGISTRY/mathjax/-/mathjax-3.2.2.tgz with
# COMPANION_NPM_REGISTRY defaulting to https://registry.npmjs.org) is cached in .cache/npm/ and
# its SHA-256 is checked against the value pinned below before anything is extracted. The pin is
# the SHA-256 of the registry's tarball, whose published integrity is
# sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==
# (`npm view mathjax@3.2.2 dist.integrity`): npm pack and the download give the same bytes. Only what the runtime of
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
REGISTRY=${COMPANION_NPM_REGISTRY:-https://registry.npmjs.org}
URL="${REGISTRY%/}/mathjax/-/mathjax-$VERSION.tgz"
DEST=book/_vendor/mathjax
TARBALL="$CACHE/mathjax-$VERSION.tgz"
STAMP="$DEST/.vendored"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "mathjax@$VERSION $SHA256" ] \
   && [ -f "$DEST/es5/tex-mml-chtml.js" ]; then
  echo "[mathjax] mathjax@$VERSION already in $DEST"
  exit 0
fi

# SHA-256 of a file with whatever the machine has (coreutils, macOS's shasum, or Python).
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
  fi
}
verified() { [ -f "$1" ] && [ "$(sha256 "$1")" = "$SHA256" ]; }

mkdir -p "$CACHE"
if ! verified "$TARBALL"; then
  rm -f "$TARBALL"
  if command -v npm >/dev/null 2>&1; then
    echo "[mathjax] npm pack mathjax@$VERSION -> $CACHE"
    registry=()
    [ -n "${COMPANION_NPM_REGISTRY:-}" ] && registry=(--registry "$REGISTRY")
    (cd "$CACHE" && npm pack --silent ${registry[@]+"${registry[@]}"} "mathjax@$VERSION" >/dev/null)
  else
    # No npm (no Debian package, or another system): the registry's tarball itself.
    echo "[mathjax] npm not found: downloading $URL -> $CACHE"
    python3 - "$URL" "$TARBALL.part" <<'PY'
import shutil, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=120) as response, open(sys.argv[2], "wb") as out:
    shutil.copyfileobj(response, out)
PY
    mv "$TARBALL.part" "$TARBALL"
  fi
fi
if ! verified "$TARBALL"; then
  echo "[mathjax] checksum mismatch for $TARBALL:" >&2
  echo "  expected $SHA256" >&2
  echo "  got      $(sha256 "$TARBALL")" >&2
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
