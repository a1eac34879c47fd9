#!/usr/bin/env bash
# Several replicas of berth run share 30 sources on the Lease API of the
# real apiserver (--replicas-mode lease, with short Lease durations):
# - three replicas spread the sources, each held by exactly one, and the
#   logs, the Lease objects, each replica's /report and metrics agree;
# - SIGHUP: a replica reads its config again and renews what it holds;
# - two minutes of pushes to random sources, each webhook sent to a random
#   replica: every commit is applied, by its source's holder (a replica that
#   does not hold it hands it over on the source's Lease);
# - a fourth replica joins: about a quarter of the sources move to it, and
#   none between the others; SIGTERM'd, it gives them back at once;
# - kill -9 of a replica: its sources are taken over once their Leases
#   expire, and a commit pushed meanwhile is applied by the new holder;
# - a replica cut from the apiserver (tests/helpers/stall_proxy.py
#   --partition) stops reconciling before its Leases expire, the others
#   take over, and it rejoins once the partition ends;
# - the member Lease a killed replica left is deleted by the others;
# - over the whole run, the audit log shows no write by a replica to a
#   source's objects while another held the source, nor any write by a
#   replica that did not hold it (tests/helpers/lease_owners.py).
. "$(dirname "$0")/lib.sh"

ns=berth-lease
state=berth-lease-state
export XDG_CACHE_HOME=$scratch/cache
helpers=$BERTH_SOURCE_DIR/tests/helpers
declare -A pid=() address=()
proxy=
cleanup() {
	local r
	for r in "${!pid[@]}"; do
		[ -z "${pid[$r]}" ] || kill -9 "${pid[$r]}" 2>/dev/null || :
	done
	[ -z "$proxy" ] || kill "$proxy" 2>/dev/null || :
	# On failure, what the replicas said last; their logs are kept.
	if [ -z "${PASSED:-}" ]; then
		mkdir -p "${BERTH_TEST_OUTPUT:-$PWD/e2e-output}/lease"
		cp "$scratch"/*.log "${BERTH_TEST_OUTPUT:-$PWD/e2e-output}/lease/" 2>/dev/null || :
		for r in "${!pid[@]}"; do
			echo "--- $r" >&2
			grep -v 'msg="\(in sync\|health changed\)"' "$scratch/$r.log" | tail -15 >&2 || :
		done
	fi
	kubectl delete namespace "$ns" "$state" --ignore-not-found --wait=false >/dev/null || :
}
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity lease
fresh_namespaces "$ns" "$state"

# Member Leases 4 s (renewed each second, given up after 3 s without);
# source Leases 8 s (renewed every 2 s, given up after 5 s without).
lease_s=8 retry_s=1
sources=30
secret=lease-webhook-secret-$RANDOM$RANDOM
printf '%s' "$secret" >"$scratch/secret"
{
	echo "stateNamespace: $state"
	echo "webhooks: {github: {secretFile: $scratch/secret}}"
	echo "scaleOut: {mode: lease, leaseDuration: 4s, renewDeadline: 3s, retryPeriod: ${retry_s}s,"
	echo "  sourceLeaseDuration: ${lease_s}s, sourceRenewInterval: 2s, sourceRenewDeadline: 5s}"
	echo "sources:"
} >"$scratch/berth.yaml"
declare -a names=()
for i in $(seq -w 1 $sources); do
	s=s$i
	names+=("$s")
	git init -q --bare -b main "$scratch/$s.git"
	git init -q -b main "$scratch/$s"
	configmap_yaml "$s" 0 >"$scratch/$s/cm.yaml"
	git_commit "$scratch/$s" "$scratch/$s.git" "$s 0" >/dev/null
	echo "- {name: $s, repo: $scratch/$s.git, namespace: $ns, interval: 1h}" >>"$scratch/berth.yaml"
done

# A replica: berth run with its own id, cache and log (KUBECONFIG: its
# own, to go through the proxy).
start_replica() { # id [kubeconfig]
	local r=$1
	XDG_CACHE_HOME=$scratch/cache-$r "$BERTH" run --config "$scratch/berth.yaml" \
		--kubeconfig "${2:-$KUBECONFIG}" --replicas-mode lease --id "$r" \
		--listen 127.0.0.1:0 2>"$scratch/$r.log" &
	pid[$r]=$!
	wait_until 30 "replica $r to listen" listening "$r"
	address[$r]=$(sed -n 's/.*msg=started .*listen=\([^ ]*\).*/\1/p' "$scratch/$r.log")
}
listening() { grep -q 'msg=started .*listen=' "$scratch/$1.log"; }
alive() { [ -n "${pid[$1]}" ] && kill -0 "${pid[$1]}" 2>/dev/null; }
live_replicas() { local r; for r in "${!pid[@]}"; do ! alive "$r" || echo "$r"; done | sort; }

# "source holder" for each source Lease, sorted; "-" for none. The holder
# is a replica's id (its holderIdentity is "<id>_<process>").
holders() {
	kubectl get leases -n "$state" -l berth.io/lease=source -o json |
		jq -r '.items[] | "\(.metadata.name | ltrimstr("berth-source-")) \(.spec.holderIdentity // "" | if . == "" then "-" else sub("_[0-9a-f]{8}$"; "") end)"' |
		sort
}
# Every source held by one of the replicas named.
all_held_by() { # replica...
	local want
	want=$(printf '%s\n' "$@")
	[ "$(holders | awk '{print $2}' | grep -cxF -f <(echo "$want"))" -eq $sources ]
}
# How many sources each replica holds, "r=n ...".
spread() { holders | awk '{n[$2]++} END {for (r in n) printf "%s=%d ", r, n[r]}'; }
# The logs and the Lease objects agree on every holder.
logs_agree() {
	local logs=() r
	for r in $(live_replicas); do logs+=("$scratch/$r.log"); done
	[ "$(python3 "$helpers/lease_owners.py" owners "${logs[@]}" | sort)" = "$(holders)" ]
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# Push a new value to source S's ConfigMap and send GitHub's push webhook
# for it to replica R: prints the commit, and the replica's answer to
# $scratch/hook.out.
push_to() { # source replica
	local s=$1 before after body sig value
	value=$(date +%s%N)
	before=$(git -C "$scratch/$s" rev-parse HEAD)
	configmap_yaml "$s" "$value" >"$scratch/$s/cm.yaml"
	after=$(git_commit "$scratch/$s" "$scratch/$s.git" "$s $value")
	echo "$value" >"$scratch/$s.want"
	body=$(printf '{"ref":"refs/heads/main","before":"%s","after":"%s","repository":{"clone_url":"%s"}}' \
		"$before" "$after" "$scratch/$s.git")
	sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/.*= //')
	code=$(curl -s -o "$scratch/hook.out" -w '%{http_code}' -H 'X-GitHub-Event: push' \
		-H "X-GitHub-Delivery: $s-$value" -H "X-Hub-Signature-256: sha256=$sig" \
		--data-binary "$body" "http://${address[$2]}/hooks/github")
	assert_eq "$code" 202 "the webhook of $s's commit $after to $2 ($(cat "$scratch/hook.out"))"
	echo "$after"
}
# Each source's ConfigMap holds the value last pushed to it.
all_applied() {
	local s
	kubectl get configmaps -n "$ns" -o json |
		jq -r '.items[] | select(.metadata.name | test("^s[0-9]+$")) | "\(.metadata.name) \(.data.value)"' |
		sort >"$scratch/live"
	for s in "${names[@]}"; do
		echo "$s $(cat "$scratch/$s.want" 2>/dev/null || echo 0)"
	done | sort | diff -q - "$scratch/live" >/dev/null
}

note "three replicas spread $sources sources, one holder each"
mark=$(audit_mark lease-start)
start=$(date +%s%N)
start_replica a
start_replica b
# c reaches the apiserver through a proxy that can cut it off.
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
python3 "$helpers/stall_proxy.py" --partition --to "${server#https://}" \
	--port-file "$scratch/proxy.port" --stall-file "$scratch/stall" 2>"$scratch/proxy.err" &
proxy=$!
wait_until 10 "the proxy to listen" test -s "$scratch/proxy.port"
cp "$KUBECONFIG" "$scratch/proxied"
kubectl --kubeconfig "$scratch/proxied" config set-cluster \
	"$(kubectl config view --minify -o jsonpath='{.clusters[0].name}')" \
	--server="https://127.0.0.1:$(cat "$scratch/proxy.port")" >/dev/null
start_replica c "$scratch/proxied"
wait_until 60 "every source held by a, b or c" all_held_by a b c
wait_until 60 "every source applied" all_applied
took=$(ms_since "$start")
wait_until 30 "the logs and the Leases to agree" logs_agree
echo "figure: $sources sources held and applied $took ms after the first replica started: $(spread)"
for r in a b c; do
	n=$(holders | awk -v r=$r '$2 == r' | wc -l)
	[ "$n" -ge 3 ] || fail "replica $r holds $n of $sources sources: $(spread)"
	assert_eq "$(curl -s "http://${address[$r]}/readyz")" ok "replica $r's /readyz"
	metric=$(curl -s "http://${address[$r]}/metrics" | awk '$1 == "berth_owned_sources" {print $2}')
	assert_eq "$metric" "$n" "replica $r's berth_owned_sources"
	# Every source on each replica's /report, with its owner; only the
	# owner's has a result.
	curl -s -H 'Accept: application/json' "http://${address[$r]}/report" >"$scratch/report"
	assert_eq "$(jq -r '.sources[] | "\(.source) \(.owner)"' "$scratch/report" | sort)" "$(holders)" \
		"the owners on replica $r's /report"
	assert_eq "$(jq -r --arg r $r '[.sources[] | select(.owner != $r and .result != null)] | length' "$scratch/report")" 0 \
		"reports on replica $r of sources another holds"
done

note "SIGHUP: a replica reads its config again and keeps what it holds"
holders >"$scratch/before-reload"
hup=$(date -u +%FT%T.%6NZ)
kill -HUP "${pid[b]}"
reloaded() { grep -q 'msg="config reloaded"' "$scratch/b.log"; }
wait_until 30 "b to reload its config" reloaded
# Each source b holds renewed since (sourceRenewInterval: 2 s).
renewed_by_b() {
	[ "$(kubectl get leases -n "$state" -l berth.io/lease=source -o json |
		jq --arg t "$hup" '[.items[] | select(.spec.holderIdentity // "" | startswith("b_"))
			| select(.spec.renewTime <= $t)] | length')" = 0 ]
}
wait_until 30 "b to renew its Leases after the reload" renewed_by_b
alive b || fail "b is gone after SIGHUP: $(tail -5 "$scratch/b.log")"
assert_eq "$(holders)" "$(cat "$scratch/before-reload")" "the holders after b's reload"
logs_agree || fail "after b's reload, the logs and the Leases disagree: $(spread)"

run_s=${BERTH_LEASE_RUN_S:-120} # a shorter run, to try a change
note "$run_s seconds of pushes to random sources, each webhook to a random replica"
run_start=$(date +%s%N)
pushes=0 handed=0
while [ $(($(date +%s%N) - run_start)) -lt $((run_s * 1000000000)) ]; do
	s=${names[RANDOM % sources]}
	r=$(live_replicas | shuf -n1)
	push_to "$s" "$r" >/dev/null
	pushes=$((pushes + 1))
	! grep -q "handed to its owner" "$scratch/hook.out" || handed=$((handed + 1))
	sleep 0.$((RANDOM % 9 + 1))
done
wait_until 30 "every commit pushed to be applied" all_applied
echo "figure: $pushes pushes over $(($(ms_since "$run_start") / 1000)) s, $handed handed over to the holder on its Lease; all applied"
[ "$handed" -gt 0 ] || fail "no webhook landed on a replica that did not hold its source"
# A handed-over push, applied by the holder: the log line that took it and
# the reconcile it started.
# The holder takes a webhook handed over on a Lease at once: a figure.
handovers=$(python3 "$helpers/lease_owners.py" handovers "$scratch"/{a,b,c}.log) ||
	fail "no holder took a webhook handed over on a Lease"
echo "figure: $handovers"
grep -h 'why=".*(push)"' "$scratch"/{a,b,c}.log >/dev/null ||
	fail "no reconcile said it was for a push"
logs_agree || fail "after the pushes, the logs and the Leases disagree: $(spread)"
assert_eq "$(holders | awk '$2 == "-"' | wc -l)" 0 "sources without a holder after the pushes"

note "a fourth replica joins: about a quarter of the sources move to it, none between the others"
holders >"$scratch/before-join"
start=$(date +%s%N)
start_replica d
# Every source held by one of REPLICAS, the last holding some, and no
# change over two retry periods.
settled_with() { # replica...
	local now
	all_held_by "$@" && [ "$(holders | awk -v r="${!#}" '$2 == r' | wc -l)" -gt 0 ] || return 1
	now=$(holders)
	sleep $((2 * retry_s))
	[ "$now" = "$(holders)" ]
}
wait_until 30 "d to take its share" settled_with a b c d
holders >"$scratch/after-join"
moved=$(join "$scratch/before-join" "$scratch/after-join" | awk '$2 != $3')
echo "figure: $(echo "$moved" | grep -c . || :) of $sources sources moved to d in $(ms_since "$start") ms (a quarter: $((sources / 4))): $(spread)"
[ -z "$(echo "$moved" | awk 'NF && $3 != "d"')" ] ||
	fail "sources moved between the replicas that were there: $(echo "$moved" | awk '$3 != "d"')"
n=$(echo "$moved" | grep -c . || :)
[ "$n" -ge 3 ] && [ "$n" -le 14 ] || fail "$n sources moved to d, not about a quarter of $sources"
wait_until 30 "the logs and the Leases to agree with d" logs_agree

note "SIGTERM to d: its sources go back at once"
d_sources=($(holders | awk '$2 == "d" {print $1}'))
start=$(date +%s%N)
kill -TERM "${pid[d]}"
wait_until 30 "d's sources back with a, b and c" all_held_by a b c
# When the last of them was taken, by the logs of those that took it.
taken=$(for s in "${d_sources[@]}"; do
	cat "$scratch"/{a,b,c}.log | sed -n "s/^time=\([^ ]*\) .*msg=\"lease acquired\" source=$s .*/\1/p" | tail -1
done | sort | tail -1)
echo "figure: d's ${#d_sources[@]} sources all taken $((($(date -d "$taken" +%s%N) - start) / 1000000)) ms" \
	"after its SIGTERM (retryPeriod: ${retry_s} s)"
wait "${pid[d]}" || fail "d exited $? after SIGTERM"
pid[d]=
assert_eq "$(holders)" "$(cat "$scratch/before-join")" "the holders once d left"
assert_eq "$(kubectl get lease berth-member-d -n "$state" -o name --ignore-not-found)" "" \
	"d's member Lease after SIGTERM (deleted)"

note "kill -9 of a: its sources are taken over once their Leases expire, with a commit pushed meanwhile"
a_sources=($(holders | awk '$2 == "a" {print $1}'))
killed=$(date -u +%FT%T.%NZ)
start=$(date +%s%N) killed_at=$(date +%s%N)
kill -9 "${pid[a]}"
wait "${pid[a]}" 2>/dev/null || :
pid[a]=
# Sent to b, which does not hold it: handed over on the Lease a holds.
pushed=$(push_to "${a_sources[0]}" b)
wait_until 30 "a's sources taken over by b and c" all_held_by b c
echo "figure: a's ${#a_sources[@]} sources taken over $(ms_since "$start") ms after kill -9 (sourceLeaseDuration + retryPeriod: $((lease_s + retry_s)) s)"
wait_until 30 "the commit pushed while a was dead to be applied" all_applied
new=$(holders | awk -v s="${a_sources[0]}" '$1 == s {print $2}')
grep -q "msg=applied source=${a_sources[0]} commit=$pushed " "$scratch/$new.log" ||
	fail "${a_sources[0]}'s commit $pushed was not applied by its new holder $new"

note "c cut from the apiserver: it stops before its Leases expire, b takes over, c rejoins"
c_sources=($(holders | awk '$2 == "c" {print $1}'))
[ ${#c_sources[@]} -gt 0 ] || fail "c holds no source to lose: $(spread)"
c_log_from=$(wc -l <"$scratch/c.log")
touch "$scratch/stall"
start=$(date +%s%N)
wait_until 30 "b to take c's sources" all_held_by b
echo "figure: c's ${#c_sources[@]} sources taken over by b $(ms_since "$start") ms after the partition began"
# c gave each up (not renewed in time) before b took it.
for s in "${c_sources[@]}"; do
	lost=$(tail -n +"$((c_log_from + 1))" "$scratch/c.log" |
		sed -n "s/^time=\([^ ]*\) .*msg=\"lease given up\" source=$s change=lost .*/\1/p" | head -1)
	taken=$(sed -n "s/^time=\([^ ]*\) .*msg=\"lease acquired\" source=$s .*/\1/p" "$scratch/b.log" | tail -1)
	[ -n "$lost" ] || fail "c did not give $s up when cut off"
	[[ "$lost" < "$taken" ]] || fail "c gave $s up at $lost, after b took it at $taken"
done
rm "$scratch/stall"
start=$(date +%s%N)
c_rejoined() { tail -n +"$((c_log_from + 1))" "$scratch/c.log" | grep -q 'msg=joined'; }
wait_until 30 "c to rejoin" c_rejoined
wait_until 30 "c to take its share again" settled_with b c
echo "figure: c rejoined and holds its share again $(ms_since "$start") ms after the partition ended: $(spread)"
wait_until 30 "the logs and the Leases to agree at the end" logs_agree

note "the member Lease a left behind is deleted by the others"
member_gone() { [ -z "$(kubectl get lease berth-member-a -n "$state" -o name --ignore-not-found)" ]; }
# Two leaseDurations (8 s) after a's last renewal, as each observed it.
wait_until 60 "a's member Lease to be deleted" member_gone
deleted=$(sed -n 's/^time=\([^ ]*\) .*msg="lease deleted" lease=berth-member-a .*/\1/p' "$scratch"/{b,c}.log)
[ -n "$deleted" ] || fail "no replica says it deleted a's member Lease"
echo "figure: a's member Lease deleted $((($(date -d "$deleted" +%s%N) - killed_at) / 1000000)) ms" \
	"after kill -9 (two leaseDurations: 8 s)"

note "no replica wrote a source while another held it, nor one it did not hold"
audit_between "$mark" "$(audit_mark lease-end)" >"$scratch/audit"
python3 "$helpers/lease_owners.py" writes --audit "$scratch/audit" \
	--user "$berth_user" --namespace "$ns" --end "a=$killed" \
	"$scratch"/{a,b,c,d}.log >"$scratch/writes" ||
	fail "writes in breach of the Leases: $(cat "$scratch/writes")"
echo "figure: $(tail -1 "$scratch/writes")"
PASSED=1
