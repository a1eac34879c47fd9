#!/usr/bin/env bash
# berth run as an agent on the local control plane, beside kubectl's own
# watch of the same objects, in one run. One source of N ConfigMaps in a
# local remote, polled hourly, so that only webhooks and watches act:
#   - the first reconcile (berth) and `kubectl apply -f` of the same files;
#   - R signed GitHub pushes, each changing one ConfigMap: from the delivery
#     to the reconcile's start and to its end (berth's log, in ms);
#   - R live edits by `kubectl patch`: when `kubectl get -w` prints the
#     edit, when berth's watch sees it, and when berth's correction lands;
#   - berth's peak RSS, its CPU time, and a /metrics scrape.
# Figures only, no assertion.
#
#   tests/bench/agent.sh [N] [R]    N objects (default 200), R rounds (default 10)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-200}
rounds=${2:-10}
bench_start berth-bench-agent agent watcher

git init -q --bare -b main "$work/remote.git"
git init -q -b main "$work/src"
write() { # index value
	cat >"$work/src/config-$1.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: config-$1, labels: {app: bench}}
data: {index: "$1", value: "$2", settings.conf: "listen 8080\nworkers 4\nname config-$1\n"}
EOF
}
commit() {
	git -C "$work/src" add -A
	git -C "$work/src" -c user.name=bench -c user.email=bench@example.com commit -q -m "$1"
	git -C "$work/src" push -q "$work/remote.git" main 2>/dev/null
}
for ((i = 0; i < n; i++)); do write "$i" 0; done
commit first
printf 'bench-webhook-secret' >"$work/secret"
cat >"$work/berth.yaml" <<EOF
stateNamespace: $ns
sources:
- {name: bench, repo: "$work/remote.git", namespace: $ns, interval: 1h}
webhooks:
  github: {secretFile: $work/secret}
EOF

ms_of() { date -d "$1" +%s%3N; } # an RFC 3339 time of berth's log
now() { date +%s%3N; }
# The time of the first line of berth's log after line $2 matching $1.
logged_after() { # pattern line
	tail -n +"$(($2 + 1))" "$work/agent.log" | grep -m1 -- "$1" | sed 's/^time=\([^ ]*\).*/\1/'
}
wait_for() { # pattern line
	local tries=300
	until [ -n "$(logged_after "$1" "$2")" ]; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || {
			echo "agent: timed out waiting for '$1'" >&2
			tail -5 "$work/agent.log" >&2
			exit 1
		}
		sleep 0.05
	done
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
maximum() { sort -n | tail -1; }

echo "agent: $n ConfigMaps in one source, $rounds rounds"

# The first reconcile, and kubectl apply of the same files into another namespace.
start=$(now)
"$berth" run --listen 127.0.0.1:0 --config "$work/berth.yaml" 2>"$work/agent.log" &
agent=$!
wait_for 'msg=applied source=bench' 0
first=$(($(ms_of "$(logged_after 'msg=applied source=bench' 0)") - start))
url=http://$(grep -m1 -o 'listen=[0-9.:]*' "$work/agent.log" | cut -d= -f2)
"$kubectl" create namespace "$ns-kubectl" >/dev/null
start=$(now)
"$kubectl" apply -n "$ns-kubectl" -f "$work/src" >/dev/null
kubectl_first=$(($(now) - start))
"$kubectl" delete namespace "$ns-kubectl" --wait=false >/dev/null

# Pushes announced by a signed webhook.
: >"$work/hook.txt"
for ((r = 1; r <= rounds; r++)); do
	write 0 "push-$r"
	commit "push $r"
	# A push names the commit it brings ("after"): each is its own delivery.
	body=$(printf '{"ref":"refs/heads/main","after":"%s","repository":{"clone_url":"%s/remote.git"}}' \
		"$(git -C "$work/src" rev-parse HEAD)" "$work")
	sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac bench-webhook-secret | sed 's/.*= //')
	from=$(wc -l <"$work/agent.log")
	sent=$(now)
	curl -s -o /dev/null -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: sha256=$sig" \
		--data-binary "$body" "$url/hooks/github"
	wait_for 'msg=applied source=bench' "$from"
	line=$(tail -n +"$((from + 1))" "$work/agent.log" | grep -m1 'msg=applied source=bench')
	took=$(sed 's/.*duration=\([0-9.]*\)s.*/\1/' <<<"$line")
	done_at=$(ms_of "$(sed 's/^time=\([^ ]*\).*/\1/' <<<"$line")")
	took_ms=$(awk "BEGIN{printf \"%d\", $took * 1000}")
	echo "$((done_at - took_ms - sent)) $((done_at - sent))" >>"$work/hook.txt"
	sleep 0.5 # the watch's echo of berth's own write
done

# Live edits, seen by kubectl's watch and by berth's.
"$kubectl" get configmap config-1 -n "$ns" -w --output-watch-events --no-headers |
	while IFS= read -r l; do echo "$(date +%s%3N) $l"; done >"$work/kwatch.txt" &
watcher=$!
sleep 2
: >"$work/edit.txt"
for ((r = 1; r <= rounds; r++)); do
	from=$(wc -l <"$work/agent.log")
	kfrom=$(wc -l <"$work/kwatch.txt")
	sent=$(now)
	"$kubectl" patch configmap config-1 -n "$ns" --type merge -p "{\"data\":{\"value\":\"edit-$r\"}}" >/dev/null
	wait_for 'msg="object changed" source=bench' "$from"
	wait_for 'msg=applied source=bench' "$from"
	seen=$(ms_of "$(logged_after 'msg="object changed" source=bench' "$from")")
	fixed=$(ms_of "$(logged_after 'msg=applied source=bench' "$from")")
	tries=300
	until [ "$(tail -n +"$((kfrom + 1))" "$work/kwatch.txt" | grep -c MODIFIED)" -ge 1 ]; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || {
			echo "agent: kubectl's watch printed no edit" >&2
			exit 1
		}
		sleep 0.05
	done
	kseen=$(tail -n +"$((kfrom + 1))" "$work/kwatch.txt" | grep -m1 MODIFIED | cut -d' ' -f1)
	echo "$((kseen - sent)) $((seen - sent)) $((fixed - sent))" >>"$work/edit.txt"
	sleep 0.5
done

start=$(now)
curl -s -o "$work/metrics" "$url/metrics"
scrape=$(($(now) - start))
rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$agent/status")
cpu=$(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$agent/stat")

printf '\n%-52s %10s %10s\n' "" berth kubectl
printf '%-52s %8s ms %8s ms\n' "first apply of $n objects" "$first" "$kubectl_first"
printf '%-52s %8s ms %10s\n' "webhook to reconcile start, median / max" \
	"$(cut -d' ' -f1 "$work/hook.txt" | median) / $(cut -d' ' -f1 "$work/hook.txt" | maximum)" -
printf '%-52s %8s ms %10s\n' "webhook to commit applied, median / max" \
	"$(cut -d' ' -f2 "$work/hook.txt" | median) / $(cut -d' ' -f2 "$work/hook.txt" | maximum)" -
printf '%-52s %8s ms %8s ms\n' "live edit seen by the watch, median" \
	"$(cut -d' ' -f2 "$work/edit.txt" | median)" "$(cut -d' ' -f1 "$work/edit.txt" | median)"
printf '%-52s %8s ms %10s\n' "live edit corrected, median / max" \
	"$(cut -d' ' -f3 "$work/edit.txt" | median) / $(cut -d' ' -f3 "$work/edit.txt" | maximum)" -
printf '%-52s %8s ms %10s\n' "/metrics scrape ($(wc -c <"$work/metrics") bytes)" "$scrape" -
printf '%-52s %7s MiB %10s\n' "peak RSS of berth run" "$rss" -
printf '%-52s %8s s %10s\n' "CPU time of berth run over the whole bench" "$cpu" -
