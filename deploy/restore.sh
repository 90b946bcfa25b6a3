#!/usr/bin/env bash
# Restore a Roundkeeper backup made by backup.sh.
#
# Usage: restore.sh [--force] [--env-file FILE] [--no-blobs] BACKUP_DIR
#
# Stop the app first (systemctl stop roundkeeper / docker compose stop app).
#
# Restores into the database named by ROUNDKEEPER_DATABASE_URL and the blob
# directory ROUNDKEEPER_BLOB_DIR (environment, or KEY=VALUE lines of
# --env-file; the environment takes precedence). Defaults as the app:
# sqlite:///./data/roundkeeper.sqlite3 and $ROUNDKEEPER_DATA_DIR/blobs
# (./data/blobs).
#
#   1. Verifies every file against BACKUP_DIR/SHA256SUMS; stops on any
#      mismatch or missing file.
#   2. Refuses to touch a database that already holds tables, unless --force:
#        SQLite: the existing file (and its -wal/-shm) is moved aside to
#                FILE.pre-restore-TIMESTAMP, not deleted.
#        PostgreSQL: pg_restore --clean --if-exists drops and recreates the
#                objects contained in the dump; objects that exist only in the
#                current database are left in place. For a clean slate drop
#                and recreate the database first.
#      A missing PostgreSQL database is created (needs CREATEDB; otherwise
#      create it yourself: createdb -O USER DBNAME).
#   3. Copies the blobs back, merging into the blob directory (blobs are
#      content-addressed: same name, same bytes). --no-blobs skips this.
# Needs python3 (standard library only), plus psql/pg_restore for PostgreSQL;
# rsync is used when present.
set -euo pipefail

# die/warn/info/usage, load_env_file, parse_db_url
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"

verify_sums() {
    python3 - "$1" <<'PY'
import hashlib
import os
import sys

root = sys.argv[1]
sums = os.path.join(root, "SHA256SUMS")
if not os.path.isfile(sums):
    sys.exit(f"{sums} is missing")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


listed, problems = set(), 0
with open(sums, encoding="utf-8") as f:
    for lineno, line in enumerate(f, 1):
        line = line.rstrip("\n")
        if not line:
            continue
        digest, rel = line[:64], line[66:]
        if len(line) < 67 or line[64:66] not in ("  ", " *") or not all(
            c in "0123456789abcdef" for c in digest
        ):
            print(f"SHA256SUMS line {lineno} is malformed", file=sys.stderr)
            problems += 1
            continue
        parts = rel.split("/")
        if rel.startswith("/") or ".." in parts:
            print(f"SHA256SUMS line {lineno}: unsafe path {rel!r}", file=sys.stderr)
            problems += 1
            continue
        listed.add(rel)
        path = os.path.join(root, *parts)
        try:
            actual = sha256(path)
        except FileNotFoundError:
            print(f"MISSING  {rel}", file=sys.stderr)
            problems += 1
            continue
        if actual != digest:
            print(f"MISMATCH {rel}", file=sys.stderr)
            problems += 1
for dirpath, _, filenames in os.walk(root):
    for name in filenames:
        rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
        if rel != "SHA256SUMS" and rel not in listed:
            print(f"not in SHA256SUMS (ignored): {rel}", file=sys.stderr)
if problems:
    sys.exit(f"{problems} problem(s) in {root}; nothing was restored")
print(f"checksums OK: {len(listed)} files", file=sys.stderr)
PY
}

manifest_get() {
    local key=$1 line
    while IFS= read -r line; do
        if [[ $line == "$key="* ]]; then
            printf '%s\n' "${line#*=}"
            return 0
        fi
    done <"$BACKUP/MANIFEST"
    return 1
}

# Prints the number of tables in the SQLite file (0 if absent or empty).
sqlite_table_count() {
    python3 - "$1" <<'PY'
import os
import sqlite3
import sys

path = sys.argv[1]
if not os.path.exists(path) or os.path.getsize(path) == 0:
    if os.path.exists(path + "-wal") and os.path.getsize(path + "-wal") > 0:
        print(1)  # data only in the WAL: treat as not empty
    else:
        print(0)
    sys.exit(0)
con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
print(con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
con.close()
PY
}

restore_sqlite() {
    local src=$BACKUP/$1 tables stamp dir suffix moved=0
    tables=$(sqlite_table_count "$DB_PATH") || die "cannot read the existing database $DB_PATH"
    if ((tables > 0)) && ((!FORCE)); then
        die "$DB_PATH already holds $tables table(s); refusing to overwrite it without --force"
    fi
    dir=$(dirname -- "$DB_PATH")
    mkdir -p -- "$dir"
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    for suffix in "" -wal -shm -journal; do
        if [[ -e $DB_PATH$suffix ]]; then
            mv -- "$DB_PATH$suffix" "$DB_PATH.pre-restore-$stamp$suffix"
            moved=1
        fi
    done
    if ((moved)); then
        info "previous database moved aside to $DB_PATH.pre-restore-$stamp*"
    fi
    cp -- "$src" "$DB_PATH.restore-tmp"
    mv -- "$DB_PATH.restore-tmp" "$DB_PATH"
    python3 - "$DB_PATH" <<'PY' || die "the restored database failed its integrity check"
import sqlite3
import sys

con = sqlite3.connect(sys.argv[1])
result = con.execute("PRAGMA quick_check").fetchone()[0]
con.close()
if result != "ok":
    print(f"quick_check: {result}", file=sys.stderr)
    sys.exit(1)
PY
    if ((EUID == 0)); then
        chown --reference="$dir" -- "$DB_PATH" || warn "could not chown $DB_PATH; fix its owner"
    fi
    info "database restored to $DB_PATH"
}

# psql against the target database; extra arguments are passed on.
pg_query() {
    psql --no-password --no-psqlrc --quiet --tuples-only --no-align -v ON_ERROR_STOP=1 "$@"
}

restore_postgresql() {
    local src=$BACKUP/$1 target=$PGDATABASE exists tables
    command -v pg_restore >/dev/null 2>&1 || die "pg_restore not found (install the PostgreSQL client)"
    command -v psql >/dev/null 2>&1 || die "psql not found (install the PostgreSQL client)"

    # Does the database exist? Ask the maintenance database "postgres";
    # if that is not allowed, assume it exists and connect directly.
    if exists=$(printf '%s\n' "SELECT count(*) FROM pg_database WHERE datname = :'target';" \
        | PGDATABASE=postgres pg_query -v target="$target" 2>/dev/null); then
        :
    else
        exists=1
    fi
    if ((exists == 0)); then
        info "creating database $PGDATABASE"
        printf '%s\n' 'CREATE DATABASE :"target";' \
            | PGDATABASE=postgres pg_query -v target="$target" \
            || die "cannot create database $PGDATABASE; create it (createdb -O OWNER $PGDATABASE) and run again"
        tables=0
    else
        tables=$(pg_query -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'") \
            || die "cannot connect to $DB_DISPLAY"
    fi

    local args=(--no-password --no-owner --no-privileges --exit-on-error --single-transaction
        --dbname="$PGDATABASE")
    if ((tables > 0)); then
        ((FORCE)) || die "$DB_DISPLAY already holds $tables table(s); refusing to overwrite it without --force"
        warn "--force: objects in the dump are dropped and recreated in $DB_DISPLAY"
        args+=(--clean --if-exists)
    fi
    pg_restore "${args[@]}" "$src" || die "pg_restore failed; the database is unchanged (single transaction)"
    info "database restored to $DB_DISPLAY"
}

restore_blobs() {
    local src=$BACKUP/blobs rc=0
    if [[ ! -d $src ]]; then
        warn "the backup has no blobs/ directory"
        return 0
    fi
    mkdir -p -- "$BLOB_DIR"
    if command -v rsync >/dev/null 2>&1; then
        rsync -a -- "$src"/ "$BLOB_DIR"/ || rc=$?
        ((rc == 0)) || die "rsync into $BLOB_DIR failed (exit $rc)"
    else
        tar -C "$src" -cf - . | tar -C "$BLOB_DIR" -xf - || die "tar copy into $BLOB_DIR failed"
    fi
    if ((EUID == 0)); then
        chown -R --reference="$BLOB_DIR" -- "$BLOB_DIR" || warn "could not chown $BLOB_DIR; fix its owner"
    fi
    info "blobs restored into $BLOB_DIR"
}

main() {
    FORCE=0
    local with_blobs=1 backup=""
    while (($#)); do
        case $1 in
            --force) FORCE=1; shift ;;
            --no-blobs) with_blobs=0; shift ;;
            --env-file) (($# >= 2)) || die "--env-file needs a file"; load_env_file "$2"; shift 2 ;;
            --env-file=*) load_env_file "${1#*=}"; shift ;;
            -h|--help) usage; exit 0 ;;
            -*) die "unknown option: $1 (see --help)" ;;
            *) [[ -z $backup ]] || die "only one backup directory"; backup=$1; shift ;;
        esac
    done
    [[ -n $backup ]] || die "no backup directory given (see --help)"
    [[ -d $backup ]] || die "not a directory: $backup"
    command -v python3 >/dev/null 2>&1 || die "python3 is required"
    BACKUP=$(cd -- "$backup" && pwd -P)
    [[ -f $BACKUP/MANIFEST ]] || die "$BACKUP/MANIFEST is missing: not a backup made by backup.sh"

    local url=${ROUNDKEEPER_DATABASE_URL:-sqlite:///./data/roundkeeper.sqlite3}
    BLOB_DIR=${ROUNDKEEPER_BLOB_DIR:-${ROUNDKEEPER_DATA_DIR:-./data}/blobs}
    parse_db_url "$url"

    local kind file
    kind=$(manifest_get database_kind) || die "MANIFEST has no database_kind"
    file=$(manifest_get database_file) || die "MANIFEST has no database_file"
    [[ $kind == "$DB_KIND" ]] \
        || die "the backup holds a $kind database but ROUNDKEEPER_DATABASE_URL is $DB_KIND"
    [[ $file != */* && -f $BACKUP/$file ]] || die "database file $file missing from $BACKUP"

    info "verifying $BACKUP"
    verify_sums "$BACKUP" || die "checksum verification failed"
    grep -q "  $file\$" "$BACKUP/SHA256SUMS" || die "$file is not covered by SHA256SUMS"

    info "backup $BACKUP (made $(manifest_get created_at || echo '?'), roundkeeper $(manifest_get roundkeeper_version || echo '?')); target $DB_DISPLAY"
    case $DB_KIND in
        sqlite) restore_sqlite "$file" ;;
        postgresql) restore_postgresql "$file" ;;
    esac
    if ((with_blobs)); then
        restore_blobs
    fi

    cat >&2 <<EOF

Restore finished. Next:
  1. roundkeeper db upgrade      (applies migrations newer than the backup;
                                  in compose: docker compose run --rm migrate)
  2. start the app               (systemctl start roundkeeper, or docker compose up -d)
  3. check GET /readyz
EOF
}

main "$@"
