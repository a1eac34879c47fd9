#!/usr/bin/env bash
# Commit statuses in the steady state: berth run with 3 sources, each
# reporting to the forge test server (GitHub's API), polled every 10 s for
# M minutes while nothing changes. Prints the reconciles, and the forge
# requests: those of the first reconciles (a read and the writes of each
# commit) and those after, which should be none. Figures only.
#
#   tests/bench/status.sh [M]    M minutes (default 10)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
minutes=${1:-10}
bench_start berth-bench-status agent forge

git init -q --bare -b main "$work/remote.git"
git init -q -b main "$work/src"
for s in a b c; do
	mkdir "$work/src/$s"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {v: "1"}\n' "$s" \
		>"$work/src/$s/cm.yaml"
done
git -C "$work/src" add -A
git -C "$work/src" -c user.name=b -c user.email=b@example.com commit -qm bench
git -C "$work/src" push -q "$work/remote.git" main
echo bench-token >"$work/token"
jq -n --arg r "$work/remote.git" '{token: "bench-token", projects: {"acme/config": $r}}' \
	>"$work/forge.json"
python3 "$root/tests/helpers/forge_server.py" --provider github --config "$work/forge.json" \
	--record "$work/forge.jsonl" --state "$work/forge.state" --port-file "$work/port" \
	>/dev/null 2>&1 &
forge=$!
until [ -s "$work/port" ]; do sleep 0.1; done
{
	printf 'stateNamespace: %s\ncluster: bench\nsources:\n' "$ns"
	for s in a b c; do
		printf -- '- {name: %s, repo: "%s", path: %s, namespace: %s, interval: 10s,\n' \
			"$s" "$work/remote.git" "$s" "$ns"
		printf '   status: {provider: github, baseURL: "http://127.0.0.1:%s", repository: acme/config, tokenFile: "%s"}}\n' \
			"$(cat "$work/port")" "$work/token"
	done
} >"$work/berth.yaml"
"$berth" run --config "$work/berth.yaml" --listen 127.0.0.1:0 2>"$work/agent.log" &
agent=$!
echo "status bench: 3 sources polled every 10 s for $minutes min, nothing changing" >&2
first_minute=$((SECONDS + 60))
until [ $SECONDS -ge $first_minute ]; do sleep 1; done
early=$(wc -l <"$work/forge.jsonl")
until [ $SECONDS -ge $((first_minute - 60 + minutes * 60)) ]; do sleep 5; done
kill -TERM "$agent"
wait "$agent" || :
agent=
reconciles=$(grep -Ec 'msg=(applied|"in sync")' "$work/agent.log")
total=$(wc -l <"$work/forge.jsonl")
printf '%-44s %s\n' "reconciles" "$reconciles" \
	"forge requests in all" "$total" \
	"... in the first minute (the first reconciles)" "$early" \
	"... after it" "$((total - early))"
