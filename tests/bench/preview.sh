#!/usr/bin/env bash
# berth run's preview of a large pull request on the local control plane,
# beside `kubectl diff` of the same manifests and the floor (one LIST of the
# namespace), in one run. The pull request adds N ConfigMaps (in files of
# 100) to a source whose main holds one; it is previewed R times, each time
# with a new head (one file changed), from a signed GitHub webhook to the
# preview status on the forge test server:
#   - each preview's time (median and max), from berth's log and from the
#     webhook to the status;
#   - berth run's peak RSS before the previews and after them;
#   - the disk the previews use (sampled every 0.1 s) and what is left after.
# Figures only, no assertion.
#
#   tests/bench/preview.sh [N] [R]    N objects (default 20000), R previews (default 5)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-20000}
rounds=${2:-5}
bench_start berth-bench-preview agent forge sampler

git init -q --bare -b main "$work/remote.git"
git init -q -b main "$work/src"
commit() { # message [ref]
	git -C "$work/src" add -A
	git -C "$work/src" -c user.name=bench -c user.email=bench@example.com commit -q -m "$1"
	git -C "$work/src" push -q -f "$work/remote.git" "HEAD:${2:-refs/heads/main}" 2>/dev/null
	git -C "$work/src" rev-parse HEAD
}
configmap() { # name value
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, labels: {app: bench}}\ndata: {value: "%s", settings.conf: "listen 8080\\nworkers 4\\n"}\n' "$1" "$2"
}
configmap base 0 >"$work/src/base.yaml"
commit base >/dev/null

token=bench-forge-token
printf '%s\n' "$token" >"$work/token"
printf 'bench-webhook-secret-0123456789' >"$work/secret"
jq -n --arg t "$token" --arg r "$work/remote.git" '{token: $t, projects: {"bench/preview": $r}}' >"$work/forge.json"
python3 "$root/tests/helpers/forge_server.py" --provider github --config "$work/forge.json" \
	--record "$work/forge.jsonl" --state "$work/forge.state" --listen 127.0.0.1:0 \
	--port-file "$work/forge.port" >/dev/null 2>"$work/forge.err" &
forge=$!
for _ in $(seq 100); do [ -s "$work/forge.port" ] && break; sleep 0.1; done
forge_url=http://127.0.0.1:$(cat "$work/forge.port")
cat >"$work/berth.yaml" <<EOF
stateNamespace: $ns
sources:
- name: bench
  repo: $work/remote.git
  ref: main
  namespace: $ns
  interval: 1h
  status: {provider: github, baseURL: $forge_url/api/v3, repository: bench/preview, tokenFile: $work/token}
webhooks:
  github: {secretFile: $work/secret}
EOF

# The pull request's branch: N objects, main's one and N - 1 ConfigMaps,
# 100 to a file.
git -C "$work/src" checkout -q -b feature
for ((i = 0; i < n - 1; i += 100)); do
	for ((j = i; j < i + 100 && j < n - 1; j++)); do configmap "config-$j" 0; done >"$work/src/objects-$i.yaml"
done
commit "$n objects" refs/heads/feature >/dev/null
size=$(du -sk --exclude=.git "$work/src" | cut -f1)

"$berth" run --listen 127.0.0.1:0 --config "$work/berth.yaml" 2>"$work/agent.log" &
agent=$!
until grep -q 'msg=applied source=bench' "$work/agent.log"; do sleep 0.1; done
url=http://$(grep -m1 -o 'listen=[0-9.:]*' "$work/agent.log" | cut -d= -f2)
rss_before=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$agent/status")

# The disk of the previews' folders, sampled.
: >"$work/disk"
while :; do { du -sk "$work/cache/berth/preview" 2>/dev/null || echo 0; } | cut -f1 >>"$work/disk"; sleep 0.1; done &
sampler=$!

now() { date +%s%3N; }
: >"$work/times"
for ((r = 1; r <= rounds; r++)); do
	# A new head: one file changed.
	{
		configmap config-0 "round-$r"
		for ((j = 1; j < 100 && j < n; j++)); do configmap "config-$j" 0; done
	} >"$work/src/objects-0.yaml"
	head=$(commit "round $r" refs/heads/feature)
	body=$(jq -nc --arg h "$head" --arg r "$work/remote.git" --argjson n "$r" \
		'{action: "synchronize", number: 1, pull_request: {number: 1, updated_at: "2026-01-01T00:00:\($n)Z",
		  head: {sha: $h, ref: "feature", repo: {id: 1}}, base: {ref: "main", repo: {id: 1}}},
		  repository: {clone_url: $r, default_branch: "main"}}')
	sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$(cat "$work/secret")" | sed 's/.*= //')
	from=$(wc -l <"$work/agent.log")
	sent=$(now)
	curl -s -o /dev/null -H 'X-GitHub-Event: pull_request' -H "X-GitHub-Delivery: bench-$r" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary "$body" "$url/hooks/github"
	until curl -sf "$forge_url/_forge/statuses" | jq -e --arg h "$head" 'any(.[]; .sha == $h)' >/dev/null; do
		sleep 0.05
		tail -n +"$((from + 1))" "$work/agent.log" | grep -q 'level=error' && {
			tail -5 "$work/agent.log" >&2
			exit 1
		}
	done
	posted=$(now)
	line=$(tail -n +"$((from + 1))" "$work/agent.log" | grep -m1 'msg=preview source=bench')
	took=$(sed 's/.*duration=\([0-9.]*\)s.*/\1/' <<<"$line")
	echo "$(awk "BEGIN{printf \"%d\", $took * 1000}") $((posted - sent))" >>"$work/times"
	echo "preview $r: $(sed 's/.*result="\([^"]*\)".*/\1/' <<<"$line"), $took s" >&2
done
kill "$sampler"
sampler=
rss_after=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$agent/status")
disk_peak=$(sort -n "$work/disk" | tail -1)
left=$(find "$work/cache/berth/preview" -mindepth 1 2>/dev/null | wc -l)

# kubectl diff of the same manifests, and the floor: one LIST of the namespace.
git -C "$work/src" checkout -q feature
# kubectl diff sends a dry run per object: 20,000 take it well over 20
# minutes here, so it gets 5.
start=$(now)
status=0
timeout 300 "$kubectl" diff -n "$ns" -f "$work/src" >/dev/null 2>&1 || status=$?
kubectl_diff=$(($(now) - start))
[ "$status" != 124 ] || kubectl_diff=">$kubectl_diff"
server=$("$kubectl" config view --minify -o jsonpath='{.clusters[0].cluster.server}')
start=$(now)
"$kubectl" get --raw "/api/v1/namespaces/$ns/configmaps" >/dev/null
floor=$(($(now) - start))

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
maximum() { sort -n | tail -1; }
printf '\npreview of a pull request of %s objects (%s KiB of YAML in %s files), %s times, on %s\n' \
	"$n" "$size" "$(ls "$work/src" | wc -l)" "$rounds" "$server"
printf '%-52s %14s %12s %10s\n' "" berth "kubectl diff" "one LIST"
printf '%-52s %9s ms %9s ms %7s ms\n' "preview, as berth logs it: median / max" \
	"$(cut -d' ' -f1 "$work/times" | median) / $(cut -d' ' -f1 "$work/times" | maximum)" "$kubectl_diff" "$floor"
printf '%-52s %9s ms\n' "webhook to the preview status: median / max" \
	"$(cut -d' ' -f2 "$work/times" | median) / $(cut -d' ' -f2 "$work/times" | maximum)"
printf '%-52s %7s MiB\n' "berth run's peak RSS before the previews" "$rss_before"
printf '%-52s %7s MiB\n' "berth run's peak RSS after them" "$rss_after"
printf '%-52s %7s KiB\n' "previews' disk, peak (sampled every 0.1 s)" "${disk_peak:-0}"
printf '%-52s %7s\n' "files left in the previews' folder after" "$left"
