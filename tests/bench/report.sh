#!/usr/bin/env bash
# The drift report page of berth run, for N objects (default 1000) of which
# D (default 10) drifted: its size in HTML (and gzip-compressed) and in JSON,
# and the time to serve it; beside it, `kubectl diff` of the same objects on
# the same control plane (its output, the nearest kubectl has to a report).
# Figures only.
#
#   tests/bench/report.sh [N [D]]
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-1000}
d=${2:-10}
bench_start bench-report agent

git init -q -b main "$work/repo"
for i in $(seq "$n"); do
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%05d}\ndata: {value: "%d", other: "same"}\n' "$i" "$i"
done >"$work/repo/objects.yaml"
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=bench -c user.email=bench@example.com commit -q -m objects
cat >"$work/berth.yaml" <<YAML
sources:
- name: app
  repo: $work/repo
  namespace: $ns
  interval: 1h
  drift: report
YAML

echo "== $n ConfigMaps applied by berth run, then $d of them changed with kubectl"
"$berth" run --listen 127.0.0.1:0 --config "$work/berth.yaml" 2>"$work/agent.log" &
agent=$!
until grep -q 'msg=applied source=app' "$work/agent.log"; do
	kill -0 "$agent" || { cat "$work/agent.log"; exit 1; }
	sleep 0.2
done
address=$(sed -n 's/.*msg=started .*listen=\([^ ]*\).*/\1/p' "$work/agent.log")
for i in $(seq "$d"); do
	"$BERTH_KUBECTL" patch configmap "$(printf 'cm-%05d' "$i")" -n "$ns" --type merge \
		-p '{"data":{"value":"drifted"}}' >/dev/null
done
# The watch sees the edits; the page is the reconcile after the last one.
until grep -q "msg=\"drift reported\" source=app .* drifted=$d " "$work/agent.log"; do sleep 0.2; done

url="http://$address/report/app"
curl -sf "$url" >"$work/page.html"
curl -sf -H 'Accept: application/json' "$url" >"$work/page.json"
start=$(date +%s%N)
for _ in $(seq 20); do curl -sf -o /dev/null "$url"; done
served=$((($(date +%s%N) - start) / 20000))
echo "berth /report/app  HTML $(wc -c <"$work/page.html") bytes ($(gzip -c "$work/page.html" | wc -c) gzip), JSON $(wc -c <"$work/page.json") bytes; served in $served µs (mean of 20)"
echo "                   $(grep -c '<article class="object">' "$work/page.html") objects shown with their diff, $(grep -c '^<li>' "$work/page.html") listed as in sync"

echo "== kubectl $("$BERTH_KUBECTL" version --client --short | cut -d' ' -f3) diff of the same $n objects"
start=$(date +%s%N)
"$BERTH_KUBECTL" diff -n "$ns" -f "$work/repo/objects.yaml" >"$work/kubectl.diff" || [ $? = 1 ]
echo "kubectl diff       $(wc -c <"$work/kubectl.diff") bytes of diff in $((($(date +%s%N) - start) / 1000000)) ms ($(grep -c '^diff ' "$work/kubectl.diff") objects)"
