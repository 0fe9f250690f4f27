#!/usr/bin/env bash
# Make sure /usr/bin/chromium exists, which the browser tests (pytest marker `browser`) drive through
# Playwright. Installs Debian's chromium and chromium-driver with apt when it is missing; does nothing
# otherwise. Needs root (or sudo) only when it has to install.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "ensure-chromium: $CHROMIUM already installed ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

if [[ $EUID -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "ensure-chromium: $CHROMIUM is missing and installing it needs root; run as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and there is no apt-get to install it with" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run to release its lock instead of failing straight away.
apt_options=(-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

echo "ensure-chromium: $CHROMIUM is missing; running apt-get update"
"${as_root[@]}" apt-get "${apt_options[@]}" update -q
echo "ensure-chromium: installing chromium and chromium-driver with apt-get (this takes a few minutes)"
"${as_root[@]}" apt-get "${apt_options[@]}" install -y -q --no-install-recommends chromium chromium-driver

if [[ ! -x "$CHROMIUM" ]]; then
  echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
