#!/usr/bin/env bash
# The test suite needs the local PostgreSQL (127.0.0.1:5432, user postgres); start the
# Debian cluster if it is installed but stopped. The suite itself fails if it is absent.
set -u
url=${ROUNDKEEPER_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
if command -v pg_isready >/dev/null && ! pg_isready -q -d "$url"; then
    for version in $(ls /etc/postgresql 2>/dev/null); do
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    for _ in $(seq 1 20); do pg_isready -q -d "$url" && break; sleep 0.5; done
fi
exit 0
