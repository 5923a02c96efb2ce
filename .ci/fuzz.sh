#!/usr/bin/env bash
# Short fuzz runs of every fuzz target (FUZZTIME each, default 10s): the seed
# corpora run in every `go test`; this explores past them.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
git grep -l '^func Fuzz' -- '*_test.go' | while read -r file; do
  pkg="./$(dirname "$file")"
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r target; do
    echo "fuzz $pkg $target ($fuzztime)"
    ok=0
    for attempt in 1 2 3; do
      if go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" >/tmp/fuzz.$$.log 2>&1; then
        ok=1; break
      fi
      # Go's fuzzing coordinator sometimes ends a run on a starved machine
      # with "context deadline exceeded" and no failing input: that is the
      # clock, not a finding (retried up to twice). A real failure writes its
      # input and is never retried.
      if grep -q 'Failing input written' /tmp/fuzz.$$.log || ! grep -q 'context deadline exceeded' /tmp/fuzz.$$.log; then
        break
      fi
      echo "  (fuzz run ended by its deadline without a failing input; retrying)"
    done
    if [ "$ok" != 1 ]; then
      cat /tmp/fuzz.$$.log; rm -f /tmp/fuzz.$$.log; exit 1
    fi
  done
done
rm -f /tmp/fuzz.$$.log
