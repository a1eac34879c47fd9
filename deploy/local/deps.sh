#!/usr/bin/env bash
# Install every Debian package that building berth, running its tests and
# running the local control plane need. Idempotent: when every package is
# already installed it changes nothing; otherwise it runs apt-get update
# first, then installs what is missing.
#
#   deploy/local/deps.sh            install what is missing
#   deploy/local/deps.sh --source   also make the `kubernetes` source package
#                                   fetchable (a deb-src entry for bookworm)
#   deploy/local/deps.sh --runtime  print the runtime set, installing nothing
set -euo pipefail

# What the berth binary needs to run, and nothing else: the libraries it links
# (libc6 aside, which every Debian image has) and the CA certificates for
# https. deploy/Dockerfile installs exactly these in its final stage
# (tests/deploy.sh checks both lists, and the libraries against the binary).
runtime=(libgit2-1.5 libcurl4 libyaml-0-2 libjson-c5 zlib1g ca-certificates)
if [ "${1:-}" = --runtime ]; then
	echo "${runtime[*]}"
	exit 0
fi

packages=(
	"${runtime[@]}"
	# build
	build-essential cmake pkg-config clang-format
	libgit2-dev libcurl4-openssl-dev libyaml-dev libjson-c-dev zlib1g-dev
	# tests (python3: the listener's attack script and the test servers of
	# tests/, standard library only, run as /usr/bin/python3)
	libcmocka-dev valgrind curl jq time python3
	# the Git servers of the e2e tests: git daemon, smart HTTP behind nginx, sshd
	git nginx-light fcgiwrap openssh-server
	# promtool, Prometheus's own check of the /metrics text format
	prometheus
	# the drift report page: loaded in headless Chromium, its JSON checked
	# against the schema the README gives
	chromium python3-jsonschema
	# the local control plane: Kubernetes built from Debian's source
	golang-go golang-github-modern-go-reflect2-dev rsync dpkg-dev make
	etcd-server openssl iproute2
)

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

need_src=0
src_list=/etc/apt/sources.list.d/berth-deb-src.sources
if [ "${1:-}" = "--source" ] && [ ! -f "$src_list" ]; then
	need_src=1
fi

if [ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ]; then
	echo "deps: all ${#packages[@]} packages installed"
	exit 0
fi

if [ $need_src -eq 1 ]; then
	$SUDO tee "$src_list" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	# nginx and sshd are started by the tests that need them, on loopback, and
	# Prometheus is only there for promtool:
	# their packages must not start them as services.
	policy=/usr/sbin/policy-rc.d
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
		$SUDO chmod +x "$policy"
		trap '$SUDO rm -f "$policy"' EXIT
	fi
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
