#!/bin/sh
# Container entrypoint for Roundkeeper.
#
# ROUNDKEEPER_MIGRATE_ON_START=1 runs `roundkeeper db upgrade` before the
# command. Leave it at 0 (the default) when more than one replica runs against
# the same database: migrations then run once, as a separate job (the
# `migrate` service in deploy/compose.yaml), not concurrently from every
# replica on every restart.
set -eu

case "${ROUNDKEEPER_DATABASE_URL:-}" in
    *REPLACE_WITH*)
        echo "roundkeeper: ROUNDKEEPER_DATABASE_URL still contains a placeholder;" \
             "edit deploy/roundkeeper.env" >&2
        exit 64
        ;;
esac

if [ "${ROUNDKEEPER_MIGRATE_ON_START:-0}" = "1" ]; then
    echo "roundkeeper: ROUNDKEEPER_MIGRATE_ON_START=1, running 'roundkeeper db upgrade'" >&2
    roundkeeper db upgrade
fi

exec "$@"
