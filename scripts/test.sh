#!/usr/bin/env bash
# Runs Wharf's whole test suite: installs what the compat tests need, checks formatting, builds once in
# Release and runs every test project. .ci/run calls exactly this script.
#
# CI=true   : outside tools (kcat, kafka-python, KafkaJS) are required and installed when missing.
# CI unset  : they are installed only if apt/npm can be used; tests needing a missing tool skip.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash scripts/install-test-tools.sh

echo "== format"
dotnet format whitespace Wharf.slnx --verify-no-changes

echo "== build"
dotnet build Wharf.slnx -c Release -nologo -v:q -m:2

echo "== test"
results="$(mktemp -d)"
status=0
dotnet test Wharf.slnx -c Release --no-build -nologo -v:q -m:1 \
  --logger "trx" --results-directory "$results" || status=$?

# One plain closing line summed over every test project's TRX file.
python3 - "$results" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    counters = ET.parse(path).getroot().find(".//{*}Counters")
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0))
    skipped += int(counters.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
