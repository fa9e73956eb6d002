#!/usr/bin/env bash
# Installs everything Tombstone needs to build and test on Debian 12 (DESIGN §9). Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  build-essential cmake ninja-build ccache pkg-config git ca-certificates openssl \
  libboost-dev libboost-system-dev libssl-dev libpg-query-dev protobuf-compiler libprotobuf-dev \
  libspdlog-dev libfmt-dev libyaml-cpp-dev libgtest-dev libgmock-dev googletest libbenchmark-dev \
  libpq-dev postgresql-15 postgresql-contrib pgbouncer \
  python3 python3-pytest python3-psycopg2 python3-psycopg python3-django python3-sqlalchemy \
  python3-yaml libpostgresql-jdbc-java default-jdk-headless clang libclang-rt-14-dev \
  shellcheck systemd util-linux \
  clang-16 libclang-rt-16-dev
# node's `pg` client comes from the npm registry (Debian's node-pg conflicts with newer nodejs).
if command -v npm >/dev/null 2>&1; then
  (cd "$(dirname "$0")/../tests/integration/node" && npm install --no-audit --no-fund --silent)
else
  apt-get install -y -q nodejs npm
  (cd "$(dirname "$0")/../tests/integration/node" && npm install --no-audit --no-fund --silent)
fi
