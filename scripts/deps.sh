#!/usr/bin/env bash
# The one list of Debian 12 packages crmkit needs to build and test (chromium: the report
# test renders the HTML report headless; it skips with a message when chromium is absent;
# postgresql: the database-source test starts a server of its own in a temporary folder).
# Installs only what is missing; safe to run again. Needs root (or sudo) when
# something is missing.  Usage: scripts/deps.sh [--bench | --check]
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config git
  libopenblas-openmp-dev zlib1g-dev libdeflate-dev
  libsvm-dev libmicrohttpd-dev libprotobuf-c-dev
  libjansson-dev libsqlite3-dev libpq-dev postgresql libopenmpi-dev openmpi-bin
  libcmocka-dev clang libclang-rt-14-dev libomp-14-dev python3
  chromium curl protobuf-compiler python3-protobuf
)
# Anchors for bench/ only: never needed to build, run or test.
bench_pkgs=(
  python3-sklearn python3-numpy python3-pandas python3-scipy python3-faiss
  python3-pyclustering python3-threadpoolctl python3-fastcluster weka elki default-jdk-headless
  hyperfine wrk nginx-light python3-flask python3-psycopg2 python3-sqlalchemy
)
# Static checks for make check only (scripts/check.sh).
check_pkgs=(clang-format cppcheck clang-tidy)

pkgs=("${build_pkgs[@]}")
if [ "${1:-}" = "--bench" ]; then pkgs+=("${bench_pkgs[@]}"); fi
if [ "${1:-}" = "--check" ]; then pkgs+=("${check_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
