#!/usr/bin/env bash
# Incremental snapshot chunks sized by their rows' width: a table of
# 50 KB rows is read 64 rows first, then about 2 MiB a chunk (41 rows),
# not incremental.snapshot.chunk.size rows at once, so walcap's memory
# stays small whatever the rows; every row arrives once, whole.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$T_TMP
pg_start
seed_setup wdb
psql_admin -c "GRANT USAGE ON SCHEMA streamkap TO streamkap_role" >/dev/null
# 600 rows of 50,016 characters: 30 MB of values
psql_admin -c "CREATE TABLE public.wide (id int PRIMARY KEY, v text);
    INSERT INTO public.wide SELECT g, repeat(md5(g::text), 1563) FROM generate_series(1, 600) g" >/dev/null

# The slot exists (seed_setup): the initial snapshot is an incremental one.
walcap_conf "$work/w.conf" snapshot.mode=initial_only 'table.include.list=public\.wide'
walcap_start "$work/w.out" "$work/w.err" "$work/w.conf"
walcap_wait_peak 60
rc=$WALCAP_RC rss=$WALCAP_PEAK
assert_rc "wide rows: walcap exits 0 after the snapshot" "$rc" 0
assert_match "wide rows: the snapshot finished" "$(cat "$work/w.err")" \
    'incremental snapshot of "public\.wide" done: 600 rows'
assert_eq "wide rows: ids 1..600, each once, every value whole" \
    "$(jq -r 'select(.op == "r") | [.after.id, (.after.v | length)] | @tsv' "$work/w.out" |
        sort -n | awk -F'\t' '$1 != NR || $2 != 50016 {bad++} END {print NR, bad + 0}')" "600 0"
# 64 rows, then 2 MiB / (50,016 + the id, the snapshot column and 3 x 16
# bytes of libpq's entries) = 41 rows: 64 + 13 x 41 + 3
assert_eq "wide rows: 15 chunks (64 rows, then 41 at a time)" \
    "$(psql_admin -d wdb -c "SELECT count(*) FROM streamkap.streamkap_signal WHERE type = 'snapshot-window-open'")" 15
if grep -q __asan_init "$WALCAP" 2>/dev/null; then
    # AddressSanitizer's shadow memory and quarantine are not walcap's.
    echo "skip - wide rows: peak RSS ${rss} KiB not checked under AddressSanitizer"
elif [ "$rss" -gt 0 ] && [ "$rss" -lt 32768 ]; then
    t_ok "wide rows: peak RSS ${rss} KiB < 32 MiB (the table is 30 MB)"
else
    t_fail "wide rows: peak RSS" "${rss} KiB, want < 32768 KiB"
fi
t_done
