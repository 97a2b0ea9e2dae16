#!/usr/bin/env bash
# The long run of the disk model test (client/.../nbd/DiskModelTest): OPS randomized operations per
# seed, for SEEDS seeds in a row, each against a fresh two-node cluster and an NBD server. Every read
# is checked against the model; the run stops at the first read that is not the model's bytes.
#   scripts/model-run.sh [OPS] [SEEDS] [FIRST_SEED]      e.g. scripts/model-run.sh 5000 10
set -euo pipefail
cd "$(dirname "$0")/.."
ops=${1:-3000}
seeds=${2:-5}
first=${3:-1}
mvn -B -q -ntp install -DskipTests
for ((seed = first; seed < first + seeds; seed++)); do
  mvn -B -q -ntp -pl client surefire:test -Dtest=DiskModelTest -Dmodel.ops="$ops" -Dmodel.seed="$seed" \
    -Dsurefire.failIfNoSpecifiedTests=false
  grep -h "disk model, seed" client/target/surefire-reports/io.bootcache.client.nbd.DiskModelTest-output.txt
done
