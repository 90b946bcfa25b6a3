# shellcheck shell=bash
# Shared by backup.sh and restore.sh, which source it right after
# `set -euo pipefail`; not meant to be run on its own. It must be installed
# next to them: they look for it beside their own resolved path (symlinks
# followed), so a symlink such as /usr/local/bin/roundkeeper-backup works.
#
# $0 is still the calling script here, so PROG and usage refer to it: usage
# prints the caller's header comment (line 2 up to `set -euo`).

PROG=${0##*/}

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
info() { printf '%s: %s\n' "$PROG" "$*" >&2; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# Read KEY=VALUE lines (ROUNDKEEPER_* only) without executing the file.
load_env_file() {
    local file=$1 line key value
    [[ -r $file ]] || die "cannot read env file: $file"
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line%$'\r'}
        line=${line#"${line%%[![:space:]]*}"}
        [[ -z $line || $line == \#* ]] && continue
        line=${line#export }
        [[ $line == *=* ]] || continue
        key=${line%%=*}
        value=${line#*=}
        key=${key%"${key##*[![:space:]]}"}
        [[ $key =~ ^ROUNDKEEPER_[A-Z0-9_]*$ ]] || continue
        if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then
            value=${BASH_REMATCH[1]}
        fi
        if [[ -z ${!key+set} ]]; then
            export "$key=$value"
        fi
    done <"$file"
}

# Parse a database URL with the Python standard library and set DB_KIND,
# DB_DISPLAY and either DB_PATH (SQLite) or the libpq PG* variables, so that
# the password never appears on a command line.
parse_db_url() {
    local out
    out=$(python3 - "$1" <<'PY'
import shlex
import sys
from urllib.parse import parse_qs, unquote, urlsplit

url = sys.argv[1]
try:
    u = urlsplit(url)
    scheme = u.scheme.split("+", 1)[0].lower()
    out = {}
    if scheme == "sqlite":
        # sqlite:///relative/path  and  sqlite:////absolute/path
        if u.netloc:
            raise ValueError("a SQLite URL has no host: use sqlite:///path or sqlite:////abs/path")
        path = unquote(u.path)
        if path.startswith("/"):
            path = path[1:]
        if not path or path == ":memory:":
            raise ValueError("no SQLite file path in the URL")
        out = {"DB_KIND": "sqlite", "DB_PATH": path, "DB_DISPLAY": "sqlite:///" + path}
    elif scheme in ("postgresql", "postgres"):
        dbname = unquote(u.path.lstrip("/"))
        if not dbname:
            raise ValueError("no database name in the PostgreSQL URL")
        port = u.port  # raises ValueError on a bad port
        out = {
            "DB_KIND": "postgresql",
            "PGHOST": unquote(u.hostname or ""),
            "PGPORT": str(port or ""),
            "PGUSER": unquote(u.username or ""),
            "PGPASSWORD": unquote(u.password or ""),
            "PGDATABASE": dbname,
        }
        query = parse_qs(u.query)
        for key, env in (
            ("sslmode", "PGSSLMODE"),
            ("ssl", "PGSSLMODE"),
            ("sslrootcert", "PGSSLROOTCERT"),
            ("sslcert", "PGSSLCERT"),
            ("sslkey", "PGSSLKEY"),
            ("connect_timeout", "PGCONNECT_TIMEOUT"),
        ):
            if key in query:
                out[env] = query[key][-1]
        netloc = u.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if port:
            netloc += f":{port}"
        if u.username:
            netloc = f"{u.username}{':***' if u.password else ''}@{netloc}"
        out["DB_DISPLAY"] = f"postgresql://{netloc}/{u.path.lstrip('/')}"
    else:
        raise ValueError(f"unsupported database URL scheme {u.scheme!r}")
except ValueError as exc:
    print(f"invalid ROUNDKEEPER_DATABASE_URL: {exc}", file=sys.stderr)
    sys.exit(2)
for key, value in out.items():
    if value:
        print(f"{key}={shlex.quote(value)}")
PY
    ) || die "cannot use ROUNDKEEPER_DATABASE_URL"
    local pgvars=(PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE PGSSLROOTCERT
        PGSSLCERT PGSSLKEY PGCONNECT_TIMEOUT) v
    # The URL is authoritative: drop libpq settings inherited from the caller.
    unset "${pgvars[@]}" PGSERVICE PGOPTIONS DB_PATH
    eval "$out"
    for v in "${pgvars[@]}"; do
        if [[ -n ${!v:-} ]]; then export "${v?}"; else unset "$v"; fi
    done
}
