# shellcheck shell=bash
# scripts/bench.sh --scale, sourced by bench.sh once PostgreSQL and Redis are up and the account
# schema is migrated (it uses bench.sh's say/die/psql_db/launch/service_env). For each resource of
# BENCH_SCALE (default accounts,cases,items): migrates and starts its service, seeds its rows from
# scale/<resource>.sql as a bulk load, analyzes them, and times every filter of
# scale/<resource>.filters one call at a time: first pages and second pages from the client, and
# the server's own latency histogram (accord_rpc_latency_seconds) for each page, with each
# filter's plan from auto_explain (a second pass). Cases also time the SLA sweeper's pass and the service report.
# Writes $BENCH_DIR/scale/report.md and plans-<resource>.txt. Another resource needs a seed, a
# filter list and a line in scale_resource below; accord-bench-scale calls any service's List.
# With BENCH_SCALE_KEEP (bench.sh keeps PostgreSQL's data in that directory), a resource whose
# rows were seeded there before from the same seed is not seeded again (public.bench_scale_seeds
# records each seed's rows and a digest of its seed; a different one is refused), and secrets the
# seeded rows depend on (kept_secret) are kept beside the data.
#   BENCH_SCALE_ROWS (accounts, 1 000 000), BENCH_SCALE_CASES (1 000 000),
#   BENCH_SCALE_ITEMS (1 000 000), BENCH_SCALE_CONTACTS (5 000 000; in BENCH_SCALE only when
#   named: contacts), BENCH_SCALE_CALLS (calls per page, 20)
SCALE_DIR="$BENCH_DIR/scale"
SCALE_RESOURCES=${BENCH_SCALE:-accounts,cases,items}
SCALE_CALLS=${BENCH_SCALE_CALLS:-20}
SCALE_TOOL="$BUILD_DIR/services/bench/accord-bench-scale"
SWEEP_TOOL="$BUILD_DIR/services/bench/accord-bench-sweep"
[[ -x $SCALE_TOOL ]] || die "$SCALE_TOOL is not built"
rm -rf -- "$SCALE_DIR"
mkdir -p "$SCALE_DIR"
SCALE_TOKEN=$(env ACCORD_JWT_SECRET="$JWT_SECRET" ACCORD_JWT_ISSUER=accord-dev \
  ACCORD_JWT_AUDIENCE=accord "$ACCORDCTL" token --role admin --subject bench --ttl 2h)
PG_LOG="$LOG_DIR/postgres.log"

# The resource's service, schema, seeded tables, List method and its request, the table of its
# List statement (as the plan names it) and its size.
scale_resource() {  # RESOURCE
  R_REQUEST='{}'
  # R_FROM: what the plans kept name (the List statement's table, and the extras' tables).
  case $1 in
    accounts)
      R_SERVICE=account R_SCHEMA=account R_TABLES="'accounts', 'external_ids', 'team_members'"
      R_METHOD=accord.account.v1.AccountService/ListAccounts R_FROM='FROM account\.accounts a'
      R_ROWS=${BENCH_SCALE_ROWS:-1000000} ;;
    cases)
      R_SERVICE=service-quality R_SCHEMA=service_quality R_TABLES="'cases'"
      R_METHOD=accord.quality.v1.CaseService/ListCases R_FROM='FROM service_quality\.cases c'
      R_ROWS=${BENCH_SCALE_CASES:-1000000} ;;
    items)
      R_SERVICE=pricing-terms R_SCHEMA=pricing_terms R_TABLES="'price_list_items'"
      R_METHOD=accord.pricing.v1.PriceListService/ListPriceListItems
      R_REQUEST='{"parent": "priceLists/00000000-0004-7000-8000-000000000001"}'
      R_FROM='FROM pricing_terms\.price_list_items r' R_ROWS=${BENCH_SCALE_ITEMS:-1000000} ;;
    contacts)
      R_SERVICE=contact R_SCHEMA=contact
      R_TABLES="'contacts', 'contact_lookup', 'account_relations'"
      R_METHOD=accord.contact.v1.ContactService/ListContacts R_FROM='FROM contact\.'
      R_ROWS=${BENCH_SCALE_CONTACTS:-5000000} ;;
    *) die "BENCH_SCALE: no resource $1 (accounts, cases, items, contacts)" ;;
  esac
  R_BIN="$BUILD_DIR/services/$R_SERVICE/accord-$R_SERVICE"
  [[ -x $R_BIN ]] || die "$R_BIN is not built"
}

# A seed's identity in a kept database: its row count and a digest of what makes its rows (the
# seed file and the scale_rows_ function, if any).
seed_digest() {  # RESOURCE
  { cat "$ROOT/scripts/bench/scale/$1.sql" 2>/dev/null; declare -f "scale_rows_$1" || true; } |
    md5sum | cut -d' ' -f1
}
# Whether the kept database already holds RESOURCE's seed (dies when it holds another one).
seed_kept() {  # RESOURCE
  [[ -n $KEPT_DB ]] || return 1
  psql_db -d accord -c "SET client_min_messages = warning" \
    -c "CREATE TABLE IF NOT EXISTS public.bench_scale_seeds (resource text
    PRIMARY KEY, rows bigint NOT NULL, digest text NOT NULL, seconds int NOT NULL)" >/dev/null
  local kept
  kept=$(psql_db -d accord -tA -F' ' -c "SELECT rows, digest, seconds FROM public.bench_scale_seeds
    WHERE resource = '$1'")
  [[ -n $kept ]] || return 1
  local rows digest seconds
  read -r rows digest seconds <<<"$kept"
  [[ $rows == "$R_ROWS" && $digest == "$(seed_digest "$1")" ]] \
    || die "$KEPT_DB holds $rows $1 from another seed: remove it to seed $R_ROWS again"
  SEED_SECONDS[$1]=$seconds
  say "scale: $1 kept from an earlier run (seeded in $seconds s); analyzing"
  local table
  for table in ${R_TABLES//[\',]/ }; do
    psql_db -d accord -c "ANALYZE $R_SCHEMA.$table" >/dev/null
  done
}
# A secret the seeded rows depend on (e.g. keys they are sealed under): fresh in each run, or kept
# beside a kept database.
kept_secret() {  # NAME GENERATOR...
  local name=$1 file
  shift
  if [[ -z $KEPT_DB ]]; then "$@"; return; fi
  file="$KEPT_DB/secret-$name"
  [[ -s $file ]] || (umask 077 && "$@" >"$file")
  cat -- "$file"
}

# A bulk load: the secondary indexes are dropped and built again afterwards (one sorted build each
# instead of a million insertions into every GIN index); constraints' indexes stay.
scale_seed() {  # RESOURCE
  seed_kept "$1" && return 0
  local seed_start=$SECONDS secondary="FROM pg_indexes i WHERE schemaname = '$R_SCHEMA'
    AND tablename IN ($R_TABLES) AND NOT EXISTS (SELECT 1 FROM pg_constraint c
    WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)"
  say "scale: seeding $R_ROWS $1"
  psql_db -d accord -tA -c "SELECT indexdef || ';' $secondary" >"$SCALE_DIR/indexes-$1.sql"
  psql_db -d accord -tA -c "SELECT 'DROP INDEX $R_SCHEMA.' || quote_ident(indexname) || ';'
    $secondary" | psql_db -d accord >/dev/null
  if declare -F "scale_rows_$1" >/dev/null; then
    "scale_rows_$1"
  else
    psql_db -d accord -v n="$R_ROWS" -f "$ROOT/scripts/bench/scale/$1.sql" >/dev/null
  fi
  say "scale: rows in after $((SECONDS - seed_start)) s; building $(wc -l <"$SCALE_DIR/indexes-$1.sql") indexes"
  { echo "SET maintenance_work_mem = '512MB';"; cat "$SCALE_DIR/indexes-$1.sql"; } |
    psql_db -d accord >/dev/null
  local table
  for table in ${R_TABLES//[\',]/ }; do
    psql_db -d accord -c "VACUUM (ANALYZE) $R_SCHEMA.$table" >/dev/null
  done
  SEED_SECONDS[$1]=$((SECONDS - seed_start))
  [[ -z $KEPT_DB ]] || psql_db -d accord -c "INSERT INTO public.bench_scale_seeds
    VALUES ('$1', $R_ROWS, '$(seed_digest "$1")', ${SEED_SECONDS[$1]})" >/dev/null
  say "scale: $1 seeded and analyzed in ${SEED_SECONDS[$1]} s"
}

# Plans: auto_explain logs every statement's plan in sessions started while it is on (a running
# session takes a changed setting only after its next statement, so the service is started again
# for the plans rather than switched). Each call of the plan pass is preceded by a marker
# statement naming it, and the plans are cut from the server log afterwards (extract_plans).
psql_db -d accord -c "LOAD 'auto_explain'" \
  -c "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'" \
  -c "ALTER SYSTEM SET auto_explain.log_min_duration = -1" -c "SELECT pg_reload_conf()" >/dev/null
set_explain() {  # -1 (off) or 0 (every statement)
  psql_db -d accord -c "ALTER SYSTEM SET auto_explain.log_min_duration = $1" \
    -c "SELECT pg_reload_conf()" >/dev/null
}
PLAN_MODE=0
plan_marker() {  # HEADING
  psql_db -d accord -tA -c "SELECT \$scale\$== $1\$scale\$" >/dev/null
}
# In the plan pass: the marker and COMMAND once. In the timed pass: nothing.
with_plans() {  # HEADING COMMAND...
  ((PLAN_MODE)) || return 0
  local heading=$1
  shift
  plan_marker "$heading"
  "$@" >/dev/null 2>&1 || say "scale: $heading failed (its plan may be missing)"
}
# Appends to FILE the plans logged since OFFSET (bytes) of statements matching FROM_REGEX, each
# under the heading of the marker before it.
extract_plans() {  # FILE OFFSET FROM_REGEX
  local size=-1 waited=0
  while ((waited < 50)) && [[ $(stat -c %s "$PG_LOG") != "$size" ]]; do
    size=$(stat -c %s "$PG_LOG")
    sleep 0.2
    waited=$((waited + 1))
  done
  tail -c +$(($2 + 1)) "$PG_LOG" | awk -v from="$3" '
    function flush() { if (inplan && keep) printf "%s", block; inplan = 0; keep = 0 }
    /duration: .* plan:/ { flush(); inplan = 1; block = $0 "\n"; next }
    inplan && /^[ \t]/ {
      if (index($0, "Query Text: SELECT $scale$== ")) {
        heading = $0; sub(/^.*\$scale\$== /, "", heading); sub(/\$scale\$.*$/, "", heading)
        printf "\n== %s\n", heading; inplan = 0; next
      }
      block = block $0 "\n"; if ($0 ~ from) keep = 1; next
    }
    inplan { flush() }
    END { flush() }' >>"$1"
}

# The METHOD's latency buckets, as "le count" lines (cumulative).
method_buckets() {  # METHOD
  curl -fsS "$METRICS_URL" | awk -v m="$1" '
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

# A call that fails (e.g. past the statement timeout) is a finding: its row says so.
failed_row() {
  printf '| %s%s | %s | - | failed: %s | - | - | - |\n' "$label" "${filter:+: \`$filter\`}" \
    "$order_by" "$(tr -d '\n|' <"$SCALE_DIR/error" | sed 's/^[^:]*: //' | cut -c1-120)"
}
# Times METHOD with REQUEST (JSON) and the filter/order_by given, and prints its report row; in
# the plan pass, calls it once after its marker. Both pages are called --warmup times first, then
# each page on its own (the second from the warm-up's token), so that the server's histogram
# holds each page's timed calls alone.
time_call() {  # LABEL METHOD REQUEST FILTER ORDER_BY
  local label=$1 method=$2 request=$3 filter=$4 order_by=$5 warm first second="" s1 s2 token
  local args=(--target="$SCALE_TARGET" --token="$SCALE_TOKEN" --method="$method"
    --request="$request" --filter="$filter" --order-by="$order_by")
  if ((PLAN_MODE)); then
    with_plans "$label: filter ${filter:-(none)}, order_by ${order_by:-(default)}" \
      "$SCALE_TOOL" "${args[@]}" --calls=1 --warmup=0
    return 0
  fi
  warm=$("$SCALE_TOOL" "${args[@]}" --calls=0 --warmup=2 2>"$SCALE_DIR/error") || { failed_row; return 0; }
  token=$(jq -r .token <<<"$warm")
  method_buckets "$method" >"$SCALE_DIR/before"
  first=$("$SCALE_TOOL" "${args[@]}" --calls="$SCALE_CALLS" --warmup=0 --second=0 \
    2>"$SCALE_DIR/error") || { failed_row; return 0; }
  method_buckets "$method" >"$SCALE_DIR/middle"
  s1=$(bucket_quantiles "$SCALE_DIR/before" "$SCALE_DIR/middle" | sed 's| | / |')
  s2=-
  if [[ -n $token ]]; then
    second=$("$SCALE_TOOL" "${args[@]}" --page-token="$token" --calls="$SCALE_CALLS" --warmup=0 \
      --second=0 2>"$SCALE_DIR/error") || { failed_row; return 0; }
    method_buckets "$method" >"$SCALE_DIR/after"
    s2=$(bucket_quantiles "$SCALE_DIR/middle" "$SCALE_DIR/after" | sed 's| | / |')
  fi
  jq -r --arg lbl "$label" --arg filter "$filter" --arg order "$order_by" \
    --arg s1 "$s1" --arg s2 "$s2" --argjson second "${second:-null}" '
      def ms(x): (x / 1000 * 100 | round) / 100;
      def page(p): if p == null or p.count == 0 then "-" else "\(ms(p.p50)) / \(ms(p.p99))" end;
      "| \($lbl)\(if $filter == "" then "" else ": `\($filter)`" end) | \($order) | " +
      "\(.rows)\(if .more then "+" else "" end) | " +
      "\(page(.first)) | \(page($second.first)) | \($s1) | \($s2) |"' <<<"$first"
}

# Starts the resource's service (migrated first, unless it is the account service bench.sh
# migrated) and points METRICS_URL and SCALE_TARGET at it.
scale_start() {
  if [[ $R_SERVICE != account ]]; then
    service_env 0 0
    env "${SERVICE_ENV[@]}" "$R_BIN" migrate </dev/null >>"$LOG_DIR/$R_SERVICE.log" 2>&1 \
      || { tail -n 20 "$LOG_DIR/$R_SERVICE.log" >&2; die "$R_SERVICE migrate failed"; }
  fi
}
scale_launch() {
  # The sweeper is timed on its own (scale_extra_cases), not run by the service meanwhile.
  # shellcheck disable=SC2034  # bench.sh's service_env reads it
  EXTRA_SERVICE_ENV=()
  [[ $R_SERVICE == service-quality ]] && EXTRA_SERVICE_ENV=("ACCORD_QUALITY_SWEEP_INTERVAL_MS=0")
  [[ $R_SERVICE == contact ]] && EXTRA_SERVICE_ENV=("ACCORD_CONTACT_PII_KEYS=$CONTACT_PII_KEYS"
    "ACCORD_CONTACT_BLIND_INDEX_KEY=$CONTACT_BLIND_INDEX_KEY")
  launch "$R_SERVICE" port "$R_BIN"
  # shellcheck disable=SC2034
  EXTRA_SERVICE_ENV=()
  SCALE_TARGET="127.0.0.1:${GRPC_PORT[$R_SERVICE]}"
  METRICS_URL="http://127.0.0.1:${METRICS_PORT[$R_SERVICE]}/metrics"
  local deadline=$((SECONDS + 60))
  until "$ACCORDCTL" health --service "$R_SERVICE" --addr "$SCALE_TARGET" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$R_SERVICE not healthy after 60 s"
    sleep 0.2
  done
}

# Contacts: their personal fields are sealed and indexed by keyed hashes, so the rows come from
# the contact service's own code (accord-bench-seed-contacts, under the keys the service is
# started with) as COPY files; then a campaign for the call list (scale/contacts.sql). The keys
# are kept beside the data (BENCH_SCALE_KEEP) and written beside the report (contact-keys.env) so
# that the kept database can be served again after the run.
random_key() { head -c 32 /dev/urandom | base64; }
CONTACT_PII_KEYS=${BENCH_CONTACT_PII_KEYS:-"bench:$(kept_secret contact-pii random_key)"}
CONTACT_BLIND_INDEX_KEY=${BENCH_CONTACT_BLIND_INDEX_KEY:-$(kept_secret contact-blind-index random_key)}
printf 'ACCORD_CONTACT_PII_KEYS=%q\nACCORD_CONTACT_BLIND_INDEX_KEY=%q\n' "$CONTACT_PII_KEYS" \
  "$CONTACT_BLIND_INDEX_KEY" >"$SCALE_DIR/contact-keys.env"
# The load, at 5 000 000 contacts (about 13 000 000 lookups and 6 000 000 relations): the three
# tables are copied at once, each in its own session with triggers and foreign-key checks off
# (session_replication_role = replica: the tool wrote every referenced contact, and a relation's
# trigger would otherwise update its contact's row, 6 000 000 updates of a 3 GB table), the
# lookups' primary key (random digests) dropped and built again after the load, and checkpoints
# spaced out for the load's WAL.
# shellcheck disable=SC2317  # called by name (scale_seed)
scale_rows_contacts() {
  local tool="$BUILD_DIR/services/bench/accord-bench-seed-contacts" dir="$SCALE_DIR/contacts-copy"
  local start=$SECONDS pids=() pid failed=0
  [[ -x $tool ]] || die "$tool is not built"
  mkdir -p "$dir"
  env ACCORD_CONTACT_PII_KEYS="$CONTACT_PII_KEYS" ACCORD_CONTACT_BLIND_INDEX_KEY="$CONTACT_BLIND_INDEX_KEY" \
    "$tool" --rows="$R_ROWS" --out="$dir" || die "accord-bench-seed-contacts failed"
  say "scale: contacts: sealed rows written in $((SECONDS - start)) s ($(du -sh "$dir" | cut -f1))"
  psql_db -d accord -c "ALTER SYSTEM SET max_wal_size = '16GB'" \
    -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" -c "SELECT pg_reload_conf()" \
    -c "ALTER TABLE contact.contact_lookup DROP CONSTRAINT contact_lookup_pkey" >/dev/null
  local replica="SET session_replication_role = replica"
  psql_db -d accord -c "$replica" -c "COPY contact.contacts (id, pii, pii_key_id, attributes, job_title, department, owner, status, customer_kind, preferred_channel, time_zone, labels, external_ids, name_trigrams, create_time, update_time, purchase_count, conversation_count) FROM STDIN" \
    <"$dir/contacts.copy" >/dev/null &
  pids+=($!)
  psql_db -d accord -c "$replica" -c "COPY contact.contact_lookup (kind, digest, contact_id) FROM STDIN" \
    <"$dir/lookups.copy" >/dev/null &
  pids+=($!)
  psql_db -d accord -c "$replica" -c "COPY contact.account_relations (id, contact_id, account_id, is_primary, name_trigrams) FROM STDIN" \
    <"$dir/relations.copy" >/dev/null &
  pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  ((failed == 0)) || die "scale: contacts: a COPY failed"
  say "scale: contacts: copied in $((SECONDS - start)) s"
  psql_db -d accord -c "SET session_replication_role = replica" \
    -c "INSERT INTO contact.contact_external_ids (system, external_id, contact_id)
      SELECT 'crm', external_ids ->> 'crm', id FROM contact.contacts WHERE external_ids ? 'crm'" \
    -c "SET maintenance_work_mem = '512MB'" \
    -c "ALTER TABLE contact.contact_lookup ADD PRIMARY KEY (kind, digest, contact_id)" \
    -c "ANALYZE contact.contact_external_ids" \
    -f "$ROOT/scripts/bench/scale/contacts.sql" >/dev/null
  psql_db -d accord -c "ALTER SYSTEM RESET max_wal_size" -c "ALTER SYSTEM RESET checkpoint_timeout" \
    -c "SELECT pg_reload_conf()" -c "CHECKPOINT" >/dev/null
  rm -rf -- "$dir"
}

# Contacts: FindDuplicateContacts of stored contacts (one entered twice, one with none) and of
# drafts (by email, by phone, by a similar name at its account, by all three), built from what
# the seed tool says it wrote; and, with BENCH_SCALE_CALL_LIST=1, two campaigns' call lists
# (scale_call_list: over the contacts labelled for one, over every contact; minutes at this size).
# shellcheck disable=SC2317  # called by name (the loop below)
scale_extra_contacts() {
  local tool="$BUILD_DIR/services/bench/accord-bench-seed-contacts" shown method
  method=accord.contact.v1.ContactStewardshipService/FindDuplicateContacts
  shown=$("$tool" --show=4242) || die "accord-bench-seed-contacts --show failed"
  local -a labels=(
    "FindDuplicateContacts of a contact entered twice"
    "FindDuplicateContacts of a contact with no duplicate"
    "FindDuplicateContacts of a draft: an email in use"
    "FindDuplicateContacts of a draft: a phone in use"
    "FindDuplicateContacts of a draft: a similar name at its account"
    "FindDuplicateContacts of a draft: a stored contact's name, email, phone and accounts")
  local -a requests=(
    '{"name": "contacts/00000000-0003-7000-8000-000000000064"}'
    '{"name": "contacts/00000000-0003-7000-8000-000000001092"}'
    "$(jq -c '{draft: {givenName: "Probe", familyName: "Person", owner: .owner, emails: [.emails[0]]}}' <<<"$shown")"
    "$(jq -c '{draft: {givenName: "Probe", familyName: "Person", owner: .owner, phones: [.phones[0]]}}' <<<"$shown")"
    "$(jq -c '{draft: {givenName: .givenName, familyName: .familyName, owner: .owner}, accounts: .accounts}' <<<"$shown")"
    "$(jq -c '{draft: del(.name, .accounts, .externalIds), accounts: .accounts}' <<<"$shown")")
  local k
  if ((PLAN_MODE)); then
    for k in "${!labels[@]}"; do time_call "${labels[$k]}" "$method" "${requests[$k]}" "" ""; done
  else
    {
      printf '\n### Duplicates\n\n%s\n' "$REPORT_HEADER"
      for k in "${!labels[@]}"; do time_call "${labels[$k]}" "$method" "${requests[$k]}" "" ""; done
    } >>"$SCALE_DIR/report.md"
    say "scale: contacts: duplicates done"
  fi
  [[ ${BENCH_SCALE_CALL_LIST:-0} == 1 ]] || return 0
  scale_call_list 1 "the contacts labelled \`spring-campaign\`"
  scale_call_list 2 "every contact"
}

# Builds campaign 0007-...-N's call list (scale/contacts.sql) through BuildCallList, timed: each
# call answers BUILDING after ACCORD_CONTACT_CALL_LIST_SLICE and the next goes on where it
# stopped, so it is called until the build is READY, as accordctl does; the report gives the
# calls' total and the build's counts. In the plan pass, one call (a build started afresh over the
# same contacts, its batches' plans logged).
# shellcheck disable=SC2317  # called by scale_extra_contacts
scale_call_list() {  # N WHAT
  local campaign="campaigns/00000000-0007-7000-8000-00000000000$1"
  local args=(--target="$SCALE_TARGET" --token="$SCALE_TOKEN" --calls=1 --warmup=0
    --method=accord.contact.v1.CampaignService/BuildCallList --request="{\"campaign\": \"$campaign\"}")
  if ((PLAN_MODE)); then
    with_plans "BuildCallList over $2" "$SCALE_TOOL" "${args[@]}"
    return 0
  fi
  # From an empty list, as in the first run on a kept database (an earlier run's list, or the
  # plan pass's unfinished build, would leave less to do).
  psql_db -d accord -c "DELETE FROM contact.call_list_builds WHERE campaign_id = '${campaign#campaigns/}'" \
    -c "DELETE FROM contact.call_list WHERE campaign_id = '${campaign#campaigns/}'" \
    -c "VACUUM (ANALYZE) contact.call_list" >/dev/null
  local result calls=0 total_us=0 state=1 start=$SECONDS
  while [[ $state != 2 ]] && ((calls < 1000)); do
    if ! result=$("$SCALE_TOOL" "${args[@]}" 2>"$SCALE_DIR/error"); then
      printf '\nBuildCallList over %s failed: %s\n' "$2" \
        "$(tr -d '\n' <"$SCALE_DIR/error" | cut -c1-200)" >>"$SCALE_DIR/report.md"
      return 0
    fi
    calls=$((calls + 1))
    total_us=$((total_us + $(jq -r '.first.p50 | floor' <<<"$result")))
    state=$(psql_db -d accord -tA -c "SELECT state FROM contact.call_list_builds
      WHERE campaign_id = '${campaign#campaigns/}'")
  done
  local build
  build=$("$ACCORDCTL" campaigns get "$campaign" --addr="$SCALE_TARGET" --token="$SCALE_TOKEN" |
    jq -c '.callListBuild // {}') || build="(not read)"
  printf '\nBuildCallList over %s: %s ms in %s bounded calls (%s s wall); the build: `%s`.\n' \
    "$2" "$((total_us / 1000))" "$calls" "$((SECONDS - start))" "$build" >>"$SCALE_DIR/report.md"
  say "scale: contacts: call list over $2 done"
}

# Accounts: LookupAccountByExternalId, as a supply-chain sync calls it (issue 20: under 2 ms).
# shellcheck disable=SC2317  # called by name (the loop below)
scale_extra_accounts() {
  local method=accord.account.v1.AccountService/LookupAccountByExternalId
  local -a labels=("LookupAccountByExternalId erp C-4242" "LookupAccountByExternalId erp C-777777")
  local -a requests=('{"system": "erp", "externalId": "C-4242"}'
    '{"system": "erp", "externalId": "C-777777"}')
  local k
  if ((PLAN_MODE)); then
    for k in "${!labels[@]}"; do time_call "${labels[$k]}" "$method" "${requests[$k]}" "" ""; done
    return 0
  fi
  {
    printf '\n### Lookup by external id\n\n%s\n' "$REPORT_HEADER"
    for k in "${!labels[@]}"; do time_call "${labels[$k]}" "$method" "${requests[$k]}" "" ""; done
  } >>"$SCALE_DIR/report.md"
  say "scale: accounts: lookups done"
}

# Cases: the service report over a quarter (about 120 000 of the million cases) and the SLA
# sweeper over the 100 000 open ones: the seeded backlog (one open case in a hundred due) drained
# in passes bounded by the sweeper's time budget, then a backlog of 3 000 more made due at once,
# then a pass with nothing due (the plan pass finds none left).
# shellcheck disable=SC2317  # called by name (the loop below)
scale_extra_cases() {
  [[ -x $SWEEP_TOOL ]] || die "$SWEEP_TOOL is not built"
  local report=(accord.quality.v1.ReportService/GetServiceReport
    '{"startTime": "2026-07-01T00:00:00Z", "endTime": "2026-10-01T00:00:00Z",
      "groupBy": "REPORT_GROUP_BY_TEAM"}' "" "")
  if ((PLAN_MODE)); then
    time_call "GetServiceReport, 2026-07-01 to 2026-10-01, by team" "${report[@]}"
    with_plans "SLA sweep: a pass with nothing due" "$SWEEP_TOOL" --pg-url="$PG_URL" --passes=1
    return 0
  fi
  {
    printf '\n### Service report and SLA sweep\n\n%s\n' "$REPORT_HEADER"
    time_call "GetServiceReport, 2026-07-01 to 2026-10-01, by team" "${report[@]}"
  } >>"$SCALE_DIR/report.md"
  scale_cases_sweep "the seeded backlog"
  psql_db -d accord -c "UPDATE service_quality.cases SET sla_next_check = now() - interval '1 minute'
    WHERE id IN (SELECT id FROM service_quality.cases WHERE sla_next_check > now()
    AND sla_recorded = 0 AND status NOT IN (4, 6, 7) ORDER BY id LIMIT 3000)" >/dev/null
  scale_cases_sweep "3 000 more made due at once"
  scale_cases_sweep "nothing due"
  say "scale: cases: report and sweep done"
}

# The sweeper's passes, one after the other until one leaves nothing due, into the report.
# shellcheck disable=SC2317  # called by scale_extra_cases
scale_cases_sweep() {  # WHAT
  local due result
  due=$(psql_db -d accord -tA -c "SELECT count(*) FROM service_quality.cases
    WHERE sla_next_check <= now()")
  result=$("$SWEEP_TOOL" --pg-url="$PG_URL" --passes=200 --until-complete) ||
    die "scale: sweep failed"
  jq -r --arg what "$1" --arg due "$due" '"\nSLA sweep, \($what) (\($due) due): " +
    "\(.passes | length) passes, \([.passes[].cases] | add) cases changed, the longest pass " +
    "\([.passes[].ms] | max * 10 | round / 10) ms, all passes \([.passes[].ms] | add | round) ms (" +
    ([.passes[] | "\(.ms | round)"] | join(", ")) + ")."' <<<"$result" >>"$SCALE_DIR/report.md"
}

REPORT_HEADER='| filter | order_by | rows | first page (client) | second page (client) | server, first | server, second |
|---|---|---:|---|---|---|---|'
declare -A SEED_SECONDS
{
  printf '# Lists at scale\n\n'
  printf 'Page size 50, %s calls of each page one at a time. Client: p50 / p99 ms measured by\n' \
    "$SCALE_CALLS"
  printf 'accord-bench-scale on the same machine, after two unmeasured calls of each. Server: the\n'
  printf "bucket (upper bound, ms) of the service's accord_rpc_latency_seconds holding its p50 / p99\n"
  printf 'over the timed first pages, and over the timed second pages.\n'
} >"$SCALE_DIR/report.md"
IFS=, read -r -a scale_list <<<"$SCALE_RESOURCES"
for resource in "${scale_list[@]}"; do
  scale_resource "$resource"
  scale_start
  scale_seed "$resource"
  {
    printf '\n## %s: %s at %s rows (seeded and analyzed in %s s%s)\n\n' "$resource" \
      "${R_METHOD#*/}" "$R_ROWS" "${SEED_SECONDS[$resource]}" \
      "$([[ -z $KEPT_DB ]] || echo ", kept in BENCH_SCALE_KEEP")"
    printf '%s\n' "$REPORT_HEADER"
  } >>"$SCALE_DIR/report.md"
  # The timed pass, then the plan pass (the service started again with auto_explain on).
  for PLAN_MODE in 0 1; do
    if ((PLAN_MODE)); then
      set_explain 0
      plans_offset=$(stat -c %s "$PG_LOG")
    fi
    scale_launch
    while IFS= read -r line; do
      [[ -z $line || $line == \#* ]] && continue
      # Tabs are IFS whitespace to read, which would merge an empty filter's two tabs: split by
      # hand.
      label=${line%%$'\t'*} rest=${line#*$'\t'}
      filter=${rest%%$'\t'*} order_by=${rest#*$'\t'}
      time_call "$label" "$R_METHOD" "$R_REQUEST" "$filter" "$order_by" >>"$SCALE_DIR/report.md"
      ((PLAN_MODE)) || say "scale: $resource: $label done"
    done <"$ROOT/scripts/bench/scale/$resource.filters"
    if declare -F "scale_extra_$resource" >/dev/null; then "scale_extra_$resource"; fi
    stop_named "$R_SERVICE"
  done
  set_explain -1
  extract_plans "$SCALE_DIR/plans-$resource.txt" "$plans_offset" "$R_FROM"
  say "scale: $resource: plans taken"
done
psql_db -d accord -c "ALTER SYSTEM RESET session_preload_libraries" \
  -c "ALTER SYSTEM RESET auto_explain.log_min_duration" -c "SELECT pg_reload_conf()" >/dev/null
say "scale: report in ${SCALE_DIR#"$ROOT"/}/report.md, plans in plans-*.txt"
cat "$SCALE_DIR/report.md"
exit 0
