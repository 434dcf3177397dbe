# shellcheck shell=bash disable=SC2034  # EXTRA_SERVICE_ENV and the like are read by bench.sh
# Service-quality's section of scripts/bench.sh (sourced; see README.md here): CreateCase against
# pgbench replaying the transaction it commits, and the service's idle RSS. A case opens on a
# seeded account with no contact, under an SLA policy on a calendar, so that the policy lookup and
# the deadlines are part of it. The account is read from the facts the service keeps from the
# account events (service_quality.account_facts); the account service, which bench.sh started, is
# asked over gRPC only the first time the account is seen. The sweep over 100 000 cases and the report over 1 000 000 are
# measured at scale elsewhere (scripts/bench/scale).

QUALITY_BIN="$BUILD_DIR/services/service-quality/accord-service-quality"
QUALITY_SVC=accord.quality.v1.CaseService
# More ACCORD_* settings for the service, e.g. BENCH_QUALITY_ENV="ACCORD_WORKER_THREADS=16".
read -r -a QUALITY_EXTRA_ENV <<<"${BENCH_QUALITY_ENV:-}"

if [[ ! -x $QUALITY_BIN ]]; then
  not_available create-case "CreateCase" "$QUALITY_BIN is not built"
  return 0
fi

say "quality: migrating the service-quality schema"
service_env 0 0
env "${SERVICE_ENV[@]}" "$QUALITY_BIN" migrate </dev/null >>"$LOG_DIR/quality.log" 2>&1 \
  || { tail -n 20 "$LOG_DIR/quality.log" >&2; die "service-quality migrate failed"; }
# The account service it asks; its events followed with the bench's token, as a deployment's
# service token would (the follower is part of what the service costs at rest).
EXTRA_SERVICE_ENV=(
  "ACCORD_ACCOUNT_ADDRESS=127.0.0.1:${GRPC_PORT[account]}"
  "ACCORD_SERVICE_TOKEN=$TOKEN"
  "${QUALITY_EXTRA_ENV[@]}"
)
launch quality health "$QUALITY_BIN"
EXTRA_SERVICE_ENV=()
# Its idle RSS (target under 40 MB) is in the report's process table, as `quality`.
quality_rss_kb=${IDLE_RSS[quality]}
say "quality: idle RSS $((quality_rss_kb / 1024)) MiB (target under 40 MB)"

# An SLA policy for HIGH priority (HIGH impact x MEDIUM urgency) on a working-week calendar.
quality_ctl() { "$ACCORDCTL" "$@" --addr "127.0.0.1:${GRPC_PORT[quality]}" --token "$TOKEN"; }
calendar=$(quality_ctl calendars create --display-name "Bench week" --time-zone Europe/Berlin \
  --hours "1-5 08:00-18:00" --holiday 2026-12-25 | jq -r .name) \
  || die "quality: could not create the calendar"
quality_ctl sla-policies create --display-name "Bench high" --priority high --first-response 2h \
  --resolution 16h --calendar "$calendar" >/dev/null || die "quality: could not create the policy"

# CreateCaseRequest as JSON: the same case on seeded account 42 each call (no request_id).
case_json() {  # DESCRIPTION
  jq -cn --arg account "accounts/$(seeded_id 42)" --arg description "$1" '
    {case: {account: $account, channel: "COMMUNICATION_CHANNEL_EMAIL", kind: "CASE_KIND_COMPLAINT",
            category: "CASE_CATEGORY_DAMAGED_GOODS", description: $description,
            impact: "LEVEL_HIGH", urgency: "LEVEL_MEDIUM", assignee: "bench-agent", team: "north",
            specialNeeds: [{kind: "SPECIAL_NEED_KIND_LANGUAGE", note: "prefers German"}]}}'
}
"$FRAME" --type=json --message=accord.quality.v1.CreateCaseRequest \
  --json="$(case_json "Pallet arrived crushed")" --out="$WORK/create-case.bin"
# The probe's own marker finds its transaction in the PostgreSQL log.
CASE_PROBE="bench-case-probe-$RANDOM$RANDOM"
"$FRAME" --type=json --message=accord.quality.v1.CreateCaseRequest \
  --json="$(case_json "$CASE_PROBE")" --out="$WORK/probe-create-case.bin"
# The case's commit trip starts with its timeline entries, and PostgreSQL logs the text of only
# the first prepared statement a query executes: the outbox append's text (which the script needs)
# comes from a signal recorded just before the probe, in the same log window, whose commit trip
# starts with it. capture_pgbench sends its probe to the account service's port: pointed at this
# service for the one call.
"$FRAME" --type=json --message=accord.quality.v1.CreateSignalRequest \
  --json="$(jq -cn --arg account "accounts/$(seeded_id 42)" '{signal: {account: $account,
    kind: "SIGNAL_KIND_RETURN", source: "bench", figure: 1}}')" --out="$WORK/probe-signal.bin"
# shellcheck disable=SC2317  # called by capture_pgbench
h2load() {
  command h2load -n 1 -c 1 -m 1 -t 1 --data="$WORK/probe-signal.bin" "${H2_HEADERS[@]}" \
    "http://127.0.0.1:${GRPC_PORT[quality]}/accord.quality.v1.SignalService/CreateSignal" >/dev/null 2>&1
  command h2load "$@"
}
account_port=${GRPC_PORT[account]}
GRPC_PORT[account]=${GRPC_PORT[quality]}
capture_pgbench pgbench-create-case "$WORK/probe-create-case.bin" "$QUALITY_SVC/CreateCase" \
  "$CASE_PROBE" none none
GRPC_PORT[account]=$account_port
unset -f h2load

checkpoint
for ((round = 1; round <= ROUNDS; round++)); do
  begin_round "$round"
  run_h2load create-case "CreateCase (seeded account from its kept facts, SLA policy, no request_id)" \
    quality "$QUALITY_SVC/CreateCase" "$WORK/create-case.bin"
  run_pgbench pgbench-create-case "pgbench: CreateCase's transaction"
  run_pgbench pgbench-create-case-rt "pgbench: CreateCase's transaction in the service's round trips (pipelined)"
done
end_rounds
merge_rounds create-case pgbench-create-case pgbench-create-case-rt
declare_ratio quality-create "CreateCase / pgbench of its transaction" create-case \
  pgbench-create-case 0.8 "The service also reads the account's kept facts and the SLA policy (outside the transaction) on every call."
declare_ratio quality-create-rt "CreateCase / pgbench of its transaction in the service's round trips" \
  create-case pgbench-create-case-rt null "The same transaction pipelined as the service sends it."
