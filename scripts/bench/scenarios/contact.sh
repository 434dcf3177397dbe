# shellcheck shell=bash
# shellcheck disable=SC2034,SC2153  # sourced by scripts/bench.sh: its variables (ROUND, SERVICE_PID, ...)
# The contact service's section of scripts/bench.sh (see README.md here; method and figures in
# docs/performance.md, "Contact service"):
#   - GetContact warm, read by a service_agent (personal fields decrypted, then masked: no
#     access-log write), against the bare no-op in the same rounds;
#   - CreateContact (sealing, blind index, outbox) against pgbench replaying its transaction;
#   - NextCall by 32 agents (tokens of their own) on one campaign: accord-bench-nextcall counts the
#     contacts handed out twice (none allowed), against pgbench running the same SKIP LOCKED
#     transaction on the same call list;
#   - BuildCallList over CONTACT_BUILD_CONTACTS contacts (BENCH_CONTACT_BUILD: 100 000 by
#     default, 1 000 000 for the issue's scale) against a plain INSERT ... SELECT through psql of
#     as many rows into the same table, in the same rounds (rows per second);
#   - NextCall by the same 32 agents on a list 90 % worked through (the first 90 % by position
#     finished or leased) against the same list untouched;
#   - the service's idle RSS (the report's process table, `contact`) against 40 MB.
# The contacts on the call list come from accord-bench-seed-contacts (sealed under the keys the
# service runs with), their phone-marketing consent is appended to the ledger in SQL, and the list
# is built through BuildCallList.

CONTACT_BIN="$BUILD_DIR/services/contact/accord-contact"
CONTACT_SEED="$BUILD_DIR/services/bench/accord-bench-seed-contacts"
# The columns of the seed's contacts.copy, in its order (services/bench/seed_contacts.cc).
CONTACT_SEED_COLUMNS="id, pii, pii_key_id, attributes, job_title, department, owner, status, customer_kind, preferred_channel, time_zone, labels, external_ids, name_trigrams, create_time, update_time, purchase_count, conversation_count"
CONTACT_NEXTCALL="$BUILD_DIR/services/bench/accord-bench-nextcall"
CONTACT_SVC=accord.contact.v1
# Contacts on the call list: enough for every round of both sides (each call takes one for good).
CONTACT_CALL_LIST=${BENCH_CONTACT_CALL_LIST:-$((SMOKE ? 10000 : 60000))}
CONTACT_AGENTS=32
# Contacts the call-list build reads: the NextCall ratio on a list 90 % worked through needs its
# last 10 % to outlast a round of 32 agents, warm-up included, on a fast machine too (a smoke
# round on 20 000 contacts emptied it).
CONTACT_BUILD_CONTACTS=${BENCH_CONTACT_BUILD:-$((SMOKE ? 60000 : 100000))}

contact_token() {  # ROLE SUBJECT
  env ACCORD_JWT_SECRET="$JWT_SECRET" ACCORD_JWT_ISSUER=accord-dev ACCORD_JWT_AUDIENCE=accord \
    "$ACCORDCTL" token --role "$1" --subject "$2" --ttl 2h
}
contact_ctl() { "$ACCORDCTL" "$@" --addr="127.0.0.1:${GRPC_PORT[contact]}" --token="$TOKEN"; }

missing=""
for tool in "$CONTACT_BIN" "$CONTACT_SEED" "$CONTACT_NEXTCALL"; do
  [[ -x $tool ]] || missing="$tool is not built"
done
if [[ -n $missing ]]; then
  not_available contact-get "GetContact (decrypted, masked; warm)" "$missing"
  not_available contact-create "CreateContact" "$missing"
  not_available contact-next-call "NextCall, $CONTACT_AGENTS agents on one campaign" "$missing"
  not_available contact-build-call-list "BuildCallList over $CONTACT_BUILD_CONTACTS contacts" "$missing"
  not_available contact-next-call-worked "NextCall on a list 90 % worked through" "$missing"
else
  CONTACT_PII_KEYS="bench:$(head -c 32 /dev/urandom | base64)"
  CONTACT_BLIND_INDEX_KEY=$(head -c 32 /dev/urandom | base64)
  say "contact: starting the service (migrating its schema)"
  # The account service it asks about relations, followed with the bench's token.
  # Default connection age: a call-list build is many bounded calls (accordctl calls until READY).
  EXTRA_SERVICE_ENV=(ACCORD_MIGRATE_ON_START=true
    "ACCORD_ACCOUNT_ADDRESS=127.0.0.1:${GRPC_PORT[account]}" "ACCORD_SERVICE_TOKEN=$TOKEN"
    "ACCORD_CONTACT_PII_KEYS=$CONTACT_PII_KEYS" "ACCORD_CONTACT_BLIND_INDEX_KEY=$CONTACT_BLIND_INDEX_KEY")
  launch contact health "$CONTACT_BIN"
  EXTRA_SERVICE_ENV=()
  say "contact: idle RSS $((IDLE_RSS[contact] / 1024)) MB (target below 40 MB)"

  # --- GetContact: one contact with every personal field, read warm by a service agent ---------
  contact_json() {  # JOB_TITLE
    jq -cn --arg job "$1" '{contact: {givenName: "Ada", familyName: "Lovelace", jobTitle: $job,
      department: "Purchasing", emails: [{address: "ada.lovelace@example.com"}],
      phones: [{number: "+49 30 1234567"}], preferredLanguage: "en", timeZone: "Europe/Berlin",
      notes: "Prefers calls in the morning.", owner: "bench"}}'
  }
  read_name=$(contact_ctl contacts create --given-name Ada --family-name Lovelace \
    --email ada.lovelace@example.com --phone "+49 30 1234567" --job-title "Head of purchasing" \
    | jq -r .name) || die "contact: could not create the contact to read"
  "$FRAME" --type=json --message=$CONTACT_SVC.GetContactRequest --json="{\"name\":\"$read_name\"}" \
    --out="$WORK/contact-get.bin"
  READER_HEADERS=(-H 'content-type: application/grpc' -H 'te: trailers'
    -H "authorization: Bearer $(contact_token service_agent bench-reader)")
  for ((round = 1; round <= ROUNDS; round++)); do
    begin_round "$round"
    run_h2load contact-noop-bare "No-op, bare gRPC callback server (contact's rounds)" noop-bare \
      "$NOOP_METHOD" "$WORK/noop.bin"
    # The same path with no work of the service: the floor of GetContact's ratio.
    run_h2load contact-noop-runtime "No-op through Accord's runtime (contact's rounds)" noop-runtime \
      "$NOOP_METHOD" "$WORK/noop.bin"
    saved_headers=("${H2_HEADERS[@]}")
    H2_HEADERS=("${READER_HEADERS[@]}")
    run_h2load contact-get "GetContact (personal fields decrypted, then masked for a service agent; warm)" \
      contact "$CONTACT_SVC.ContactService/GetContact" "$WORK/contact-get.bin"
    H2_HEADERS=("${saved_headers[@]}")
  done
  end_rounds
  merge_rounds contact-noop-bare contact-noop-runtime contact-get
  declare_ratio contact-get-floor "No-op through Accord's runtime / bare no-op (contact's rounds)" \
    contact-noop-runtime contact-noop-bare null "The same-run floor of GetContact's ratio: auth, logging and metrics with no work of the service."
  declare_ratio contact-get "GetContact (decrypted, masked) / bare no-op" contact-get \
    contact-noop-bare 0.8 "Read by a service_agent, who sees it masked: answered on gRPC's thread from the in-process level without opening the sealed fields (caching_contact_repository.h); reads that unmask open them and are logged."

  # --- CreateContact against pgbench of its transaction ----------------------------------------
  "$FRAME" --type=json --message=$CONTACT_SVC.CreateContactRequest \
    --json="$(contact_json "Head of purchasing")" --out="$WORK/contact-create.bin"
  # job_title is stored in clear: the probe's marker finds its transaction in the log.
  CONTACT_PROBE="bench-contact-probe-$RANDOM$RANDOM"
  "$FRAME" --type=json --message=$CONTACT_SVC.CreateContactRequest \
    --json="$(contact_json "$CONTACT_PROBE")" --out="$WORK/probe-contact-create.bin"
  # capture_pgbench sends its probe to the account service's port: pointed here for the call.
  account_port=${GRPC_PORT[account]}
  GRPC_PORT[account]=${GRPC_PORT[contact]}
  capture_pgbench pgbench-contact-create "$WORK/probe-contact-create.bin" \
    "$CONTACT_SVC.ContactService/CreateContact" "$CONTACT_PROBE" none none
  GRPC_PORT[account]=$account_port
  checkpoint
  for ((round = 1; round <= ROUNDS; round++)); do
    begin_round "$round"
    run_h2load contact-create "CreateContact (sealed fields, blind index, outbox; no request_id)" \
      contact "$CONTACT_SVC.ContactService/CreateContact" "$WORK/contact-create.bin"
    run_pgbench pgbench-contact-create "pgbench: CreateContact's transaction"
  done
  end_rounds
  merge_rounds contact-create pgbench-contact-create
  declare_ratio contact-create "CreateContact / pgbench of its transaction" contact-create \
    pgbench-contact-create 0.8 "Sealing (XChaCha20-Poly1305 per field set), the blind index of the email and the phone, the outbox event and the creator's access-log row in the transaction."
  # --- NextCall: 32 agents on one campaign, against pgbench's SKIP LOCKED transaction -----------
  say "contact: sealing $CONTACT_CALL_LIST contacts for the call list"
  seed_dir="$WORK/contact-seed"
  mkdir -p "$seed_dir"
  env ACCORD_CONTACT_PII_KEYS="$CONTACT_PII_KEYS" ACCORD_CONTACT_BLIND_INDEX_KEY="$CONTACT_BLIND_INDEX_KEY" \
    "$CONTACT_SEED" --rows="$CONTACT_CALL_LIST" --out="$seed_dir" >/dev/null \
    || die "contact: accord-bench-seed-contacts failed"
  # Their relations name accounts this run does not have: left out. Every one consents to
  # marketing calls (channel PHONE = 1, purpose MARKETING = 1, GRANTED = 1), appended as
  # RecordConsent appends.
  psql_db -d accord \
    -c "\\copy contact.contacts ($CONTACT_SEED_COLUMNS) FROM '$seed_dir/contacts.copy'" \
    -c "\\copy contact.contact_lookup (kind, digest, contact_id) FROM '$seed_dir/lookups.copy'" \
    -c "INSERT INTO contact.consent_ledger (id, contact_id, channel, purpose, decision, decision_time, source, recorded_by)
        SELECT gen_random_uuid(), id, 1, 1, 1, now(), 'bench', 'bench' FROM contact.contacts
        WHERE id::text LIKE '00000000-0003-%'" \
    -c "VACUUM (ANALYZE) contact.contacts, contact.consent_ledger" >/dev/null
  rm -rf -- "$seed_dir"
  campaign=$(contact_ctl campaigns create --display-name "Bench calls" --start 2026-01-01T00:00:00Z \
    --end 2099-01-01T00:00:00Z --hours 00:00-23:59 --cool-off-days 0 --lease-seconds 3600 \
    | jq -r .name) || die "contact: could not create the campaign"
  etag=$(contact_ctl campaigns get "$campaign" | jq -r .etag)
  contact_ctl campaigns update "$campaign" --etag="$etag" --status=active >/dev/null \
    || die "contact: could not activate $campaign"
  built=$(contact_ctl campaigns build "$campaign") || die "contact: could not build the call list"
  say "contact: call list $(jq -c . <<<"$built")"
  psql_db -d accord -c "VACUUM (ANALYZE) contact.call_list" >/dev/null
  printf '%s\n' "$campaign" >"$WORK/contact-campaign.txt"
  for ((i = 1; i <= CONTACT_AGENTS; i++)); do contact_token sales_assistant "bench-agent-$i"; done \
    >"$WORK/contact-agents.txt"

  # pgbench's side: the transaction NextCall commits, captured from one probe call (marked by the
  # campaign's id). Its UPDATE leased the probe's contact: here it leases a row its own SELECT
  # locked (\aset keeps the last of them), so that pgbench takes contacts off the same list.
  campaign_id=${campaign#campaigns/}
  "$FRAME" --type=json --message=$CONTACT_SVC.NextCallRequest --json="{\"campaign\":\"$campaign\"}" \
    --out="$WORK/probe-next-call.bin"
  # The probe agent's own name marks the transaction (the campaign's id is in the read before it).
  probe_agent="bench-probe-agent-$RANDOM$RANDOM"
  saved_headers=("${H2_HEADERS[@]}")
  H2_HEADERS=(-H 'content-type: application/grpc' -H 'te: trailers'
    -H "authorization: Bearer $(contact_token sales_assistant "$probe_agent")")
  account_port=${GRPC_PORT[account]}
  GRPC_PORT[account]=${GRPC_PORT[contact]}
  capture_pgbench pgbench-contact-next-call "$WORK/probe-next-call.bin" \
    "$CONTACT_SVC.CampaignService/NextCall" "$probe_agent" "$campaign_id" "'$campaign_id'"
  GRPC_PORT[account]=$account_port
  H2_HEADERS=("${saved_headers[@]}")
  # \aset names its variables after the columns: the one unnamed column gets a name.
  perl -pi -e 'if (/FOR UPDATE OF l SKIP LOCKED/) { s/c\.delete_time IS NULL,/c.delete_time IS NULL AS live,/; s/;\s*$/ \\aset\n/ }
    s/(UPDATE contact\.call_list l SET agent = .*? AND contact_id = )\S+( RETURNING)/$1:contact_id::uuid$2/' \
    "$WORK/pgbench-contact-next-call.sql"
  grep -q ':contact_id::uuid' "$WORK/pgbench-contact-next-call.sql" \
    || die "contact: NextCall's transaction changed shape (see $WORK/pgbench-contact-next-call.sql)"

  H2LOAD_SAVED=$H2LOAD
  for ((round = 1; round <= ROUNDS; round++)); do
    begin_round "$round"
    H2LOAD=$CONTACT_NEXTCALL
    run_load contact-next-call "NextCall, $CONTACT_AGENTS agents (one connection and token each) on one campaign" \
      contact "$CONTACT_SVC.CampaignService/NextCall" nextcall "$WORK/contact-campaign.txt" \
      --tokens-file="$WORK/contact-agents.txt" --handed-out="$(work_file contact-next-call).handed"
    H2LOAD=$H2LOAD_SAVED
    run_pgbench pgbench-contact-next-call "pgbench: NextCall's SKIP LOCKED transaction on the same list"
  done
  end_rounds
  # Double hand-outs over the whole run: a contact in two rounds' hand-outs counts too.
  doubles=$(cat "$WORK"/contact-next-call.r*.handed | sort | uniq -d | wc -l)
  say "contact: NextCall double hand-outs over all rounds: $doubles"
  merge_rounds contact-next-call pgbench-contact-next-call
  if ((doubles > 0)); then
    jq --arg r "$doubles contacts handed out twice over the rounds" '.status = "FAILED" | .reasons += [$r]' \
      "$RESULTS/contact-next-call.json" >"$WORK/contact-next-call.json" \
      && mv -f -- "$WORK/contact-next-call.json" "$RESULTS/contact-next-call.json"
  fi
  declare_ratio contact-next-call "NextCall ($CONTACT_AGENTS agents, one campaign) / pgbench of its SKIP LOCKED transaction" \
    contact-next-call pgbench-contact-next-call 0.7 "Zero double hand-outs (counted from the responses, $doubles in this run). The transaction also opens the handed contact's phones from the row its read returned and appends the agent's read of them to the access log (pgbench replays that insert too)."

  # --- BuildCallList at scale, against a plain INSERT ... SELECT of as many rows ----------------
  contact_campaign() {  # DISPLAY_NAME: an active campaign calling at any hour, no cool-off
    contact_ctl campaigns create --display-name "$1" --start 2026-01-01T00:00:00Z \
      --end 2099-01-01T00:00:00Z --hours 00:00-23:59 --cool-off-days 0 --lease-seconds 3600 \
      --status active | jq -r .name
  }
  if ((CONTACT_BUILD_CONTACTS > CONTACT_CALL_LIST)); then
    say "contact: sealing $CONTACT_BUILD_CONTACTS contacts for the call-list build"
    mkdir -p "$seed_dir"
    env ACCORD_CONTACT_PII_KEYS="$CONTACT_PII_KEYS" ACCORD_CONTACT_BLIND_INDEX_KEY="$CONTACT_BLIND_INDEX_KEY" \
      "$CONTACT_SEED" --rows="$CONTACT_BUILD_CONTACTS" --out="$seed_dir" >/dev/null \
      || die "contact: accord-bench-seed-contacts failed"
    # The first CONTACT_CALL_LIST of them are in already (the seeder's ids are the same each run).
    seed_columns=$CONTACT_SEED_COLUMNS
    psql_db -d accord \
      -c "CREATE TEMP TABLE seed_contacts AS SELECT $seed_columns FROM contact.contacts LIMIT 0" \
      -c "\\copy seed_contacts ($seed_columns) FROM '$seed_dir/contacts.copy'" \
      -c "INSERT INTO contact.contacts ($seed_columns) SELECT $seed_columns FROM seed_contacts ON CONFLICT DO NOTHING" \
      -c "CREATE TEMP TABLE seed_lookup (LIKE contact.contact_lookup)" \
      -c "\\copy seed_lookup (kind, digest, contact_id) FROM '$seed_dir/lookups.copy'" \
      -c "INSERT INTO contact.contact_lookup SELECT * FROM seed_lookup ON CONFLICT DO NOTHING" >/dev/null
    rm -rf -- "$seed_dir"
  fi
  # Some of each rule's exclusions: 1 in 10 has no consent recorded, 1 in 25 is do-not-call.
  psql_db -d accord \
    -c "INSERT INTO contact.consent_ledger (id, contact_id, channel, purpose, decision, decision_time, source, recorded_by)
        SELECT gen_random_uuid(), c.id, 1, 1, 1, now(), 'bench', 'bench' FROM contact.contacts c
        WHERE c.id::text LIKE '00000000-0003-%' AND get_byte(uuid_send(c.id), 15) % 10 <> 0
        AND NOT EXISTS (SELECT 1 FROM contact.consent_ledger g WHERE g.contact_id = c.id)" \
    -c "UPDATE contact.contacts SET do_not_call = true WHERE id::text LIKE '00000000-0003-%'
        AND get_byte(uuid_send(id), 14) % 25 = 0 AND NOT do_not_call" \
    -c "VACUUM (ANALYZE) contact.contacts, contact.contact_lookup, contact.consent_ledger" >/dev/null
  say "contact: $(psql_db -d accord -tAc "SELECT count(*) FROM contact.contacts WHERE delete_time IS NULL") live contacts"
  checkpoint
  for ((round = 1; round <= ROUNDS; round++)); do
    begin_round "$round"
    build_campaign=$(contact_campaign "Bench build $round") || die "contact: could not create a campaign"
    register_scenario contact-build-call-list
    say "contact-build-call-list: accordctl campaigns build over $CONTACT_BUILD_CONTACTS contacts"
    SERVICE_PID=${PID[contact]}
    snapshot_begin
    set +e
    contact_ctl campaigns build "$build_campaign" --timeout=30m >"$WORK/contact-build.r$round.out" 2>&1
    status=$?
    set -e
    snap=$(snapshot_end)
    added=$(jq -r '.added // 0' "$WORK/contact-build.r$round.out" 2>/dev/null || echo 0)
    say "contact-build-call-list: $(jq -c . "$WORK/contact-build.r$round.out" 2>/dev/null || tail -c 300 "$WORK/contact-build.r$round.out")"
    rows_result contact-build-call-list "BuildCallList over $CONTACT_BUILD_CONTACTS contacts (rows added per second; every exclusion rule)" \
      accordctl "$added" "$snap" "$status" "$(tail -c 300 "$WORK/contact-build.r$round.out")"

    # The same number of rows into the same table in list order, without a rule.
    copy_campaign=$(contact_campaign "Bench insert $round") || die "contact: could not create a campaign"
    register_scenario contact-insert-call-list
    say "contact-insert-call-list: psql INSERT ... SELECT of $added rows into contact.call_list"
    SERVICE_PID=""
    snapshot_begin
    set +e
    psql_db -d accord -c "INSERT INTO contact.call_list (campaign_id, contact_id)
      SELECT '${copy_campaign#campaigns/}'::uuid, c.id FROM contact.contacts c WHERE c.delete_time IS NULL
      ORDER BY c.create_time, c.id LIMIT $added" >"$WORK/contact-insert.r$round.out" 2>&1
    status=$?
    set -e
    snap=$(snapshot_end)
    rows_result contact-insert-call-list "psql INSERT ... SELECT of as many rows into contact.call_list" \
      psql "$added" "$snap" "$status" "$(tail -c 300 "$WORK/contact-insert.r$round.out")"
  done
  end_rounds
  merge_rounds contact-build-call-list contact-insert-call-list
  declare_ratio contact-build-call-list "BuildCallList over $CONTACT_BUILD_CONTACTS contacts / psql INSERT ... SELECT of as many rows (rows per second)" \
    contact-build-call-list contact-insert-call-list null "Every rule as a join over batches of 10 000 contacts (consent ledger, phones, recent calls, the list itself), one transaction and one event; the plain insert applies none. The issue sets no ratio: it asks for the time and the plans (docs/performance.md)."

  # --- NextCall on a list 90 % worked through, against the same list untouched -----------------
  full_campaign=$(contact_campaign "Bench full list") || die "contact: could not create a campaign"
  worked_campaign=$(contact_campaign "Bench worked list") || die "contact: could not create a campaign"
  for listed in "$full_campaign" "$worked_campaign"; do
    contact_ctl campaigns build "$listed" --timeout=30m >/dev/null || die "contact: could not build $listed"
  done
  # The first 90 % by position: every other one finished, the others leased elsewhere for a day.
  worked_id=${worked_campaign#campaigns/}
  psql_db -d accord -c "UPDATE contact.call_list SET state = CASE WHEN position % 2 = 0 THEN 1 ELSE 0 END,
      agent = CASE WHEN position % 2 = 1 THEN 'bench-elsewhere' END,
      lease_until = CASE WHEN position % 2 = 1 THEN now() + interval '1 day' END
    WHERE campaign_id = '$worked_id' AND position <= (SELECT percentile_disc(0.9) WITHIN GROUP
      (ORDER BY position) FROM contact.call_list WHERE campaign_id = '$worked_id')" \
    -c "VACUUM (ANALYZE) contact.call_list" >/dev/null
  printf '%s\n' "$full_campaign" >"$WORK/contact-full-campaign.txt"
  printf '%s\n' "$worked_campaign" >"$WORK/contact-worked-campaign.txt"
  H2LOAD_SAVED=$H2LOAD
  for ((round = 1; round <= ROUNDS; round++)); do
    begin_round "$round"
    # Each round starts from the same lists: the bench agents' leases of the last round undone.
    psql_db -d accord -c "UPDATE contact.call_list SET agent = NULL, lease_until = NULL
      WHERE campaign_id IN ('${full_campaign#campaigns/}', '${worked_campaign#campaigns/}')
      AND agent LIKE 'bench-agent-%'" >/dev/null
    H2LOAD=$CONTACT_NEXTCALL
    run_load contact-next-call-full "NextCall, $CONTACT_AGENTS agents, on a list of $CONTACT_BUILD_CONTACTS contacts untouched" \
      contact "$CONTACT_SVC.CampaignService/NextCall" nextcall "$WORK/contact-full-campaign.txt" \
      --tokens-file="$WORK/contact-agents.txt"
    run_load contact-next-call-worked "NextCall, $CONTACT_AGENTS agents, on the same list 90 % worked through" \
      contact "$CONTACT_SVC.CampaignService/NextCall" nextcall "$WORK/contact-worked-campaign.txt" \
      --tokens-file="$WORK/contact-agents.txt"
    H2LOAD=$H2LOAD_SAVED
  done
  end_rounds
  merge_rounds contact-next-call-full contact-next-call-worked
  declare_ratio contact-next-call-worked "NextCall on a list 90 % worked through / on the same list untouched" \
    contact-next-call-worked contact-next-call-full 0.8 "The list's first 90 % finished or leased elsewhere: NextCall reads partial indexes that hold only the rows it may take (migration 0008)."
fi
