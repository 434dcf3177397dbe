# shellcheck shell=bash
# Section gateway (sourced by scripts/bench.sh): GetAccount as JSON over HTTP/1.1 through
# accord-gateway against the same call made directly over gRPC, in the same rounds; with the
# gateway's CPU per call, its p99 and its idle RSS. A third scenario is the floor of any HTTP/1.1
# front on this machine: the gateway serving a static file as large as the account's JSON (its
# own Beast server, no transcoding, no gRPC call), driven the same way.
#
# The direct call is h2load with the warm read's frame (4 connections x 8 streams); the HTTP ones
# are h2load --h1 with 32 kept-alive connections, one request at a time on each (HTTP/1.1 has no
# multiplexing), so both keep 32 calls in flight. Between the static file and the JSON call, the
# same GetAccount as gRPC-Web through the gateway (the request frame passed on, the answer's bytes
# framed back: the HTTP front and the gRPC call without any JSON) splits the gateway's cost.

GATEWAY_BIN="$BUILD_DIR/services/gateway/accord-gateway"

# h2load --h1 requests of PATH on the gateway (GETs, or POSTs with the H2LOAD_ARGS given after
# it); the account service's GetAccount counters are the server-side verdict when COUNTED is
# "account" (each request is one call to it).
run_gateway_h1() {  # NAME TITLE PATH COUNTED(account|none) [H2LOAD_ARGS...]
  local name=$1 title=$2 path=$3 counted=$4
  shift 4
  local out log url="http://127.0.0.1:$GATEWAY_HTTP_PORT$path" warm_rate requests before after snap
  out="$(work_file "$name").h2load.txt" log="$(work_file "$name").h2load.log"
  local h1=(--h1 -c "$GATEWAY_CONNECTIONS" -m 1 -t 1 -H "authorization: Bearer $TOKEN" "$@")
  register_scenario "$name"
  h2load -D "$WARM" "${h1[@]}" "$url" >"$out.warmup" 2>&1 || true
  warm_rate=$(h2load_json "$out.warmup" | jq '.rps | floor')
  requests=$(((warm_rate * MEASURE > 20 * GATEWAY_CONNECTIONS) ? warm_rate * MEASURE : 20 * GATEWAY_CONNECTIONS))
  say "$name: h2load --h1 -c $GATEWAY_CONNECTIONS -n $requests (${WARM}s warm-up at $warm_rate/s)"
  rm -f -- "$log"
  before='{}'
  [[ $counted == account ]] && before=$(settled_codes account "$ACCOUNT_SVC/GetAccount")
  SERVICE_PID=${PID[gateway]}
  snapshot_begin
  set +e
  ( h2load -n "$requests" "${h1[@]}" --log-file="$log" "$url" >"$out" 2>&1
    echo "exit $?" >>"$out"
    times >"$out.times" )
  set -e
  snap=$(snapshot_end)
  local client latency verdict
  client=$(h2load_json "$out")
  latency=$(latency_json 3 "$log")
  if [[ $counted == account ]]; then
    after=$(settled_codes account "$ACCOUNT_SVC/GetAccount")
    verdict=$(server_verdict "$before" "$after" "$(jq .done <<<"$client")")
  else
    verdict=$(jq -n --argjson c "$client" '{ok: $c.status_2xx, non_ok: {}, reasons: []}')
  fi
  jq -n --arg name "$name" --arg title "$title" --arg path "$path" \
    --argjson client "$client" --argjson latency "$latency" --argjson verdict "$verdict" \
    --argjson snap "$snap" --argjson c "$GATEWAY_CONNECTIONS" --argjson round "$ROUND" \
    --argjson w "$WARM" --argjson n "$requests" --arg log "$log" \
    --argjson client_cpu "$(times_children_seconds "$out.times")" \
    --argjson rss "$(proc_rss_kb "${PID[gateway]}")" --argjson hwm "$(proc_hwm_kb "${PID[gateway]}")" \
    --argjson idle "${IDLE_RSS[gateway]}" \
    --arg exit "$(sed -n 's/^exit //p' "$out")" '
    ([ $verdict.reasons[],
       (if $exit != "0" then "h2load exited \($exit)" else empty end),
       (if ($client.failed + $client.errored + $client.timeout) > 0 then "h2load: \($client.failed) failed, \($client.errored) errored, \($client.timeout) timeout" else empty end),
       (if $client.status_other > 0 then "h2load: \($client.status_other) non-2xx HTTP responses" else empty end),
       (if $client.done != $n then "h2load finished \($client.done) of \($n) requests" else empty end) ]) as $reasons
    | { name: $name, round: $round, title: $title, driver: "h2load --h1", service: "gateway",
        method: "GET \($path)", connections: $c, streams_per_connection: 1, in_flight: $c,
        warmup_seconds: $w, requests: $n, duration_seconds: $snap.wall_seconds,
        latency_source: {files: [$log], column: 3},
        status: (if ($reasons | length) > 0 then "FAILED" else "OK" end), reasons: $reasons,
        qps: $client.rps, requests_done: $client.done, latency_us: $latency,
        server_ok_calls: $verdict.ok, server_non_ok_calls: $verdict.non_ok,
        cpu_us_per_request: (if $client.status_2xx > 0 then 1e6 * $snap.service_cpu_seconds / $client.status_2xx else null end),
        context_switches_per_request: (if $client.status_2xx > 0 then $snap.service_context_switches / $client.status_2xx else null end),
        client_cpu_pct: (100 * $client_cpu / $snap.wall_seconds),
        resources: $snap, rss_kb: $rss, peak_rss_kb: $hwm, idle_rss_kb: $idle }' \
    >"$(result_file "$name")"
  report_line "$(result_file "$name")"
}

if [[ ! -x $GATEWAY_BIN ]]; then
  not_available gateway-get "GetAccount as JSON through accord-gateway" "not built: ${GATEWAY_BIN#"$BUILD_DIR"/}"
else
  GATEWAY_CONNECTIONS=$((CONNECTIONS * STREAMS))
  GATEWAY_HTTP_PORT=$(free_loopback_port)
  GATEWAY_STATIC="$WORK/gateway-static"
  mkdir -p "$GATEWAY_STATIC"
  EXTRA_SERVICE_ENV=("ACCORD_GATEWAY_HTTP_ADDRESS=127.0.0.1:$GATEWAY_HTTP_PORT"
    "ACCORD_ACCOUNT_ADDRESS=127.0.0.1:${GRPC_PORT[account]}"
    "ACCORD_GATEWAY_STATIC_DIR=$GATEWAY_STATIC"
    # One client address drives the whole load.
    "ACCORD_GATEWAY_MAX_CALLS_PER_CLIENT=$((2 * GATEWAY_CONNECTIONS))")
  launch gateway health "$GATEWAY_BIN"
  EXTRA_SERVICE_ENV=()
  say "gateway: idle RSS $((IDLE_RSS[gateway] / 1024)) MiB (target under 40 MiB)"

  # The static file is the account's own JSON as the gateway answers it.
  GATEWAY_PATH="/v1/$GET_NAME"
  if ! curl -sf --max-time 5 -H "authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$GATEWAY_HTTP_PORT$GATEWAY_PATH" -o "$GATEWAY_STATIC/account.json"; then
    not_available gateway-get "GetAccount as JSON through accord-gateway" \
      "GET $GATEWAY_PATH through the gateway failed (log: ${LOG_DIR#"$ROOT"/}/gateway.log)"
  else
    for ((round = 1; round <= ROUNDS; round++)); do
      begin_round "$round"
      run_h2load gateway-direct "GetAccount over gRPC, directly (the gateway's baseline)" account \
        "$ACCOUNT_SVC/GetAccount" "$WORK/get.bin"
      run_gateway_h1 gateway-get "GetAccount as JSON over HTTP/1.1 through accord-gateway" \
        "$GATEWAY_PATH" account
      run_gateway_h1 gateway-grpcweb \
        "GetAccount as gRPC-Web through accord-gateway (no JSON: HTTP front and gRPC call only)" \
        "/$ACCOUNT_SVC/GetAccount" account --data="$WORK/get.bin" \
        -H 'content-type: application/grpc-web+proto'
      run_gateway_h1 gateway-static \
        "The gateway serving a static file as large as the account's JSON (HTTP/1.1 floor, no transcoding)" \
        /account.json none
    done
    end_rounds
    merge_rounds gateway-direct gateway-get gateway-grpcweb gateway-static
    declare_ratio gateway-get "GetAccount JSON through the gateway / direct gRPC" gateway-get \
      gateway-direct 0.5 \
      "HTTP/1.1, 32 connections, against h2load over gRPC 4 x 8 streams; the gateway's CPU per call and p99 in its scenario"
    declare_ratio gateway-grpcweb "GetAccount gRPC-Web through the gateway (no JSON) / direct gRPC" \
      gateway-grpcweb gateway-direct null \
      "the same call with no transcoding: what the gateway's HTTP front plus its gRPC call reach"
    declare_ratio gateway-floor "Static file of the same size from the gateway / direct gRPC" \
      gateway-static gateway-direct null \
      "what an HTTP/1.1 front reaches here with no transcoding and no gRPC call behind it: the most the ratio above could be"
  fi
fi
