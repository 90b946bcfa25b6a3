#!/usr/bin/env bash
# Back up a Roundkeeper installation: the database and the blob directory.
#
# Usage: backup.sh [--env-file FILE] [--dest DIR] [--keep-days N]
#
# Settings (environment, or KEY=VALUE lines of --env-file; variables already
# set in the environment take precedence over the file):
#   ROUNDKEEPER_DATABASE_URL      default sqlite:///./data/roundkeeper.sqlite3
#   ROUNDKEEPER_BLOB_DIR          default $ROUNDKEEPER_DATA_DIR/blobs, ./data/blobs
#   ROUNDKEEPER_BACKUP_DIR        default ./backups           (--dest)
#   ROUNDKEEPER_BACKUP_KEEP_DAYS  default 30, 0 keeps all     (--keep-days)
# Relative paths are resolved against the current directory, as the app does
# against its working directory: run from the same place, or use absolute
# paths.
#
# Each run writes DEST/YYYYMMDDTHHMMSSZ/ containing
#   database.pgdump  (PostgreSQL, pg_dump -Fc)  or  database.sqlite3 (SQLite)
#   blobs/           copy of the blob directory; files unchanged since the
#                    previous backup are hard links into it (rsync
#                    --link-dest), which is safe because blobs are
#                    content-addressed and never modified
#   MANIFEST         what was backed up
#   SHA256SUMS       checksums of every file (sha256sum -c compatible)
# and points DEST/latest at it. Backups older than the retention period are
# deleted afterwards. The script needs python3 (standard library only), plus
# pg_dump/pg_restore for PostgreSQL; sqlite3 and rsync are used when present.
set -euo pipefail

# die/warn/info/usage, load_env_file, parse_db_url
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"

# Quote a path for a sqlite3 shell dot-command argument.
sqlite_quote() {
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

backup_sqlite() {
    local out=$1
    [[ -f $DB_PATH ]] || die "SQLite database not found: $DB_PATH"
    if command -v sqlite3 >/dev/null 2>&1; then
        # .backup uses SQLite's online backup API: a consistent snapshot even
        # while the app writes (never cp a live WAL database).
        sqlite3 -bail -cmd '.timeout 60000' "$DB_PATH" ".backup $(sqlite_quote "$out")" \
            || die "sqlite3 .backup failed"
    else
        python3 - "$DB_PATH" "$out" <<'PY' || die "SQLite backup failed"
import sqlite3
import sys

src = sqlite3.connect(sys.argv[1], timeout=60)
dst = sqlite3.connect(sys.argv[2])
with dst:
    src.backup(dst)
dst.close()
src.close()
PY
    fi
    # Make the copy a self-contained rollback-journal file and check it.
    python3 - "$out" <<'PY' || die "the SQLite backup failed its integrity check"
import sqlite3
import sys

con = sqlite3.connect(sys.argv[1])
con.execute("PRAGMA journal_mode=DELETE")
result = con.execute("PRAGMA quick_check").fetchone()[0]
con.close()
if result != "ok":
    print(f"quick_check: {result}", file=sys.stderr)
    sys.exit(1)
PY
}

backup_postgresql() {
    local out=$1
    command -v pg_dump >/dev/null 2>&1 || die "pg_dump not found (install the PostgreSQL client, same major version as the server or newer)"
    pg_dump --no-password --format=custom --file="$out" \
        || die "pg_dump failed"
    pg_restore --list "$out" >/dev/null || die "the dump is not readable by pg_restore"
}

backup_blobs() {
    local dest=$1 prev=$2 rc=0
    mkdir -p -- "$dest"
    if [[ ! -d $BLOB_DIR ]]; then
        warn "blob directory $BLOB_DIR does not exist; backing up no blobs"
        return 0
    fi
    if command -v rsync >/dev/null 2>&1; then
        local args=(-a)
        if [[ -n $prev && -d $prev/blobs ]]; then
            args+=("--link-dest=$prev/blobs")
        fi
        rsync "${args[@]}" -- "$BLOB_DIR"/ "$dest"/ || rc=$?
        if ((rc == 24)); then
            warn "some blob files vanished during the copy (temporary upload files); continuing"
        elif ((rc != 0)); then
            die "rsync of the blob directory failed (exit $rc)"
        fi
    else
        warn "rsync not found: copying all blobs with tar (no hard links to the previous backup)"
        tar -C "$BLOB_DIR" -cf - . | tar -C "$dest" -xf - || die "tar copy of the blob directory failed"
    fi
}

write_sums() {
    python3 - "$1" "$2" <<'PY'
import hashlib
import os
import stat
import sys

root, prev = sys.argv[1], sys.argv[2]
prev_sums = {}
if prev and os.path.isfile(os.path.join(prev, "SHA256SUMS")):
    with open(os.path.join(prev, "SHA256SUMS"), encoding="utf-8") as f:
        for line in f:
            digest, sep, rel = line.rstrip("\n").partition("  ")
            if sep:
                prev_sums[rel] = digest


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


lines, hashed, reused = [], 0, 0
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(filenames):
        full = os.path.join(dirpath, name)
        rel = os.path.relpath(full, root).replace(os.sep, "/")
        if rel == "SHA256SUMS":
            continue
        if "\n" in rel or "\\" in rel:
            sys.exit(f"unsupported file name in backup: {rel!r}")
        st = os.lstat(full)
        if not stat.S_ISREG(st.st_mode):
            print(f"skipping non-regular file {rel}", file=sys.stderr)
            continue
        digest = None
        # A blob hard-linked to the previous backup is the same inode, so the
        # previous checksum still holds: do not read it again.
        if rel.startswith("blobs/") and rel in prev_sums:
            try:
                pst = os.stat(os.path.join(prev, rel))
            except OSError:
                pst = None
            if pst and (pst.st_ino, pst.st_dev) == (st.st_ino, st.st_dev):
                digest = prev_sums[rel]
                reused += 1
        if digest is None:
            digest = sha256(full)
            hashed += 1
        lines.append(f"{digest}  {rel}\n")
with open(os.path.join(root, "SHA256SUMS"), "w", encoding="utf-8") as f:
    f.writelines(lines)
print(f"SHA256SUMS: {len(lines)} files ({hashed} hashed, {reused} unchanged blobs reused)", file=sys.stderr)
PY
}

list_backups() {
    local d name
    for d in "$1"/*/; do
        name=${d%/}
        name=${name##*/}
        if [[ $name =~ ^[0-9]{8}T[0-9]{6}Z$ ]]; then printf '%s\n' "$name"; fi
    done | sort
}

prune() {
    local root=$1 keep_days=$2 newest=$3 cutoff name
    ((keep_days > 0)) || return 0
    cutoff=$(python3 -c 'import datetime,sys; print((datetime.datetime.now(datetime.timezone.utc)-datetime.timedelta(days=int(sys.argv[1]))).strftime("%Y%m%dT%H%M%SZ"))' "$keep_days")
    while IFS= read -r name; do
        [[ -n $name && $name != "$newest" && $name < $cutoff ]] || continue
        info "removing backup $name (older than $keep_days days)"
        rm -rf -- "${root:?}/$name"
    done < <(list_backups "$root")
}

main() {
    local dest="" keep_days=""
    while (($#)); do
        case $1 in
            --env-file) (($# >= 2)) || die "--env-file needs a file"; load_env_file "$2"; shift 2 ;;
            --env-file=*) load_env_file "${1#*=}"; shift ;;
            --dest) (($# >= 2)) || die "--dest needs a directory"; dest=$2; shift 2 ;;
            --dest=*) dest=${1#*=}; shift ;;
            --keep-days) (($# >= 2)) || die "--keep-days needs a number"; keep_days=$2; shift 2 ;;
            --keep-days=*) keep_days=${1#*=}; shift ;;
            -h|--help) usage; exit 0 ;;
            *) die "unknown argument: $1 (see --help)" ;;
        esac
    done

    command -v python3 >/dev/null 2>&1 || die "python3 is required"
    local url=${ROUNDKEEPER_DATABASE_URL:-sqlite:///./data/roundkeeper.sqlite3}
    BLOB_DIR=${ROUNDKEEPER_BLOB_DIR:-${ROUNDKEEPER_DATA_DIR:-./data}/blobs}
    dest=${dest:-${ROUNDKEEPER_BACKUP_DIR:-./backups}}
    keep_days=${keep_days:-${ROUNDKEEPER_BACKUP_KEEP_DAYS:-30}}
    [[ $keep_days =~ ^[0-9]+$ ]] || die "keep days must be a whole number, got '$keep_days'"

    parse_db_url "$url"

    # Backups hold personal data (visitor records): owner-only permissions.
    umask 077
    mkdir -p -- "$dest"
    dest=$(cd -- "$dest" && pwd -P)

    if command -v flock >/dev/null 2>&1; then
        exec 9>"$dest/.lock"
        flock -n 9 || die "another backup is running in $dest"
    fi
    rm -rf -- "$dest"/.*.partial

    local stamp prev="" final
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    final=$dest/$stamp
    [[ ! -e $final ]] || die "$final already exists"
    prev=$(list_backups "$dest" | tail -n 1)
    [[ -z $prev ]] || prev=$dest/$prev
    WORK=$dest/.$stamp.partial
    local work=$WORK
    mkdir -- "$work"
    trap 'rm -rf -- "$WORK"' EXIT

    info "backing up $DB_DISPLAY and $BLOB_DIR into $final"
    local db_file
    case $DB_KIND in
        sqlite) db_file=database.sqlite3; backup_sqlite "$work/$db_file" ;;
        postgresql) db_file=database.pgdump; backup_postgresql "$work/$db_file" ;;
    esac
    backup_blobs "$work/blobs" "$prev"

    local blob_files blob_bytes version
    read -r blob_files blob_bytes < <(python3 - "$work/blobs" <<'PY'
import os
import sys

files = size = 0
for dirpath, _, filenames in os.walk(sys.argv[1]):
    for name in filenames:
        st = os.lstat(os.path.join(dirpath, name))
        files += 1
        size += st.st_size
print(files, size)
PY
    )
    version=$(python3 -c 'import importlib.metadata as m; print(m.version("roundkeeper"))' 2>/dev/null || echo unknown)
    {
        echo "format=1"
        echo "created_at=$stamp"
        echo "hostname=$(hostname 2>/dev/null || echo unknown)"
        echo "roundkeeper_version=$version"
        echo "database_kind=$DB_KIND"
        echo "database_file=$db_file"
        echo "database_source=$DB_DISPLAY"
        echo "blob_source=$BLOB_DIR"
        echo "blob_files=$blob_files"
        echo "blob_bytes=$blob_bytes"
    } >"$work/MANIFEST"

    write_sums "$work" "$prev"

    mv -- "$work" "$final"
    trap - EXIT
    ln -sfn -- "$stamp" "$dest/latest"
    prune "$dest" "$keep_days" "$stamp"
    info "done: $final ($blob_files blob files)"
    printf '%s\n' "$final"
}

main "$@"
