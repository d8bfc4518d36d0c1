#!/usr/bin/env bash
# Installs what the end-to-end tests need, offline-friendly (npm registry and
# Debian apt only), and idempotently: a second run is a few seconds.
#   - Debian packages: Chromium (driven by playwright-core), the headers that
#     code-server's native modules build against, and ripgrep (replaces the
#     binary that @vscode/ripgrep would download from the internet), and
#     SLURM with munge for the cluster tests (scripts/slurm-test-cluster.sh
#     starts a one-node cluster of them; the packages' own services stay off).
#   - the repo's npm dependencies (npm ci), when missing or stale;
#   - code-server (VS Code in the browser) into .cache/code-server, with its
#     install scripts off and its native parts rebuilt locally (see
#     /work/shared/E2E.md for why: its own scripts download binaries).
# Usage: bash scripts/install-test-deps.sh
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CS_DIR="$ROOT/.cache/code-server"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"

# code-server writes a default config and logs under XDG folders, even for
# --version; keep them inside the cache instead of the user's home.
cs_version() {
  XDG_CONFIG_HOME="$CS_DIR/xdg/config" XDG_DATA_HOME="$CS_DIR/xdg/data" "$CS_BIN" --version 2>/dev/null | tail -n 1
}
log() { printf '[install-test-deps] %s\n' "$*" >&2; }
started=$SECONDS

# ── Debian packages ──────────────────────────────────────────────────────────
APT_PACKAGES=(chromium fonts-wqy-zenhei libkrb5-dev libsecret-1-dev munge pkg-config ripgrep slurm-wlm)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q "${APT_PACKAGES[@]}"
  else
    log "missing Debian packages: ${missing[*]} — run as root, or: sudo apt-get install -y ${APT_PACKAGES[*]}"
    exit 1
  fi
else
  log "Debian packages present"
fi

# ── the repo's own dependencies ──────────────────────────────────────────────
# npm ci writes node_modules/.package-lock.json; it is newer than the lock file
# exactly when the last install followed the current lock file.
if [[ ! -f "$ROOT/node_modules/.package-lock.json" || "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]]; then
  log "npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund)
else
  log "node_modules up to date"
fi

# ── code-server ──────────────────────────────────────────────────────────────
if [[ -x "$CS_BIN" ]] && cs_version | grep -q "^$CODE_SERVER_VERSION "; then
  log "code-server $CODE_SERVER_VERSION present"
  log "done in $((SECONDS - started)) s"
  exit 0
fi

log "installing code-server $CODE_SERVER_VERSION into $CS_DIR"
# Native modules (node-pty, kerberos, @vscode/spdlog, argon2, …) build against
# Node's headers; on Debian's nodejs they are under /usr. Keep a value the
# machine's npm config already sets.
if [[ -z "${npm_config_nodedir:-}" && "$(npm config get nodedir 2>/dev/null || true)" =~ ^(undefined|null|)$ && -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

rm -rf "$CS_DIR"
mkdir -p "$CS_DIR"
cd "$CS_DIR"
printf '{ "name": "code-server-for-tests", "private": true }\n' > package.json

# 1. code-server itself, without its install scripts (they download binaries).
npm install --ignore-scripts "code-server@$CODE_SERVER_VERSION"

VSCODE_DIR="$CS_DIR/node_modules/code-server/lib/vscode"

# 2. the VS Code server's dependencies, with Debian's ripgrep in place of the
#    downloaded one, and the links code-server's postinstall would make.
log "installing VS Code server dependencies"
cd "$VSCODE_DIR"
npm install --ignore-scripts --omit=dev --no-save
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
log "rebuilding VS Code server native modules"
npm_config_yes=true npm rebuild
ln -sfn node_modules node_modules.asar
ln -sf code-linux.sh bin/remote-cli/code-server
ln -sf browser-linux.sh bin/helpers/browser.sh

# 3. the built-in extensions' dependencies.
log "installing built-in extensions' dependencies"
cd "$VSCODE_DIR/extensions"
npm install --ignore-scripts --omit=dev --no-save
npm_config_yes=true npm rebuild

# 4. code-server's own native module.
cd "$CS_DIR"
npm_config_yes=true npm rebuild argon2

version="$(cs_version)"
log "installed: $version"
if ! grep -q "^$CODE_SERVER_VERSION " <<<"$version"; then
  log "unexpected code-server version"
  exit 1
fi
log "done in $((SECONDS - started)) s"
