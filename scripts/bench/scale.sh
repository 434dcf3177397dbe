# shellcheck shell=bash
# scripts/bench.sh --scale, sourced by bench.sh once PostgreSQL and Redis are up and the account
# schema is migrated (it uses bench.sh's say/die/psql_db/launch). Seeds BENCH_SCALE_ROWS accounts
# (default 1 000 000) from scale/accounts.sql, analyzes them, starts the account service and
# times every filter of scale/accounts.filters one call at a time: first pages and second pages
# from the client, and the server's own latency histogram (accord_rpc_latency_seconds) for the
# first pages, with each filter's plan from auto_explain. Writes $BENCH_DIR/scale/report.md and
# plans.txt. Another resource (contacts, cases, price-list items) gets the same treatment with
# a <resource>.sql seed and a <resource>.filters list beside these, and a client for its List.
SCALE_DIR="$BENCH_DIR/scale"
SCALE_ROWS=${BENCH_SCALE_ROWS:-1000000}
SCALE_CALLS=${BENCH_SCALE_CALLS:-20}
SCALE_TOOL="$BUILD_DIR/services/bench/accord-bench-scale"
[[ -x $SCALE_TOOL ]] || die "$SCALE_TOOL is not built"
rm -rf -- "$SCALE_DIR"
mkdir -p "$SCALE_DIR"

say "scale: seeding $SCALE_ROWS accounts (a few minutes per million)"
seed_start=$SECONDS
# A bulk load: the secondary indexes are dropped and built again afterwards (one sorted build each
# instead of a million insertions into every GIN index); constraints' indexes stay.
SEEDED_TABLES="'accounts', 'external_ids', 'team_members'"
psql_db -d accord -tA -c "SELECT indexdef || ';' FROM pg_indexes i WHERE schemaname = 'account'
  AND tablename IN ($SEEDED_TABLES) AND NOT EXISTS (SELECT 1 FROM pg_constraint c
  WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)" >"$SCALE_DIR/indexes.sql"
psql_db -d accord -tA -c "SELECT 'DROP INDEX account.' || quote_ident(indexname) || ';' FROM pg_indexes i
  WHERE schemaname = 'account' AND tablename IN ($SEEDED_TABLES) AND NOT EXISTS (SELECT 1
  FROM pg_constraint c WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)" |
  psql_db -d accord >/dev/null
psql_db -d accord -v n="$SCALE_ROWS" -f "$ROOT/scripts/bench/scale/accounts.sql" >/dev/null
say "scale: rows in after $((SECONDS - seed_start)) s; building $(wc -l <"$SCALE_DIR/indexes.sql") indexes"
{ echo "SET maintenance_work_mem = '512MB';"; cat "$SCALE_DIR/indexes.sql"; } | psql_db -d accord >/dev/null
psql_db -d accord -c "VACUUM (ANALYZE) account.accounts" -c "VACUUM (ANALYZE) account.external_ids" \
  -c "VACUUM (ANALYZE) account.team_members" >/dev/null
say "scale: seeded and analyzed in $((SECONDS - seed_start)) s"

# auto_explain in every session of the service, off until a filter's plan is wanted.
psql_db -d accord -c "LOAD 'auto_explain'" \
  -c "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'" \
  -c "ALTER SYSTEM SET auto_explain.log_min_duration = -1" -c "SELECT pg_reload_conf()" >/dev/null
set_explain() {  # -1 (off) or 0 (every statement)
  psql_db -d accord -c "ALTER SYSTEM SET auto_explain.log_min_duration = $1" \
    -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.3
}

launch account health "$ACCOUNT_BIN"
SCALE_TOKEN=$(env ACCORD_JWT_SECRET="$JWT_SECRET" ACCORD_JWT_ISSUER=accord-dev \
  ACCORD_JWT_AUDIENCE=accord "$ACCORDCTL" token --role admin --subject bench --ttl 2h)
SCALE_TARGET="127.0.0.1:${GRPC_PORT[account]}"
METRICS_URL="http://127.0.0.1:${METRICS_PORT[account]}/metrics"
LIST_METHOD='accord.account.v1.AccountService/ListAccounts'

# The ListAccounts latency buckets, as "le count" lines (cumulative).
list_buckets() {
  curl -fsS "$METRICS_URL" | awk -v m="$LIST_METHOD" '
    index($0, "accord_rpc_latency_seconds_bucket{") == 1 && index($0, "method=\"" m "\"") {
      match($0, /le="[^"]+"/); le = substr($0, RSTART + 4, RLENGTH - 5); print le, $NF }'
}
# p50 and p99 (the upper bound of the bucket each falls in, ms) between two bucket snapshots.
bucket_quantiles() {  # BEFORE_FILE AFTER_FILE
  awk 'NR == FNR { before[$1] = $2; next }
       { le[++n] = $1; count[n] = $2 - before[$1] }
       END {
         total = count[n]
         for (q = 1; q <= 2; q++) {
           want = (q == 1 ? 0.5 : 0.99) * total
           for (i = 1; i <= n; i++) if (count[i] >= want) break
           v = le[i] == "+Inf" ? "inf" : sprintf("%.3g", le[i] * 1000)
           printf "%s%s", v, (q == 1 ? " " : "\n")
         }
       }' "$1" "$2"
}

PG_LOG="$LOG_DIR/postgres.log"
{
  printf '# ListAccounts at %s accounts\n\n' "$SCALE_ROWS"
  printf 'Page size 50, %s calls of each page one at a time. Client: p50 / p99 ms measured by\n' \
    "$SCALE_CALLS"
  printf 'accord-bench-scale on the same machine. Server: the bucket (upper bound, ms) of the\n'
  printf "service's accord_rpc_latency_seconds holding its p50 / p99 over the first pages.\n\n"
  printf '| filter | order_by | rows | first page (client) | second page (client) | server |\n'
  printf '|---|---|---:|---|---|---|\n'
} >"$SCALE_DIR/report.md"
: >"$SCALE_DIR/plans.txt"
while IFS= read -r line; do
  [[ -z $line || $line == \#* ]] && continue
  # Tabs are IFS whitespace to read, which would merge an empty filter's two tabs: split by hand.
  label=${line%%$'\t'*} rest=${line#*$'\t'}
  filter=${rest%%$'\t'*} order_by=${rest#*$'\t'}
  args=(--target="$SCALE_TARGET" --token="$SCALE_TOKEN" --filter="$filter" --order-by="$order_by")
  # The plan: one call with auto_explain on, its List statement cut from the server log.
  offset=$(stat -c %s "$PG_LOG")
  set_explain 0
  "$SCALE_TOOL" "${args[@]}" --calls=1 --warmup=0 >/dev/null || die "scale: '$filter' failed"
  set_explain -1
  {
    printf '== %s: filter %s, order_by %s\n' "$label" "${filter:-(none)}" "${order_by:-(default)}"
    tail -c +$((offset + 1)) "$PG_LOG" | awk '
      /duration: .* plan:/ { keep = 0; block = "" }
      /duration: .* plan:/ { inplan = 1; block = $0 "\n"; next }
      inplan && /^[ \t]/ { block = block $0 "\n"; if ($0 ~ /FROM account\.accounts a/) keep = 1; next }
      inplan { if (keep) printf "%s", block; inplan = 0; keep = 0 }
      END { if (inplan && keep) printf "%s", block }'
    printf '\n'
  } >>"$SCALE_DIR/plans.txt"
  list_buckets >"$SCALE_DIR/before"
  result=$("$SCALE_TOOL" "${args[@]}" --calls="$SCALE_CALLS") || die "scale: '$filter' failed"
  list_buckets >"$SCALE_DIR/after"
  read -r server_p50 server_p99 < <(bucket_quantiles "$SCALE_DIR/before" "$SCALE_DIR/after")
  jq -r --arg lbl "$label" --arg filter "$filter" --arg order "${order_by:-}" \
    --arg s50 "$server_p50" --arg s99 "$server_p99" '
      def ms(x): (x / 1000 * 100 | round) / 100;
      def page(p): if p.count == 0 then "-" else "\(ms(p.p50)) / \(ms(p.p99))" end;
      "| \($lbl): `\($filter)` | \($order) | \(.rows)\(if .more then "+" else "" end) | " +
      "\(page(.first)) | \(page(.second)) | \($s50) / \($s99) |"' <<<"$result" \
    >>"$SCALE_DIR/report.md"
  say "scale: $label done"
done <"$ROOT/scripts/bench/scale/accounts.filters"
psql_db -d accord -c "ALTER SYSTEM RESET session_preload_libraries" \
  -c "ALTER SYSTEM RESET auto_explain.log_min_duration" -c "SELECT pg_reload_conf()" >/dev/null
say "scale: report in ${SCALE_DIR#"$ROOT"/}/report.md, plans in plans.txt"
cat "$SCALE_DIR/report.md"
exit 0
