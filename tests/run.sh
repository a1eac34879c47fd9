#!/usr/bin/env bash
# Run berth's whole test suite, from a fresh Debian 12 machine or a warm one:
#
#   1. install the Debian packages it needs (deploy/local/deps.sh),
#   2. build berth twice with -Werror: with ASan+UBSan (build/test), where the
#      unit and e2e tests run, and plain (build/valgrind), where the unit tests
#      run again under valgrind,
#   3. start the local control plane "test" unless it is already up (building
#      Kubernetes once into the cache if needed),
#   4. run ctest. Extra arguments go to ctest: tests/run.sh -R e2e.walkthrough
#
# A control plane this script started is stopped at the end; one that was
# already up is left as it was. BERTH_TEST_CLUSTER names another cluster.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cluster=${BERTH_TEST_CLUSTER:-test}
jobs=$(nproc)

"$root/deploy/local/deps.sh"

echo "run: building berth with ASan+UBSan and without" >&2
cmake -S "$root" -B "$root/build/test" -DBERTH_SANITIZE=ON -DBERTH_WERROR=ON >/dev/null
cmake --build "$root/build/test" -j"$jobs"
cmake -S "$root" -B "$root/build/valgrind" -DBERTH_SANITIZE=OFF -DBERTH_WERROR=ON >/dev/null
cmake --build "$root/build/valgrind" -j"$jobs"

started=
if ! "$root/deploy/local/cluster.sh" status "$cluster" >/dev/null; then
	"$root/deploy/local/cluster.sh" up "$cluster"
	started=1
fi
stop_cluster() {
	if [ -n "$started" ]; then
		"$root/deploy/local/cluster.sh" down "$cluster"
	fi
}
trap stop_cluster EXIT
eval "$("$root/deploy/local/cluster.sh" env "$cluster")"

status=0
ctest --test-dir "$root/build/valgrind" --output-on-failure -j"$jobs" -L valgrind "$@" || status=$?
ctest --test-dir "$root/build/test" --output-on-failure -j"$jobs" -LE valgrind "$@" || status=$?
exit $status
