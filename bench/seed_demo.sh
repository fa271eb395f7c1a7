#!/usr/bin/env bash
# Time `manage.py seed_demo --incidents N` on a throwaway database, then drop it.
#
#   bench/seed_demo.sh sqlite [N]       # SQLite file in a new /tmp/hm-seed-bench.XXXXXX
#   bench/seed_demo.sh postgres [N]     # new database $BENCH_DB (default hm_seed_bench) on
#                                       # $PGHOST (default 127.0.0.1), user postgres
#
# Prints the command's own summary, wall time and peak memory (/usr/bin/time -v), and the
# size of the database, then deletes it (KEEP=1 keeps it for a look). Never touches the
# project's own database.
set -euo pipefail

backend=${1:?usage: bench/seed_demo.sh sqlite|postgres [N]}
count=${2:-100000}
cd "$(dirname "$0")/.."
python=.venv/bin/python

case "$backend" in
sqlite)
    HARBORMASTER_VAR_DIR=$(mktemp -d /tmp/hm-seed-bench.XXXXXX)
    export HARBORMASTER_VAR_DIR
    unset DATABASE_URL
    cleanup() { rm -rf "$HARBORMASTER_VAR_DIR"; }
    size() { du -h "$HARBORMASTER_VAR_DIR/harbormaster.sqlite3"* | sort -h | tail -1; }
    ;;
postgres)
    # A database of its own: refuse to reuse (or drop) one that someone else may be using.
    pghost=${PGHOST:-127.0.0.1}
    db=${BENCH_DB:-hm_seed_bench}
    if psql -h "$pghost" -U postgres -Atc "select 1 from pg_database where datname = '$db'" |
        grep -q 1; then
        echo "database $db already exists; drop it yourself or set BENCH_DB" >&2
        exit 1
    fi
    createdb -h "$pghost" -U postgres "$db"
    export DATABASE_URL="postgres://postgres@$pghost:5432/$db"
    cleanup() { dropdb -h "$pghost" -U postgres --if-exists "$db"; }
    size() { psql -h "$pghost" -U postgres -Atc "select pg_size_pretty(pg_database_size('$db'))"; }
    ;;
*)
    echo "unknown backend $backend (sqlite or postgres)" >&2
    exit 2
    ;;
esac
if [[ ${KEEP:-} == 1 ]]; then
    trap 'echo "kept: ${DATABASE_URL:-$HARBORMASTER_VAR_DIR/harbormaster.sqlite3}"' EXIT
else
    trap cleanup EXIT
fi

$python manage.py migrate -v0
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v $python manage.py seed_demo --incidents "$count" --seed 1 --no-progress \
    2> >(grep -E 'Elapsed|Maximum resident|User time|System time|Percent of CPU' >&2)
echo "database size: $(size)"
