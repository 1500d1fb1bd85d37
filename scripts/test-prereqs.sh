#!/usr/bin/env bash
# The system tools the test suite drives for real: redis-server/redis-cli
# (session store, cluster tests), openssl (throwaway certificates for the
# Redis TLS tests), protoc + python3-protobuf + python3-cryptography
# (the independent Python check of the protocol test vectors), and
# openjdk-17-jdk-headless + libprotobuf-java (the same check in Java 17, against
# protoc's Java output). Installs what is missing through apt when it can (root
# or sudo), otherwise says what to install.
set -euo pipefail
packages=(redis-server openssl python3-cryptography python3-protobuf protobuf-compiler
  openjdk-17-jdk-headless libprotobuf-java)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if command -v apt-get >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null && sudo="sudo -n"
  fi
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
    echo "test prerequisites: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
  fi
fi
echo "test prerequisites missing: ${missing[*]}" >&2
echo "install them (Debian/Ubuntu: sudo apt-get install -y ${missing[*]}) and run npm test again" >&2
exit 1
