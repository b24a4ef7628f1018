#!/usr/bin/env bash
# `make test-busy`: the whole suite while a second whole suite runs beside it on the same cores,
# ROUNDS times (default 1). A test whose verdict depends on the machine's speed fails here: CI
# runs on shared machines like ours, and a quiet `make test` hides such tests.
#
# The load is the same suite, started again each time it ends, until the measured run is over;
# a load run that finished and failed counts as a failure too (it ran busy as well).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=${PYTEST:-.venv/bin/pytest}
ROUNDS=${ROUNDS:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/revue-busy.XXXXXX")
failed=0

for round in $(seq "$ROUNDS"); do
    # In a session of its own, so that it and every process its tests start can be stopped.
    setsid bash -c '
        n=0
        while true; do
            n=$((n + 1))
            rm -rf "$0/load-tmp"
            "$1" -q -p no:cacheprovider --basetemp="$0/load-tmp" >"$0/load-$2-$n.log" 2>&1
            echo "$?" >"$0/load-$2-$n.rc"
        done' "$WORK" "$PYTEST" "$round" &
    load=$!
    started=$(date +%s)
    "$PYTEST" -p no:cacheprovider --basetemp="$WORK/main-tmp" "$@"
    rc=$?
    kill -TERM -- "-$load" 2>/dev/null  # the loop, the pytest it runs and what that started
    wait "$load" 2>/dev/null
    echo "busy round $round: the suite exited $rc in $(($(date +%s) - started)) s beside a second one"
    [ "$rc" -eq 0 ] || failed=1
    for code in "$WORK"/load-"$round"-*.rc; do
        [ -e "$code" ] || continue
        log=${code%.rc}.log
        if [ "$(cat "$code")" -eq 0 ]; then
            echo "  load run $(basename "$log" .log): passed ($(grep -E "[0-9]+ passed" "$log" | tail -n 1))"
        else
            echo "  load run $(basename "$log" .log): FAILED, see $log"
            grep -E "^(FAILED|ERROR)" "$log" | head -n 20
            failed=1
        fi
    done
done
rm -rf "$WORK/load-tmp" "$WORK/main-tmp"
echo "the load runs' logs: $WORK"
exit "$failed"
