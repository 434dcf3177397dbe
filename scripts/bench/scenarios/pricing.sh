# shellcheck shell=bash
# shellcheck disable=SC2034,SC2153  # sourced by scripts/bench.sh: its variables (ROUND, SERVICE_PID, ...)
# The pricing-terms section of scripts/bench.sh (see README.md here; targets and method in
# docs/performance.md, "Pricing-terms"):
#   - PriceQuote of 20 lines against active terms with 200 discount rules in scope of every line,
#     warm, against the bare no-op in the same rounds; the service's CPU per line in the note;
#   - ImportPriceListItems of BENCH_PRICING_ITEMS items (default 100 000; smoke 5 000) through
#     `accordctl price-lists import`, against `psql \copy` of the same rows into the same table,
#     taking turns in rounds, each round into fresh lists;
#   - AcceptQuote (CreateSale from a saved, accepted quote), each call on a quote of its own
#     (seeded in SQL as copies of one accepted quote; accord-bench-h2load --template fills
#     sale.quote from a names file), against pgbench replaying the transaction the service ran
#     for a probe call, each pgbench transaction on the next seeded quote of its own;
#   - the service's idle RSS (the report's process table) against 40 MB.

PRICING_BIN="$BUILD_DIR/services/pricing-terms/accord-pricing-terms"
PRICING_ITEMS=${BENCH_PRICING_ITEMS:-$((SMOKE ? 5000 : 100000))}
# Quotes seeded for AcceptQuote: each is sold once, by the service (the first ones, a round's
# share per round) or by pgbench (the rest, in turn).
PRICING_SALE_QUOTES=${BENCH_PRICING_SALE_QUOTES:-$((SMOKE ? 16000 : 90000))}
PRICING_PGBENCH_QUOTES=${BENCH_PRICING_PGBENCH_QUOTES:-$((SMOKE ? 40000 : 250000))}
PRICING_ACCOUNT="accounts/$(seeded_id 1)"
PRICING_SVC=accord.pricing.v1

pricing_ctl() {
  "$ACCORDCTL" "$@" --addr="127.0.0.1:${GRPC_PORT[pricing]}" --token="${PRICING_TOKEN:-$TOKEN}"
}
# Terms are approved by someone other than their author (the policy sets no authority of its own
# for admin's drafts).
PRICING_APPROVER_TOKEN=$(env ACCORD_JWT_SECRET="$JWT_SECRET" ACCORD_JWT_ISSUER=accord-dev \
  ACCORD_JWT_AUDIENCE=accord "$ACCORDCTL" token --role admin --subject bench-approver --ttl 2h)

# A new ACTIVE price list in EUR; prints its name.
pricing_new_list() {  # DISPLAY_NAME
  local created name
  created=$(pricing_ctl price-lists create --display-name="$1" --currency=EUR \
    --valid-from=2026-01-01) || die "pricing: could not create a price list"
  name=$(jq -r .name <<<"$created")
  pricing_ctl price-lists update "$name" --etag="$(jq -r .etag <<<"$created")" --status=active \
    >/dev/null || die "pricing: could not activate $name"
  printf '%s\n' "$name"
}

if [[ ! -x $PRICING_BIN ]]; then
  not_available pricing-quote "PriceQuote, 20 lines, 200 rules in scope (warm)" "$PRICING_BIN is not built"
else
  say "pricing: starting the service (migrating its schema)"
  EXTRA_SERVICE_ENV=(ACCORD_MIGRATE_ON_START=true
    "ACCORD_ACCOUNT_ADDRESS=127.0.0.1:${GRPC_PORT[account]}")
  launch pricing health "$PRICING_BIN"
  EXTRA_SERVICE_ENV=()
  say "pricing: idle RSS $((IDLE_RSS[pricing] / 1024)) MB (target below 40 MB)"

  # --- the quote: 20 items in tools/power/drills, 200 category rules that all apply -------------
  QUOTE_LIST=$(pricing_new_list "Bench quote list")
  {
    echo "sku,product_name,category,unit,unit_price"
    for ((i = 1; i <= 20; i++)); do printf 'Q-%02d,Drill %d,tools/power/drills,each,%d.90\n' "$i" "$i" $((100 + i)); done
  } >"$WORK/pricing-quote-items.csv"
  pricing_ctl price-lists import "$QUOTE_LIST" "$WORK/pricing-quote-items.csv" \
    --errors="$WORK/pricing-quote-items.errors.csv" >/dev/null 2>&1 \
    || die "pricing: could not import the quote items"
  # Three scopes x 67 quantity thresholds (distinct, so the terms are valid); lines of 100 units
  # reach every one of them.
  rules=()
  scopes=(tools tools/power tools/power/drills)
  for ((i = 0; i < 200; i++)); do
    rules+=("--rule=category=${scopes[i % 3]}:$((1 + i % 30))@$((i / 3 + 1))")
  done
  draft=$(pricing_ctl terms create "$PRICING_ACCOUNT" --price-list="$QUOTE_LIST" "${rules[@]}" \
    --valid-from=2026-01-01 --net-days=30) || die "pricing: could not draft the bench terms"
  name=$(jq -r .name <<<"$draft")
  pending=$(pricing_ctl terms submit "$name" --etag="$(jq -r .etag <<<"$draft")") \
    || die "pricing: could not submit $name"
  PRICING_TOKEN=$PRICING_APPROVER_TOKEN pricing_ctl terms approve "$name" \
    --etag="$(jq -r .etag <<<"$pending")" >/dev/null || die "pricing: could not approve $name"
  lines=$(for ((i = 1; i <= 20; i++)); do printf '{"sku":"Q-%02d","quantity":100}\n' "$i"; done | jq -sc .)
  "$FRAME" --type=json --message=accord.pricing.v1.PriceQuoteRequest \
    --json="{\"account\":\"$PRICING_ACCOUNT\",\"lines\":$lines}" --out="$WORK/pricing-quote.bin"
  # The BASIC view (the default): each line's losing rules counted by reason, not listed. A no-op
  # through Accord's runtime answering as many bytes is measured in the same rounds: the floor
  # that sending the answer sets.
  probe=$(h2load -n 1 -c 1 -m 1 -t 1 --data="$WORK/pricing-quote.bin" "${H2_HEADERS[@]}" \
    "http://127.0.0.1:${GRPC_PORT[pricing]}/$PRICING_SVC.QuoteService/PriceQuote" 2>&1)
  quote_bytes=$(sed -nE 's/^traffic:.* \(([0-9]+)\) data$/\1/p' <<<"$probe")
  [[ $quote_bytes =~ ^[0-9]+$ && $quote_bytes -gt 10 ]] || die "pricing: could not price the bench quote: $probe"
  say "pricing: a quote's answer is $((quote_bytes - 5)) bytes"
  EXTRA_SERVICE_ENV=(ACCORD_MIGRATE_ON_START=true)
  launch pricing-noop-sized health "$NOOP" --accord-runtime --response-bytes=$((quote_bytes - 10))
  EXTRA_SERVICE_ENV=()

  for ((round = 1; round <= ROUNDS; round++)); do
    begin_round "$round"
    run_h2load pricing-noop-bare "No-op, bare gRPC callback server (pricing's rounds)" noop-bare \
      "$NOOP_METHOD" "$WORK/noop.bin"
    run_h2load pricing-quote "PriceQuote, 20 lines, 200 rules in scope of each (warm)" pricing \
      "$PRICING_SVC.QuoteService/PriceQuote" "$WORK/pricing-quote.bin"
    run_h2load pricing-noop-sized "No-op through Accord's runtime answering as many bytes as the quote" \
      pricing-noop-sized "$NOOP_METHOD" "$WORK/noop.bin"
  done
  end_rounds
  merge_rounds pricing-noop-bare pricing-quote pricing-noop-sized
  per_line=$(jq -r 'if .cpu_us_per_request then (.cpu_us_per_request / 20 | . * 10 | round / 10 | tostring) else "-" end' \
    "$RESULTS/pricing-quote.json")
  declare_ratio pricing-quote "PriceQuote (20 lines, 200 rules) / bare no-op" pricing-quote \
    pricing-noop-bare 0.5 "the service's CPU per quote line: $per_line us"
  declare_ratio pricing-quote-floor "Runtime no-op answering a quote's bytes / bare no-op: the quote ratio's floor" \
    pricing-noop-sized pricing-noop-bare null "$((quote_bytes - 5)) bytes per answer; no pricing at all"
  declare_ratio pricing-quote-sized "PriceQuote / runtime no-op answering as many bytes" pricing-quote \
    pricing-noop-sized null "what pricing and explaining cost beyond sending the answer"

  # --- the import: the same rows through the service and through psql \copy --------------------
  awk -v n="$PRICING_ITEMS" 'BEGIN {
      print "sku,product_name,category,unit,unit_price,unit_cost,quantity_breaks"
      for (i = 1; i <= n; i++)
        printf "SKU-%07d,Product %d,tools/power/c%d,each,%d.%02d,%d.00,100:%d.00\n", i, i, i % 50, 10 + i % 900, i % 100, 5 + i % 400, 9 + i % 900
    }' >"$WORK/pricing-import.csv"
  for ((round = 1; round <= ROUNDS; round++)); do
    begin_round "$round"
    list=$(pricing_new_list "Bench import $round")
    register_scenario pricing-import
    say "pricing-import: accordctl price-lists import, $PRICING_ITEMS rows"
    SERVICE_PID=${PID[pricing]}
    snapshot_begin
    set +e
    pricing_ctl price-lists import "$list" "$WORK/pricing-import.csv" \
      --errors="$WORK/pricing-import.errors.csv" >"$WORK/pricing-import.r$round.out" 2>&1
    status=$?
    set -e
    snap=$(snapshot_end)
    rows_result pricing-import "ImportPriceListItems of $PRICING_ITEMS items (accordctl price-lists import)" \
      accordctl "$PRICING_ITEMS" "$snap" "$status" "$(tail -c 300 "$WORK/pricing-import.r$round.out")"

    # The rows the import stored, for another list (new ids), copied in as psql would.
    copy_list=$(pricing_new_list "Bench copy $round")
    psql_db -d accord -c "\\copy (SELECT '${copy_list#priceLists/}'::uuid, sku, md5(sku || '$copy_list')::uuid, product_name, category, unit, body FROM pricing_terms.price_list_items WHERE price_list_id = '${list#priceLists/}') TO '$WORK/pricing-copy.tsv'" >/dev/null
    register_scenario pricing-copy
    say "pricing-copy: psql \\copy of the same $PRICING_ITEMS rows into pricing_terms.price_list_items"
    SERVICE_PID=""
    snapshot_begin
    set +e
    psql_db -d accord -c "\\copy pricing_terms.price_list_items (price_list_id, sku, id, product_name, category, unit, body) FROM '$WORK/pricing-copy.tsv'" \
      >"$WORK/pricing-copy.r$round.out" 2>&1
    status=$?
    set -e
    snap=$(snapshot_end)
    rows_result pricing-copy "psql \\copy of the same $PRICING_ITEMS rows into the same table" \
      psql "$PRICING_ITEMS" "$snap" "$status" "$(tail -c 300 "$WORK/pricing-copy.r$round.out")"
  done
  end_rounds
  merge_rounds pricing-import pricing-copy
  declare_ratio pricing-import "ImportPriceListItems / psql \\copy (rows per second)" pricing-import \
    pricing-copy 0.5 "COPY into a staging table, one merge with each item's history, one event"

  # --- AcceptQuote: a sale from a quote of its own per call ------------------------------------
  # One accepted quote of one line from the quote list, on a seeded account without terms (a
  # small body), copied in SQL under deterministic ids: 0 for the probe, 1..SALE for the service,
  # the rest for pgbench, which takes the next one from a sequence per transaction.
  sale_account="accounts/$(seeded_id 2)"
  quote=$(pricing_ctl quotes create "$sale_account" --price-list="$QUOTE_LIST" --line=Q-01:3 \
    --expire-date=2099-12-31) || die "pricing: could not create the AcceptQuote quote"
  sent=$(pricing_ctl quotes update "$(jq -r .name <<<"$quote")" --etag="$(jq -r .etag <<<"$quote")" \
    --status=sent) || die "pricing: could not send the quote"
  pricing_ctl quotes update "$(jq -r .name <<<"$sent")" --etag="$(jq -r .etag <<<"$sent")" \
    --status=accepted >/dev/null || die "pricing: could not accept the quote"
  say "pricing: seeding $((1 + PRICING_SALE_QUOTES + PRICING_PGBENCH_QUOTES)) accepted quotes"
  psql_db -d accord >/dev/null <<SQL || die "pricing: could not seed the quotes"
CREATE OR REPLACE FUNCTION public.bench_quote_id(i bigint) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS \$\$ SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(i), 12, '0'))::uuid \$\$;
DROP SEQUENCE IF EXISTS public.bench_pricing_quote;
CREATE SEQUENCE public.bench_pricing_quote START $((PRICING_SALE_QUOTES + 1));
INSERT INTO pricing_terms.quotes (id, account_id, status, author, body)
  SELECT public.bench_quote_id(i), q.account_id, q.status, q.author, q.body
  FROM pricing_terms.quotes q, generate_series(0, $((PRICING_SALE_QUOTES + PRICING_PGBENCH_QUOTES))) i
  WHERE q.id = '$(jq -r .name <<<"$quote" | sed 's|^quotes/||')';
ANALYZE pricing_terms.quotes;
SQL
  psql_db -d accord -At -c "SELECT 'quotes/' || public.bench_quote_id(i) FROM generate_series(1, $PRICING_SALE_QUOTES) i" \
    >"$WORK/pricing-sale-quotes.txt"
  sale_json() {  # QUOTE (may be empty: the names file fills it)
    jq -cn --arg account "$sale_account" --arg quote "$1" '{sale: ({account: $account,
      paymentMethod: "PAYMENT_METHOD_INVOICE", delivery: {method: "DELIVERY_METHOD_SHIP"}}
      + (if $quote == "" then {} else {quote: $quote} end))}'
  }
  "$FRAME" --type=json --message=accord.pricing.v1.CreateSaleRequest --json="$(sale_json "")" \
    --out="$WORK/pricing-sale-template.bin"
  probe_quote=$(psql_db -d accord -At -c "SELECT public.bench_quote_id(0)")
  "$FRAME" --type=json --message=accord.pricing.v1.CreateSaleRequest \
    --json="$(sale_json "quotes/$probe_quote")" --out="$WORK/probe-sale.bin"
  # capture_pgbench probes the account service's port: pointed at this service for the one call.
  account_port=${GRPC_PORT[account]}
  GRPC_PORT[account]=${GRPC_PORT[pricing]}
  capture_pgbench pgbench-accept-quote "$WORK/probe-sale.bin" "$PRICING_SVC.QuoteService/CreateSale" \
    "$probe_quote" "$probe_quote" 'public.bench_quote_id(:q)::text' \
    "SELECT nextval('public.bench_pricing_quote') AS q \\gset"
  GRPC_PORT[account]=$account_port

  checkpoint
  for ((round = 1; round <= ROUNDS; round++)); do
    begin_round "$round"
    run_load pricing-accept "AcceptQuote (CreateSale from an accepted quote, a quote of its own per call)" \
      pricing "$PRICING_SVC.QuoteService/CreateSale" get "$(names_slice "$WORK/pricing-sale-quotes.txt")" \
      --method="/$PRICING_SVC.QuoteService/CreateSale" --template="$WORK/pricing-sale-template.bin" \
      --name-field=1.3
    run_pgbench pgbench-accept-quote "pgbench: AcceptQuote's transaction (the next seeded quote each)"
    run_pgbench pgbench-accept-quote-rt "pgbench: AcceptQuote's transaction in the service's round trips (pipelined)"
  done
  end_rounds
  merge_rounds pricing-accept pgbench-accept-quote pgbench-accept-quote-rt
  declare_ratio pricing-accept "AcceptQuote / pgbench of its transaction" pricing-accept \
    pgbench-accept-quote 0.8 "The service also asks the account service for the account on every call; pgbench takes its quote id from a sequence in one extra round trip."
  declare_ratio pricing-accept-rt "AcceptQuote / pgbench of its transaction in the service's round trips" \
    pricing-accept pgbench-accept-quote-rt null "The same transaction pipelined as the service sends it."
fi
