#!/usr/bin/env bash
# The whole check, as CI runs it (through `make test`, which first installs the venv and builds the
# assets): Chromium for the browser tests, lint, types, then the test suite on SQLite and on PostgreSQL.
#
#   scripts/test.sh [PYTEST_ARG...]     extra arguments go to both pytest runs, e.g. -k openapi -x
#
# Every stage runs even when an earlier one fails, so one run shows everything that is wrong; the exit
# status is 0 only when every stage passed. Environment:
#   GOVHUB_TEST_POSTGRES     auto (default) | throwaway | existing: which PostgreSQL server; see
#                            scripts/with-postgres.sh. GOVHUB_TEST_DATABASE_URL, if set, is used as is
#                            (except with throwaway).
#   GOVHUB_TEST_WORKERS      pytest-xdist workers for each pytest run (default 2)
# The SQLite run measures branch coverage into .coverage: `.venv/bin/coverage html` then writes htmlcov/.
#   GOVHUB_TEST_DRY_RUN=1    print each stage's command instead of running it, except the PostgreSQL
#                            stage, which still finds or starts a server and checks it can connect
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv/bin
WORKERS=${GOVHUB_TEST_WORKERS:-2}
DRY_RUN=${GOVHUB_TEST_DRY_RUN:-0}

if [[ ! -x $VENV/pytest || ! -x $VENV/ruff || ! -x $VENV/mypy || ! -x $VENV/lint-imports ]]; then
  echo "test.sh: $VENV has no pytest, ruff, lint-imports or mypy; run 'make install' (or 'make test')" >&2
  exit 2
fi

now_us() { local t=${EPOCHREALTIME//[.,]/}; echo "$t"; }
seconds() { printf '%d.%01ds' $(($1 / 1000000)) $(($1 % 1000000 / 100000)); }

names=()
results=()
times=()
started=$(now_us)

# stage NAME COMMAND [ARG...]: run COMMAND, time it and remember whether it passed.
stage() {
  local name=$1 status=0 begin elapsed outcome
  shift
  printf '\n==== %s: %s\n' "$name" "$*"
  begin=$(now_us)
  if [[ $DRY_RUN == 1 && $name != "pytest postgresql" ]]; then
    echo "(dry run: not run)"
    status=skipped
  else
    "$@" || status=$?
  fi
  elapsed=$(($(now_us) - begin))
  case $status in
    skipped) outcome="skipped (dry run)" ;;
    0) outcome=passed ;;
    5) outcome="FAILED (pytest collected no tests)" ;;
    *) outcome="FAILED (exit $status)" ;;
  esac
  printf '==== %s %s in %s\n' "$name" "$outcome" "$(seconds "$elapsed")"
  names+=("$name")
  results+=("$outcome")
  times+=("$(seconds "$elapsed")")
}

stage "chromium" scripts/ensure-chromium.sh
stage "ruff check" "$VENV/ruff" check .
stage "ruff format" "$VENV/ruff" format --check .
stage "import contracts" "$VENV/lint-imports"
stage "mypy" "$VENV/mypy"
# Branch coverage is measured on the SQLite run (settings in pyproject.toml's [tool.coverage.*]); its floor,
# fail_under, is checked only when the whole suite runs: extra arguments may select a part of it.
coverage=(--cov --cov-report=term)
if (($#)); then coverage+=(--cov-fail-under=0); fi
stage "pytest sqlite" "$VENV/pytest" -n "$WORKERS" --database=sqlite "${coverage[@]}" "$@"
if [[ $DRY_RUN == 1 ]]; then
  echo
  echo "(dry run: would run scripts/with-postgres.sh $VENV/pytest -n $WORKERS --database=postgresql${*:+ $(printf '%q ' "$@")})"
  stage "pytest postgresql" scripts/with-postgres.sh
else
  stage "pytest postgresql" scripts/with-postgres.sh "$VENV/pytest" -n "$WORKERS" --database=postgresql "$@"
fi

failed=0
printf '\n==== summary (%s in all)\n' "$(seconds $(($(now_us) - started)))"
for i in "${!names[@]}"; do
  printf '  %-18s %-40s %8s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
  case ${results[$i]} in passed | skipped*) ;; *) failed=$((failed + 1)) ;; esac
done
if ((failed)); then
  echo "==== $failed of ${#names[@]} stages FAILED"
  exit 1
fi
if [[ $DRY_RUN == 1 ]]; then
  echo "==== dry run: no stage failed"
else
  echo "==== all ${#names[@]} stages passed"
fi
