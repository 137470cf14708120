#!/usr/bin/env bash
# The whole suite, the same files on every runtime: Bun, Deno, Node 24, then the end-to-end tests again
# against the compiled executable. Ends with one line: "lessllm: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bin=./node_modules/.bin
logs=$(mktemp -d)
status=0

run() { # name, command...
  local name=$1; shift
  echo "══ $name: $*"
  "$@" 2>&1 | tee "$logs/$name.log"
  local code=${PIPESTATUS[0]}
  [ "$code" -eq 0 ] || { echo "══ $name failed (exit $code)"; status=1; }
}

# Types once, with tsc, for every runtime: deno test would otherwise type-check again each time a test
# starts a worker thread (the SQLite log writer), half a second each.
run typecheck "$bin/tsc" --noEmit
run bun "$bin/bun" test
NO_COLOR=1 run deno "$bin/deno" test -A --quiet --no-check
run node "$bin/node" --test 'src/**/*.test.ts' 'test/**/*.test.ts'
run build "$bin/bun" run build
if [ -x dist/lessllm ]; then
  export LESSLLM_TEST_COMMAND=dist/lessllm
  run compiled "$bin/node" --test 'test/e2e/**/*.test.ts' 'test/mcp/*.test.ts' test/telemetry/e2e.test.ts test/observability/dashboard-queries.test.ts test/faults/shutdown.test.ts test/faults/connection-burst.test.ts test/security/keys-and-limits.test.ts
  unset LESSLLM_TEST_COMMAND
fi

# Sum what each runner reported, in its own words.
count() { grep -hoE "$1" "$logs"/$2.log 2>/dev/null | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}'; }
passed=$(( $(count '^ *[0-9]+ pass$' bun) + $(count 'passed \([0-9]+ steps\)' deno) + $(count '^ℹ pass [0-9]+' node) + $(count '^ℹ pass [0-9]+' compiled) ))
failed=$(( $(grep -c 'error TS' "$logs"/typecheck.log) + $(count '^ *[0-9]+ fail$' bun) + $(count '[0-9]+ failed' deno) + $(count '^ℹ fail [0-9]+' node) + $(count '^ℹ fail [0-9]+' compiled) ))
# CI shows only the tail of the output: first why each test failed (the start of its message, without
# stack frames, so that a flaky failure can be understood and replayed from the tail alone: the fuzzer
# prints its seed), then every failed test's name, last, where long messages cannot push it out of sight.
if [ "$failed" -ne 0 ]; then
  echo "══ why they failed"
  awk '/^\((pass|skip|todo)\) / || /^[^ ]+\.test\.[jt]s:$/ || /^bun test v/ {n=0; next}
    /^\(fail\) / {print "bun: " $0; for (i = (n > 30 ? n - 30 : 0); i < n; i++) print "  " lines[i]; n=0; next}
    /^ +at / || /^ *[0-9]+ \| / || /^ *\^$/ {next}
    /./ {lines[n++] = substr($0, 1, 300)}' "$logs"/bun.log 2>/dev/null
  sed -n '/^ ERRORS $/,/^ FAILURES $/p' "$logs"/deno.log 2>/dev/null | awk '/^ (ERRORS|FAILURES) $/ {next} /^[^ ].* => / {print "deno: " $0; n=0; next} /^ +at / || n >= 30 {next} /./ {print "  " substr($0, 1, 300); n++}'
  for runner in node compiled; do
    sed -n '/✖ failing tests:/,$p' "$logs"/$runner.log 2>/dev/null | awk -v runner=$runner '
      /^✖ failing tests:/ {next}
      /^✖ / {print runner ": " $0; keep=1; n=0; next}
      /^test at / {keep=0; next}
      keep && !/^ +at / && n < 30 {print substr($0, 1, 300); n++}'
  done
  echo "══ failed tests"
  grep -h 'error TS' "$logs"/typecheck.log 2>/dev/null | sed 's/^/typecheck: /'
  grep -hE '^\(fail\) ' "$logs"/bun.log 2>/dev/null | sed 's/^/bun: /'
  sed -n '/FAILURES/,$p' "$logs"/deno.log 2>/dev/null | grep -E ' => ' | sed 's/^/deno: /'
  for runner in node compiled; do
    sed -n '/✖ failing tests:/,$p' "$logs"/$runner.log 2>/dev/null | grep -E '^ *✖ ' | grep -v 'failing tests:' | sed "s/^ */$runner: /"
  done
fi
rm -rf "$logs"
[ "$failed" -eq 0 ] || status=1
echo "lessllm: $passed passed, $failed failed"
exit $status
