# shellcheck shell=bash
# Section insights (sourced by scripts/bench.sh): GetAccountOverview against the slowest call it
# makes, and its p99 with one of those services stopped.
#
# The overview reads the account, its insights and recommendations locally (from the insights
# process's memory while nothing they show changed: services/account/src/insights_local_cache.h;
# BENCH_OVERVIEW_LOCAL_TTL=0 reads them from PostgreSQL on every call instead) and takes contact's
# key contacts (ListKeyContacts), service-quality's open cases (ListCases) and pricing-terms'
# active terms (ListTradingTerms) from its Redis cache, asking a service only for what the cache
# does not hold current (README "The overview's cache"). Key contacts with personal data are
# never cached (contact logs each response carrying them), so for the bench's admin token the
# overview calls ListKeyContacts every time: that call, made directly with the same request and
# token, is the ratio's baseline. The other two calls are measured beside it for reference (they
# were the fan-out before the cache). The ratio's floor runs in the same rounds:
# accord-bench-overview-floor serves GetAccountOverview through Accord's runtime with the
# overview's own fan-out (the same clients, identity and deadline) asking ListKeyContacts, and no
# work of the overview's own (no local parts, no cache); the five take turns in rounds. Then the overview as a
# service_supervisor (masked contacts: every part from the cache) once, and last contact is
# stopped and the overview, which answers without key contacts (named missing), must keep its p99
# under the deadline.

INSIGHTS_SVC=accord.account.v1.AccountInsightsService
INSIGHTS_BINS=("$BUILD_DIR/services/contact/accord-contact"
  "$BUILD_DIR/services/pricing-terms/accord-pricing-terms"
  "$BUILD_DIR/services/service-quality/accord-service-quality")
INSIGHTS_FLOOR_BIN="$BUILD_DIR/services/bench/accord-bench-overview-floor"
INSIGHTS_DEADLINE_MS=1500
insights_missing=""
for bin in "${INSIGHTS_BINS[@]}" "$INSIGHTS_FLOOR_BIN"; do [[ -x $bin ]] || insights_missing+=" ${bin#"$BUILD_DIR"/}"; done

if [[ -n $insights_missing ]]; then
  not_available insights-overview "GetAccountOverview" "not built:$insights_missing"
else
  # The peers verify accounts against the account service of the run; the second account process
  # ("insights") serves the overview and follows the peers' events (ACCORD_SERVICE_TOKEN), so the
  # sales seeded below reach its facts.
  SERVICE_TOKEN=$(env ACCORD_JWT_SECRET="$JWT_SECRET" ACCORD_JWT_ISSUER=accord-dev \
    ACCORD_JWT_AUDIENCE=accord "$ACCORDCTL" token --role integration --subject accord-services --ttl 2h)
  EXTRA_SERVICE_ENV=(ACCORD_MIGRATE_ON_START=true
    "ACCORD_ACCOUNT_ADDRESS=127.0.0.1:${GRPC_PORT[account]}"
    "ACCORD_CONTACT_PII_KEYS=bench1:$(head -c 32 /dev/urandom | base64)"
    "ACCORD_CONTACT_BLIND_INDEX_KEY=$(head -c 32 /dev/urandom | base64)")
  launch contact health "${INSIGHTS_BINS[0]}"
  launch pricing-terms health "${INSIGHTS_BINS[1]}"
  launch service-quality health "${INSIGHTS_BINS[2]}"
  EXTRA_SERVICE_ENV=("ACCORD_SERVICE_TOKEN=$SERVICE_TOKEN"
    "ACCORD_CONTACT_ADDRESS=127.0.0.1:${GRPC_PORT[contact]}"
    "ACCORD_PRICING_TERMS_ADDRESS=127.0.0.1:${GRPC_PORT[pricing-terms]}"
    "ACCORD_SERVICE_QUALITY_ADDRESS=127.0.0.1:${GRPC_PORT[service-quality]}"
    "ACCORD_INSIGHTS_OVERVIEW_DEADLINE=$INSIGHTS_DEADLINE_MS")
  if [[ -n ${BENCH_OVERVIEW_LOCAL_TTL:-} ]]; then
    EXTRA_SERVICE_ENV+=("ACCORD_INSIGHTS_OVERVIEW_LOCAL_TTL=$BENCH_OVERVIEW_LOCAL_TTL")
  fi
  launch insights health "$ACCOUNT_BIN"
  EXTRA_SERVICE_ENV+=(ACCORD_MIGRATE_ON_START=true)  # the floor's schema: the runtime's tables only
  launch insights-floor health "$INSIGHTS_FLOOR_BIN" --parts=key_contacts
  EXTRA_SERVICE_ENV=()

  # Seeded through the services' own APIs: an account with 5 key contacts, an active price list
  # and approved terms, 5 sales (what the overview shows) and 3 open cases.
  ictl() {
    env ACCORD_ACCOUNT_ADDR="127.0.0.1:${GRPC_PORT[insights]}" \
      ACCORD_CONTACT_ADDR="127.0.0.1:${GRPC_PORT[contact]}" \
      ACCORD_PRICING_TERMS_ADDR="127.0.0.1:${GRPC_PORT[pricing-terms]}" \
      ACCORD_SERVICE_QUALITY_ADDR="127.0.0.1:${GRPC_PORT[service-quality]}" \
      ACCORD_JWT_SECRET="$JWT_SECRET" ACCORD_JWT_ISSUER=accord-dev ACCORD_JWT_AUDIENCE=accord \
      "$ACCORDCTL" "$@" 2>>"$LOG_DIR/insights-seed.log"
  }
  say "insights: seeding an account with contacts, terms, sales and cases"
  today=$(date -u +%F)
  acme=$(ictl accounts create --display-name "Overview Bench" --type commercial --tier key \
    --subject bench | jq -r .name)
  for i in 1 2 3 4 5; do
    person=$(ictl contacts create --given-name "Buyer$i" --family-name Bench --job-title Purchasing \
      | jq -r .name)
    ictl relations add "$person" "$acme" --role buyer,key-contact $( ((i == 1)) && echo --primary) \
      >/dev/null
  done
  list=$(ictl price-lists create --display-name "Bench list" --currency EUR --valid-from "$today" \
    --as pricing_manager --subject pia)
  ictl price-lists update "$(jq -r .name <<<"$list")" --etag "$(jq -r .etag <<<"$list")" \
    --status active --as pricing_manager --subject pia >/dev/null
  list=$(jq -r .name <<<"$list")
  for sku in A B C; do
    ictl items upsert "$list" --sku "$sku" --product-name "Product $sku" --category tools \
      --unit each --price 12.50 >/dev/null
  done
  terms=$(ictl terms create "$acme" --price-list "$list" --valid-from "$today" \
    --rule category=tools:5 --as account_manager --subject bench)
  terms=$(ictl terms submit "$(jq -r .name <<<"$terms")" --etag "$(jq -r .etag <<<"$terms")" \
    --as account_manager --subject bench)
  ictl terms approve "$(jq -r .name <<<"$terms")" --etag "$(jq -r .etag <<<"$terms")" \
    --as pricing_manager --subject pia >/dev/null
  for lines in A:2 B:1 C:4 A:1 B:3; do
    ictl sales create "$acme" --line "$lines" --line A:1 --payment invoice --delivery ship \
      --price-list "$list" >/dev/null
  done
  for kind in complaint enquiry request; do
    ictl cases create --account "$acme" --channel email --kind "$kind" --category damaged-goods \
      --description "Bench case" --impact medium --urgency medium --assignee ann >/dev/null
  done
  # The overview's recent sales are what the insights process learned from pricing's events.
  for ((i = 0; i < 100; i++)); do
    seen=$(ictl accounts overview "$acme" --json | jq '[(.recentSales // [] | length), (.keyContacts // [] | length),
      (.openCases // [] | length), (.activeTerms // [] | length), (.missing // [] | length)] | join(" ")' -r) || seen=""
    [[ $seen == "5 5 3 1 0" ]] && break
    sleep 0.2
  done
  say "insights: overview of $acme has sales, contacts, cases, terms, missing: ${seen:-none}"

  if [[ $seen != "5 5 3 1 0" ]]; then
    not_available insights-overview "GetAccountOverview" \
      "the seeded account's overview never showed 5 sales, 5 contacts, 3 cases, 1 terms and nothing missing (got: ${seen:-no answer}; log: ${LOG_DIR#"$ROOT"/}/insights-seed.log)"
  else
    frame_json() {  # OUT MESSAGE JSON
      "$FRAME" --type=json --message="$2" --json="$3" --out="$1"
    }
    frame_json "$WORK/overview.bin" accord.account.v1.GetAccountOverviewRequest \
      "{\"name\": \"$acme/overview\"}"
    frame_json "$WORK/key-contacts.bin" accord.contact.v1.ListKeyContactsRequest \
      "{\"account\": \"$acme\"}"
    frame_json "$WORK/open-cases.bin" accord.quality.v1.ListCasesRequest \
      "$(jq -cn --arg a "$acme" '{filter: "account = \"\($a)\" AND status != RESOLVED AND status != CLOSED", pageSize: 50}')"
    frame_json "$WORK/active-terms.bin" accord.pricing.v1.ListTradingTermsRequest \
      "{\"parent\": \"$acme\", \"filter\": \"status = ACTIVE\", \"pageSize\": 20}"

    for ((round = 1; round <= ROUNDS; round++)); do
      begin_round "$round"
      run_h2load insights-overview "GetAccountOverview, every service up (3 calls fanned out)" \
        insights "$INSIGHTS_SVC/GetAccountOverview" "$WORK/overview.bin"
      run_h2load insights-key-contacts "ListKeyContacts, the overview's call to contact" contact \
        accord.contact.v1.ContactAccountRelationService/ListKeyContacts "$WORK/key-contacts.bin"
      run_h2load insights-overview-floor \
        "GetAccountOverview's floor: its fan-out to ListKeyContacts through the runtime, nothing of its own" \
        insights-floor "$INSIGHTS_SVC/GetAccountOverview" "$WORK/overview.bin"
      run_h2load insights-open-cases "ListCases (open, of the account), the overview's call to service-quality" \
        service-quality accord.quality.v1.CaseService/ListCases "$WORK/open-cases.bin"
      run_h2load insights-active-terms "ListTradingTerms (active), the overview's call to pricing-terms" \
        pricing-terms accord.pricing.v1.TradingTermsService/ListTradingTerms "$WORK/active-terms.bin"
    done
    end_rounds
    merge_rounds insights-overview insights-key-contacts insights-overview-floor insights-open-cases \
      insights-active-terms

    declare_ratio insights-overview "GetAccountOverview / the one call it makes (ListKeyContacts)" \
      insights-overview insights-key-contacts 0.5 \
      "open cases and active terms come from the overview's cache; key contacts with personal data (an admin's) are asked of contact on every call, made directly in the same rounds"
    declare_ratio insights-overview-floor \
      "Overview floor (the fan-out to ListKeyContacts, no local parts) / ListKeyContacts: the ratio's floor" \
      insights-overview-floor insights-key-contacts null \
      "accord-bench-overview-floor: the runtime, the overview's client call to contact and its answer; no PostgreSQL, no Redis"
    declare_ratio insights-overview-own \
      "GetAccountOverview / its floor" insights-overview insights-overview-floor null \
      "what the overview's own work (the local statement, the cache lookup, the worker hop) costs beyond its call to contact"

    # A caller who sees contacts masked: every peer part from the cache.
    SUPERVISOR_TOKEN=$(env ACCORD_JWT_SECRET="$JWT_SECRET" ACCORD_JWT_ISSUER=accord-dev \
      ACCORD_JWT_AUDIENCE=accord "$ACCORDCTL" token --role service_supervisor --subject bench-sue --ttl 2h)
    insights_headers=("${H2_HEADERS[@]}")
    H2_HEADERS=(-H 'content-type: application/grpc' -H 'te: trailers'
      -H "authorization: Bearer $SUPERVISOR_TOKEN")
    run_h2load insights-overview-cached \
      "GetAccountOverview as a service_supervisor (masked contacts: every peer part cached)" insights \
      "$INSIGHTS_SVC/GetAccountOverview" "$WORK/overview.bin"
    H2_HEADERS=("${insights_headers[@]}")
    declare_ratio insights-overview-cached \
      "GetAccountOverview with every peer part cached (service_supervisor) / ListKeyContacts" \
      insights-overview-cached insights-key-contacts null \
      "for reference: what the overview costs when it calls no other service (not in the same rounds)"

    say "insights: stopping contact; the overview answers without key contacts"
    stop_named contact
    run_h2load insights-overview-contact-down \
      "GetAccountOverview with contact stopped (key contacts named missing)" insights \
      "$INSIGHTS_SVC/GetAccountOverview" "$WORK/overview.bin"
    declare_latency_target insights-overview-contact-down \
      "GetAccountOverview p99 with contact stopped, under its ${INSIGHTS_DEADLINE_MS} ms deadline" \
      insights-overview-contact-down $((INSIGHTS_DEADLINE_MS * 1000))
  fi
fi
