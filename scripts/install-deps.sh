#!/usr/bin/env bash
# Installs what SpdyLab needs on a Debian machine with the .NET 10 SDK:
#  - Debian packages (as root only): chromium, iproute2, iperf3, ping, nghttp2-client, tshark, curl,
#    libpcap0.8 (SharpPcap writes and reads the lab's packet captures through it), and the report charts'
#    font (fonts-dejavu-core: DejaVu Sans) with fontconfig, through which SkiaSharp finds it
#  - npm packages for the interop peers (node-spdy 4.0.2), in tools/peers
# Idempotent and quick when everything is already there.
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"

debs=(chromium iproute2 iperf3 iputils-ping nghttp2-client tshark curl libpcap0.8 fonts-dejavu-core libfontconfig1)
command -v npm >/dev/null 2>&1 || debs+=(nodejs npm)
missing=()
for d in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'install ok installed' || missing+=("$d")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "install-deps: apt-get install ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || echo "install-deps: apt-get install failed for some of: ${missing[*]}" >&2
  else
    echo "install-deps: not root; skipping Debian packages (missing: ${missing[*]}). Run: sudo apt-get install ${missing[*]}" >&2
  fi
fi

if command -v npm >/dev/null 2>&1; then
  peers="$root/tools/peers"
  if [[ ! -d "$peers/node_modules/spdy" || "$peers/package.json" -nt "$peers/node_modules/.stamp" ]]; then
    echo "install-deps: npm install in tools/peers" >&2
    (cd "$peers" && npm install --no-audit --no-fund --loglevel=error >/dev/null) \
      && touch "$peers/node_modules/.stamp" \
      || echo "install-deps: npm install failed in $peers" >&2
  fi
else
  echo "install-deps: npm not found; interop tests with node-spdy will be skipped" >&2
fi
