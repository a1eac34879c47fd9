#!/usr/bin/env bash
# See berth work against a real cluster: install what is needed, bring up the
# local control plane "demo" (building Kubernetes 1.20.2 from Debian's source
# the first time, about 5 minutes), build berth, and run `berth cluster-info`.
# The cluster stays up afterwards; stop it with: deploy/local/cluster.sh down demo
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

"$root/deploy/local/deps.sh"
"$root/deploy/local/cluster.sh" up demo
cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
cmake --build "$root/build/release" -j"$(nproc)"
eval "$("$root/deploy/local/cluster.sh" env demo)"

echo
echo "\$ berth cluster-info --kubeconfig $KUBECONFIG"
"$root/build/release/berth" cluster-info --kubeconfig "$KUBECONFIG"
echo
echo "The cluster is still up. Try:"
echo "  eval \"\$(deploy/local/cluster.sh env demo)\""
echo "  build/release/berth cluster-info -o yaml"
echo "  deploy/local/cluster.sh down demo"
