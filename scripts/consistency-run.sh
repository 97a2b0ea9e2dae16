#!/usr/bin/env bash
# The long consistency run (client/.../consistency/ConsistencyRun): READS verified reads of images and
# disks through three node processes, with writes, evictions, a node killed (-9) and restarted, and a
# partition (network namespaces when run as root, else SIGSTOP), seeded by SEED. Ends with the summary
# line; exits non-zero if any read returned bytes other than the model's.
#   scripts/consistency-run.sh [READS] [SEED]      e.g. scripts/consistency-run.sh 1000000 7
set -euo pipefail
cd "$(dirname "$0")/.."
reads=${1:-1000000}
seed=${2:-1}
mvn -B -q -ntp install -DskipTests
status=0
mvn -B -q -ntp -pl client surefire:test -Dtest=ConsistencyRunTest -Dconsistency.reads="$reads" \
  -Djunit.jupiter.execution.timeout.default=24h \
  -Dconsistency.seed="$seed" -Dsurefire.failIfNoSpecifiedTests=false || status=$?
grep -h "^fault:\|^consistency:" client/target/surefire-reports/io.bootcache.client.consistency.ConsistencyRunTest-output.txt
exit $status
