#!/usr/bin/env bash
# Installs everything `make run` and `make test` need. Safe to run again: each step checks first
# and skips what is already in place. Needs root (or sudo) only for the Debian packages.
#
# `--serve` (`make serve`): only what serving needs on a production host: the app's Python packages
# (no sandbox or test tools), the npm packages and the built browser assets the app serves
# (node_modules/livekit-client, build/web/). No Debian packages and no Go builds: those are the
# sandbox's and the tests' (chromium, espeak-ng, livekit-server, toxiproxy, …).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVE_ONLY=0
case "${1:-}" in
  "") ;;
  --serve) SERVE_ONLY=1 ;;
  *) echo "usage: $0 [--serve]" >&2; exit 2 ;;
esac

# Pinned: `go install …@latest` refuses a tag whose go.mod has replace directives (v1.13.0-1 had one).
LIVEKIT_VERSION="1.13.5"
BIN_DIR=".cache/bin"
# chromium: browser tests; espeak-ng: the agent's voice; sox: test WAVs;
# redis-server and postgresql: the multi-instance serving test starts its own on loopback ports;
# nginx: the TLS deployment test runs deploy/nginx/webcall.conf in front of gunicorn as its own child
# process (own prefix, no system config read or written). On a machine with systemd, Debian's package
# also starts its default site on port 80; the tests never use it (`systemctl disable --now nginx`).
APT_PACKAGES=(chromium espeak-ng sox redis-server postgresql nginx)
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

step() { printf '\n==> %s\n' "$*"; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# 1. Debian packages (not for --serve).
missing=()
((SERVE_ONLY)) || for pkg in "${APT_PACKAGES[@]}"; do have_pkg "$pkg" || missing+=("$pkg"); done
if ((${#missing[@]})); then
  step "Installing Debian packages: ${missing[*]} (first time: about 1-3 minutes)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Python virtual environment with the app, sandbox and test packages (pinned in pyproject.toml, and
#    everything they pull in, pip, setuptools and the setuptools that builds the app too, by
#    requirements-lock.txt: docs/deployment.md; what the lock does not name is removed);
#    --serve: the app's packages only (its own stamp; the full install covers it too).
LOCK=requirements-lock.txt
hash="$(cat pyproject.toml "$LOCK" | sha256sum | cut -c1-16)"
stamp=".venv/.installed-$hash"
if ((SERVE_ONLY)); then
  if [ ! -f "$stamp" ] && [ ! -f ".venv/.installed-app-$hash" ]; then
    step "Installing the app's Python packages into .venv (first time: up to a minute)"
    [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install -q -c "$LOCK" pip setuptools
    .venv/bin/python -m pip install -q -c "$LOCK" --build-constraint "$LOCK" -e .
    .venv/bin/python scripts/prune_venv.py "$LOCK"
    rm -f .venv/.installed-app-*; touch ".venv/.installed-app-$hash"
  fi
elif [ ! -f "$stamp" ]; then
  step "Installing Python packages into .venv (first time: about 1 minute)"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q -c "$LOCK" pip setuptools
  .venv/bin/python -m pip install -q -c "$LOCK" --build-constraint "$LOCK" -e '.[sandbox,test]'
  .venv/bin/python scripts/prune_venv.py "$LOCK"
  rm -f .venv/.installed-*; touch "$stamp"
fi

# 3. npm packages: livekit-client, served to the browser from node_modules (pinned, lockfile), and the
#    build and check tools (esbuild, TypeScript, axe-core).
if [ ! -f node_modules/livekit-client/dist/livekit-client.esm.mjs ] || [ ! -x node_modules/.bin/esbuild ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "Installing npm packages (livekit-client, esbuild, TypeScript, axe-core; a few seconds)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 3b. The minified browser assets (WEBCALL_ASSETS=built, the default in production): skipped when
#     build/web/ matches the sources, the lockfile and the build script.
if ! node scripts/build-assets.mjs --check; then
  step "Building minified browser assets into build/web/ with esbuild (a few seconds)"
  node scripts/build-assets.mjs
fi

# The rest is the sandbox's and the tests': not needed to serve.
((SERVE_ONLY)) && exit 0

# 4. livekit-server, built from source through the Go module proxy (no prebuilt downloads here).
if [ "$("$BIN_DIR/server" --version 2>/dev/null | awk '{print $NF}')" != "$LIVEKIT_VERSION" ]; then
  step "Building livekit-server v$LIVEKIT_VERSION with Go (first time: about 3-4 minutes on 2 cores; later: seconds)"
  mkdir -p "$BIN_DIR"
  GOBIN="$PWD/$BIN_DIR" go install "github.com/livekit/livekit-server/cmd/server@v$LIVEKIT_VERSION"
  "$BIN_DIR/server" --version
fi

# 5. toxiproxy, the network lab's TCP proxy (latency, jitter, resets between the app, the API and
#    LiveKit; sandbox/toxiproxy.py), pinned and built like livekit-server. Its binary is also named
#    `server`, so it gets a directory of its own. Its `-version` says only "git" for a `go install`
#    build, so the module version recorded in the binary is what is checked.
TOXIPROXY_VERSION="2.12.0"
TOXIPROXY_DIR=".cache/toxiproxy/bin"
if ! go version -m "$TOXIPROXY_DIR/server" 2>/dev/null | grep -q "toxiproxy/v2[[:space:]]v$TOXIPROXY_VERSION[[:space:]]"; then
  step "Building toxiproxy v$TOXIPROXY_VERSION with Go (the network tests' proxy; first time: about 1 minute on 2 cores; later: seconds)"
  mkdir -p "$TOXIPROXY_DIR"
  GOBIN="$PWD/$TOXIPROXY_DIR" go install "github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION"
fi
