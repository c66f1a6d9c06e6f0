# Sourced by scripts/serve and scripts/test: a virtualenv in .venv with the app and its test tools,
# and Debian's Chromium for the browser tests. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  # apt-get update once per run, then install the named Debian packages.
  if [ -z "${SOTD_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    export SOTD_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv || { apt_install python3-venv && "$PYTHON" -m venv .venv; }
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "Installing Python packages into .venv …"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  rm -f .venv/.installed-* && touch "$stamp"
fi

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian's chromium for the browser tests …"
    apt_install chromium
  fi
}

ensure_node_modules() {
  # esbuild, from the npm registry, for scripts/build-js and the test that the field app's
  # bundle is built from its sources. The app itself runs without Node.js.
  if ! command -v npm >/dev/null; then
    echo "Installing Debian's Node.js and npm for the field app's bundler …"
    apt_install nodejs npm
  fi
  local stamp=node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)
  if [ ! -f "$stamp" ]; then
    echo "Installing the field app's bundler (esbuild) into node_modules …"
    npm ci --silent --no-audit --no-fund
    touch "$stamp"
  fi
}
