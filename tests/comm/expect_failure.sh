#!/bin/sh
# Usage: expect_failure.sh PATTERN MAX_SECONDS COMMAND...
# Passes when COMMAND exits non-zero within MAX_SECONDS and its output matches the grep -E PATTERN:
# a job that fails must fail fast and say why.
pattern=$1
max_seconds=$2
shift 2
output=$(timeout "$max_seconds" "$@" 2>&1)
status=$?
printf '%s\n' "$output"
if [ "$status" -eq 0 ]; then
  echo "expect_failure: command succeeded, a failure was expected" >&2
  exit 1
fi
if [ "$status" -eq 124 ]; then
  echo "expect_failure: command still running after $max_seconds s (hang)" >&2
  exit 1
fi
if ! printf '%s\n' "$output" | grep -Eq -- "$pattern"; then
  echo "expect_failure: output does not match: $pattern" >&2
  exit 1
fi
echo "expect_failure: exited with status $status as expected"
