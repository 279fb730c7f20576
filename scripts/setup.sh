#!/usr/bin/env bash
# Idempotent set-up of everything the book needs. On a Debian machine with Python 3.11 (root or
# sudo for apt-get):
#   1. Debian packages: Fashion-MNIST (dataset-fashion-mnist), Chromium (browser check), npm;
#   2. the virtual environment $VENV (default .venv) from requirements.txt (torch pinned to the
#      CPU build);
#   3. MathJax vendored from the npm registry (no CDN at read time): scripts/vendor_mathjax.sh;
#   4. the offline datasets prepared and verified in the data cache.
#
# Without apt-get, without root or sudo, or with COMPANION_APT=no (another Linux, macOS, a
# container, a CI runner), step 1 is skipped and each piece comes from elsewhere:
#   - Python packages from pip, as always;
#   - Fashion-MNIST from its upstream URLs, SHA-256 checked ($COMPANION_DATA_MIRROR replaces
#     them, e.g. by a local server);
#   - MathJax: the same npm tarball from the registry's URL when npm is absent, SHA-256 pinned
#     ($COMPANION_NPM_REGISTRY replaces the registry);
#   - no Chromium: `make browser-check` says it is skipped (when $CI is set it fails instead).
# Nothing is downloaded from anywhere but PyPI, Debian, the npm registry and, when the Debian
# package is absent, Fashion-MNIST's upstream URLs (or the mirrors named above).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
APT=${COMPANION_APT:-auto}   # auto: apt-get when it is there and usable; no: never

have() { command -v "$1" >/dev/null 2>&1; }
chromium_found() { [ -x /usr/bin/chromium ] || have chromium || have chromium-browser; }

need=()
if have dpkg; then
  dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || need+=(dataset-fashion-mnist)
else
  [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
fi
chromium_found || need+=(chromium)
have npm || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  SUDO="" usable=""
  if [ "$APT" != no ] && have apt-get; then
    if [ "$(id -u)" -eq 0 ]; then
      usable=yes
    elif have sudo && sudo -n true 2>/dev/null; then
      SUDO=sudo usable=yes
    fi
  fi
  if [ -n "$usable" ]; then
    echo "[setup] apt-get install ${need[*]}"
    if ! { $SUDO apt-get update -qq \
           && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
                "${need[@]}" >/dev/null; }; then
      echo "[setup] apt-get could not install ${need[*]}; going on without them" >&2
    fi
  else
    why="no apt-get"
    [ "$APT" = no ] && why="COMPANION_APT=no"
    have apt-get && [ "$APT" != no ] && why="neither root nor passwordless sudo"
    echo "[setup] not installing the Debian packages ${need[*]} ($why): going on without them"
  fi
fi

stamp="$VENV/.companion-installed"
want=$(cat requirements.txt pyproject.toml | "$PYTHON" -c \
  'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] creating $VENV from requirements.txt"
  "$PYTHON" -m venv "$VENV"
  # torch==2.13.0 is pinned in requirements.txt, in the same command, so pip never resolves
  # another (CUDA) build of torch.
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi

bash scripts/vendor_mathjax.sh

# The offline datasets. --network only matters for one whose local source is absent
# (Fashion-MNIST without the Debian package): it is downloaded instead, SHA-256 checked.
read -r -a offline <<< "$("$VENV/bin/python" -c \
  'from companion.data import REGISTRY; print(" ".join(n for n, s in REGISTRY.items() if s.offline))')"
"$VENV/bin/python" -m companion data prepare "${offline[@]}" --network

chromium_found || echo "[setup] no Chromium found (/usr/bin/chromium, chromium or chromium-browser on" \
                 "PATH): make browser-check will be skipped (with \$CI set it fails)"
echo "[setup] done"
