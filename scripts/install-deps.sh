#!/bin/sh
# Install the Debian packages that building and testing sva need.
# --if-missing: do nothing when every package is already installed, so
# `make run` / `make check` can call this on every invocation.
set -eu

# libclang-rt-14-dev carries libFuzzer and clang's sanitizer runtimes (only
# recommended by clang, and we install without recommends).
# fuse3 and libfuse3-dev serve the sysfs tree of svarun; libjson-c-dev reads
# accel-config JSON configuration files (svad, svactl, svarun --config);
# accel-config, libaccel-config1 and accel-config-test are what tests/compat
# runs unmodified.
PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev libisal-dev linux-libc-dev
fuse3 libfuse3-dev libjson-c-dev accel-config libaccel-config1 accel-config-test"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	[ "${1:-}" = "--if-missing" ] || echo "install-deps: all packages present"
	exit 0
fi

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
