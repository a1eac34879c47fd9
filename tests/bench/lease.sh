#!/usr/bin/env bash
# Lease mode at scale: S sources shared out by R replicas of `berth run
# --replicas-mode lease`, from one local remote of S folders of one
# ConfigMap each (source s<i>: path s<i>, interval 1h, into the bench
# namespace, which holds the Leases and the state too). Figures only,
# nothing passes or fails on time:
#   1. The spread: from the replicas' start until each source's Lease is
#      held by the replica rendezvous hashing gives it to, which has
#      reconciled it since it took it; where the time went (all joined,
#      all held), and the sources each replica holds (min/max). In each
#      phase, from the replicas' logs: the sources two replicas held at
#      once (one logged "lease acquired" before the other gave it up) and
#      the reconciles that failed.
#   2. At rest: between two audit marks LEASE_REST s apart, the replicas'
#      Lease requests (user agent berth/... replica/...) per second, beside
#      R / retryPeriod + S / sourceRenewInterval; berth's other requests;
#      kube-controller-manager's Lease requests (its leader election), as
#      a reference; each replica's share of a core.
#   3. A death: kill -9 of one replica holding k sources; the time until
#      another replica holds each of them (their Leases' acquireTime),
#      beside sourceLeaseDuration + retryPeriod; no other source moves.
#   4. A join: one replica more; the time until the holders settle with
#      it holding its share (no Lease acquired for 2 x retryPeriod); how
#      many moved to it, and that none moved between the others.
#
#   tests/bench/lease.sh [S [R]]    S sources (300), R replicas (5, at least 2)
# Environment: LEASE_REST (the window at rest, s, 60), LEASE_TIMEOUT (the
# longest wait for a phase to settle, s, 900), LEASE_LOGS (a folder to
# copy the replicas' logs to at the end; none). The timing, in whole
# seconds, written to scaleOut only when set (else berth's defaults, in
# brackets): LEASE_DURATION (15), LEASE_RENEW_DEADLINE (10),
# LEASE_RETRY_PERIOD (2), SOURCE_LEASE_DURATION (60),
# SOURCE_RENEW_INTERVAL (20), SOURCE_RENEW_DEADLINE (40).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export LC_ALL=C # one order for sort, join and comm
n=${1:-300}
r=${2:-5}
rest=${LEASE_REST:-60}
timeout=${LEASE_TIMEOUT:-900}
[ "$r" -ge 2 ] || { echo "lease: R is at least 2 (one dies)" >&2; exit 2; }

# scaleOut: the keys set in the environment; `t` holds every value used.
scale_out="mode: lease"
declare -A t
for kv in LEASE_DURATION:leaseDuration:15 LEASE_RENEW_DEADLINE:renewDeadline:10 \
	LEASE_RETRY_PERIOD:retryPeriod:2 SOURCE_LEASE_DURATION:sourceLeaseDuration:60 \
	SOURCE_RENEW_INTERVAL:sourceRenewInterval:20 SOURCE_RENEW_DEADLINE:sourceRenewDeadline:40; do
	IFS=: read -r var key def <<<"$kv"
	t[$key]=${!var:-$def}
	[ -z "${!var:-}" ] || scale_out+=", $key: ${!var}s"
done
retry=${t[retryPeriod]}

pids=()
for ((i = 0; i <= r; i++)); do pids+=("pid_$i"); done
bench_start berth-bench-lease "${pids[@]}"
# The replicas stop first (they give their Leases up), then the rest.
stop_replicas() {
	local v end=$((SECONDS + 15))
	for v in "${pids[@]}"; do [ -z "${!v}" ] || kill -TERM "${!v}" 2>/dev/null || :; done
	for v in "${pids[@]}"; do
		while [ -n "${!v}" ] && kill -0 "${!v}" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
	done
}
keep_logs() { [ -z "${LEASE_LOGS:-}" ] || { mkdir -p "$LEASE_LOGS" && cp "$work"/bench-*.log "$LEASE_LOGS"/ 2>/dev/null; } || :; }
trap 'stop_replicas; keep_logs; bench_stop' EXIT
server=$(cat "$BERTH_CLUSTER_DIR/server")
token=$(cat "$BERTH_CLUSTER_DIR/admin.token")
ca=$BERTH_CLUSTER_DIR/pki/ca.crt
hz=$(getconf CLK_TCK)

now() { echo $((${EPOCHREALTIME/./} / 1000)); }
ms_of() { date -d "$1" +%s%3N; } # an RFC 3339 time, of berth's log, a Lease or the audit log
iso() { date -u -d "@$(calc %.3f "$1 / 1000")" +%Y-%m-%dT%H:%M:%S.%3NZ; } # ms, as berth logs
calc() { awk "BEGIN {printf \"$1\", $2}"; } # format expression
secs() { calc %.1f "$1 / 1000"; }           # ms
load() { cut -d' ' -f1-3 /proc/loadavg; }
log_of() { echo "$work/bench-$1.log"; } # index
say() { printf 'lease: %s\n' "$*" >&2; }

# Replica I: bench-I, its own cache, its log in log_of I.
start_replica() { # index
	XDG_CACHE_HOME=$work/cache-$1 "$berth" run --config "$work/berth.yaml" --replicas-mode lease \
		--id "bench-$1" --listen 127.0.0.1:0 2>"$(log_of "$1")" &
	printf -v "pid_$1" '%s' $!
}
pid_of() { local v=pid_$1; echo "${!v}"; }
# Exit when a live replica is gone: berth crashed, or was stopped.
check_alive() {
	local i
	for i in "${live[@]}"; do
		kill -0 "$(pid_of "$i")" 2>/dev/null && continue
		if tail -1 "$(log_of "$i")" | grep -q ' msg=stopped'; then
			echo "lease: replica bench-$i was stopped by a signal from outside the bench; its log ends:" >&2
		else
			echo "lease: replica bench-$i exited; its log ends:" >&2
		fi
		tail -20 "$(log_of "$i")" >&2
		exit 1
	done
}
ids() { local i; for i in "${live[@]}"; do printf 'bench-%s ' "$i"; done; }

api() { curl -sf -A lease-bench/1 --cacert "$ca" -H "Authorization: Bearer $token" "$server$1"; }
# "source holder acquireTime" of each source Lease, by source; holder "-"
# when none, else the replica's id (holderIdentity is "<id>_<process>").
holders() { # file
	api "/apis/coordination.k8s.io/v1/namespaces/$ns/leases?labelSelector=berth.io%2Flease%3Dsource" |
		jq -r '.items[] | [(.metadata.name | ltrimstr("berth-source-")),
			(.spec.holderIdentity // "" | if . == "" then "-" else sub("_[0-9a-f]{8}$"; "") end),
			(.spec.acquireTime // "-")] | join(" ")' | sort >"$1"
}
# The holder rendezvous hashing gives each source to among MEMBERS
# (lease_plan.c: FNV-1a of member, NUL, key, NUL, then splitmix64's
# finaliser; a tie to the smaller name): "source holder" lines, by source.
expected() { # file members...
	local f=$1
	shift
	# shellcheck disable=SC2016
	python3 -c '
import sys
M = (1 << 64) - 1
def fnv(h, s):
    for b in s.encode() + b"\0":
        h = ((h ^ b) * 0x100000001b3) & M
    return h
def weight(m, k):
    h = fnv(fnv(0xcbf29ce484222325, m), k)
    h = ((h ^ (h >> 30)) * 0xbf58476d1ce4e5b9) & M
    h = ((h ^ (h >> 27)) * 0x94d049bb133111eb) & M
    return h ^ (h >> 31)
n, members = int(sys.argv[1]), sys.argv[2:]
for s in sorted("s%d" % i for i in range(n)):
    print(s, min(members, key=lambda m: (-weight(m, s), m.encode())))
' "$n" "$@" | sort >"$f"
}
# The sources replica I's log says it holds and has reconciled since it
# took them (a reconcile that failed counts: failed() counts those):
# "source bench-I" lines.
settled_of() { # index
	awk -v id="bench-$1" '
		!match($0, / source=[^ ]+/) { next }
		{ s = substr($0, RSTART + 8, RLENGTH - 8) }
		/ msg="lease acquired" / { held[s] = 1; done[s] = 0; next }
		/ msg="lease given up" / { held[s] = 0; next }
		/ msg=(applied|"in sync"|"drift reported"|"reconcile failed") / { if (held[s]) done[s] = 1 }
		END { for (s in held) if (held[s] && done[s]) print s, id }' "$(log_of "$1")"
}
# The reconciles that failed from FROM to TO (ms), of all replicas.
failed() { # from to
	cat "$work"/bench-*.log | awk -v from="time=$(iso "$1")" -v to="time=$(iso "$2")" \
		'/ msg="reconcile failed" / && $1 >= from && $1 < to {n++} END {print n + 0}'
}
# Sources whose Lease the expected replica holds, having reconciled them
# since: all S once the sources are spread. Needs $work/now.h and
# $work/expected.
settled() {
	local i
	for i in "${live[@]}"; do settled_of "$i"; done | sort >"$work/done"
	cut -d' ' -f1,2 "$work/now.h" | comm -12 - "$work/expected" | comm -12 - "$work/done" | wc -l
}
# How many log lines of all replicas hold TEXT.
logged() { cat "$work"/bench-*.log | grep -cF -- "$1" || :; }
# The time of the last line of replica I's log holding TEXT, in ms; 0: none.
logged_at() { # index text
	local l
	l=$(grep -F -- "$2" "$(log_of "$1")" | tail -1 | sed -n 's/^time=\([^ ]*\).*/\1/p')
	if [ -n "$l" ]; then ms_of "$l"; else echo 0; fi
}
# Wait until the sources settle among the live replicas (see settled()),
# polling the Leases every 0.5 s; STEP is the phase, for the progress lines
# and for `$work/STEP.first`, when each was first held by a live replica
# (ms). Sets `held_at`, when all were, and `settled_at`.
wait_settled() { # step
	local s=0 h=0 next_say=$((SECONDS + 15)) deadline=$((SECONDS + timeout))
	# shellcheck disable=SC2046
	expected "$work/expected" $(ids)
	held_at=
	while :; do
		check_alive
		holders "$work/now.h"
		h=$(awk -v live=" $(ids)" 'index(live, " " $2 " ") {n++} END {print n + 0}' "$work/now.h")
		[ -n "$held_at" ] || [ "$h" -lt "$n" ] || held_at=$(now)
		s=$(settled)
		[ "$s" -lt "$n" ] || break
		if [ $SECONDS -ge $deadline ]; then
			say "$1: not settled in $timeout s: $h of $n held, $s settled; holders not as hashed:"
			cut -d' ' -f1,2 "$work/now.h" | comm -13 "$work/expected" - | head -5 >&2
			exit 1
		fi
		if [ $SECONDS -ge $next_say ]; then
			say "$1: $h of $n held by live replicas, $s settled; load $(load)"
			next_say=$((SECONDS + 15))
		fi
		sleep 0.5
	done
	settled_at=$(now)
}
# The requests received between two marks, the marks' own left out, one
# tab-separated line each: user agent, verb, resource, status code, URI
# (a watch once, when received after FROM's mark, as audit_requests).
audit_events() { # from to
	local since
	[ "$2" -gt $(($1 + 1)) ] || return 0
	since=$(sed -n "$1{p;q}" "$BERTH_CLUSTER_DIR/audit.log" | jq -r .requestReceivedTimestamp)
	sed -n "$(($1 + 1)),$(($2 - 1))p" "$BERTH_CLUSTER_DIR/audit.log" |
		jq -r --arg since "$since" 'select(.requestReceivedTimestamp > $since)
			| [.auditID, (.userAgent // "-"), .verb, (.objectRef.resource // "-"),
			   (.responseStatus.code // 0 | tostring), .requestURI] | @tsv' |
		sort -t "$(printf '\t')" -u -k1,1 | cut -f2-
}
mark_ms() { ms_of "$(sed -n "$1{p;q}" "$BERTH_CLUSTER_DIR/audit.log" | jq -r .requestReceivedTimestamp)"; }
# Of audit_events on stdin: the replicas' Lease requests.
replica_leases() { awk -F'\t' '$1 ~ /^berth\// && index($1, "replica/") && $3 == "leases"'; }
# "N key, ..." of the keys on stdin, one a line, the most first.
tally() { sort | uniq -c | sort -rn | sed 's/^ *//' | paste -sd, - | sed 's/,/, /g'; }
# The same of audit_events on stdin, by verb (and code, when not 2xx).
by_verb() { awk -F'\t' '{ print $2 ($4 ~ /^2/ ? "" : " " $4) }' | tally; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # pid
# Per replica of the holders in FILE: "min / max" of the counts.
spread_of() { # file
	awk -v live=" $(ids)" 'index(live, " " $2 " ") {c[$2]++}
		END { min = -1; for (k in c) { if (min < 0 || c[k] < min) min = c[k]; if (c[k] > max) max = c[k] }
			printf "%d / %d", min, max }' "$1"
}
# berth_owned_sources of replica I, from its /metrics.
owned() { # index
	local listen
	listen=$(grep -m1 -o 'msg=started .*listen=[0-9.:]*' "$(log_of "$1")" | sed 's/.*listen=//')
	curl -sf "http://$listen/metrics" | awk '$1 == "berth_owned_sources" {print $2}'
}
# Sources two replicas held at once, by their logs: one logged "lease
# acquired" before the other logged it given up (the killed one holds none
# after the kill), from FROM to TO (ms); then the reconciles logged
# meanwhile of a source two held: "N R".
doubles() { # from to
	local f
	{
		for f in "$work"/bench-*.log; do
			awk -v id="$(basename "$f" .log)" '
				!match($0, / source=[^ ]+/) { next }
				{ s = substr($0, RSTART + 8, RLENGTH - 8); t = substr($1, 6) }
				/ msg="lease acquired" / { print t, id, "take", s }
				/ msg="lease given up" / { print t, id, "drop", s }
				/ msg=(applied|"in sync"|"drift reported"|"reconcile failed") / { print t, id, "run", s }' "$f"
		done
		[ -z "${killed_at:-}" ] || echo "$(iso "$killed_at") bench-$victim end -"
	} | sort -s -k1,1 | awk -v from="$(iso "$1")" -v to="$(iso "$2")" '
		$3 == "end" { for (k in h) { split(k, p, SUBSEP); if (p[2] == $2) { delete h[k]; n[p[1]]-- } } next }
		$3 == "take" { if (n[$4] > 0 && !(($4, $2) in h) && $1 >= from && $1 < to) d[$4] = 1
			if (!(($4, $2) in h)) { h[$4, $2] = 1; n[$4]++ } next }
		$3 == "drop" { if (($4, $2) in h) { delete h[$4, $2]; n[$4]-- } next }
		$3 == "run" { if (n[$4] > 1 && $1 >= from && $1 < to) runs++ }
		END { for (s in d) c++; print c + 0, runs + 0 }'
}
row() { printf '%-50s %18s %18s\n' "$@"; }

echo "lease: $n sources, $r replicas; scaleOut {$scale_out} (in effect: $(for k in "${!t[@]}"; do printf '%s %ss, ' "$k" "${t[$k]}"; done | sed 's/, $//'))"
echo "lease: $(nproc) cores, load average $(load) at the start"

# The remote: S folders of one ConfigMap; the config: S sources of it.
git init -q -b main "$work/src"
for ((i = 0; i < n; i++)); do
	mkdir "$work/src/s$i"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-s%d, labels: {app: bench}}\ndata: {index: "%d"}\n' \
		"$i" "$i" >"$work/src/s$i/cm.yaml"
done
git -C "$work/src" add -A
git -C "$work/src" -c user.name=bench -c user.email=bench@example.com commit -q -m first
git init -q --bare -b main "$work/remote.git"
git -C "$work/src" push -q "$work/remote.git" main 2>/dev/null
{
	printf 'stateNamespace: %s\nscaleOut: {%s}\nsources:\n' "$ns" "$scale_out"
	for ((i = 0; i < n; i++)); do
		printf -- '- {name: s%d, repo: "%s", path: s%d, namespace: %s, interval: 1h}\n' \
			"$i" "$work/remote.git" "$i" "$ns"
	done
} >"$work/berth.yaml"

# 1. The spread.
live=()
for ((i = 0; i < r; i++)); do live+=("$i"); done
from=$(audit_mark spread-from)
t0=$(now)
for i in "${live[@]}"; do start_replica "$i"; done
wait_settled spread
to=$(audit_mark spread-to)
audit_events "$from" "$to" >"$work/spread.ev"
joined_at=0
for i in "${live[@]}"; do
	j=$(logged_at "$i" 'msg=joined ')
	[ "$j" -le "$joined_at" ] || joined_at=$j
done
spread_ms=$((settled_at - t0))
spread_counts=$(spread_of "$work/now.h")
owned_sum=0 owned_list=
for i in "${live[@]}"; do
	o=$(owned "$i")
	owned_sum=$((owned_sum + ${o:-0}))
	owned_list+="${owned_list:+ }${o:-?}"
done
reconciles=$(($(logged ' msg=applied ') + $(logged ' msg="in sync" ') + $(logged ' msg="drift reported" ') +
	$(logged ' msg="reconcile failed" ')))
echo
echo "== 1. spread of $n sources over $r replicas (load $(load))"
echo "  all joined $(secs $((joined_at - t0))) s, all Leases held $(secs $((held_at - t0))) s," \
	"all held as hashed and reconciled $(secs "$spread_ms") s after the start"
echo "  sources per replica (Leases): min / max $spread_counts (S/R $(calc %.0f "$n / $r"));" \
	"berth_owned_sources: $owned_list (sum $owned_sum)"
spread_failed=$(failed "$t0" "$settled_at")
echo "  on the way: $reconciles reconciles ($spread_failed failed)," \
	"$(logged ' msg="lease acquired" ') Leases acquired, $(logged ' change=released ') released," \
	"$(logged ' change=lost ') lost"
read -r spread_doubles runs < <(doubles "$t0" "$settled_at")
echo "  sources two replicas held at once, by their logs: $spread_doubles ($runs reconciles meanwhile)"
echo "  berth's Lease requests: $(replica_leases <"$work/spread.ev" | by_verb)"
echo "  berth's other requests: $(awk -F'\t' '$1 ~ /^berth\// && $3 != "leases"' "$work/spread.ev" | by_verb)"

# 2. At rest.
declare -A ticks
from=$(audit_mark rest-from)
for i in "${live[@]}"; do ticks[$i]=$(cpu_ticks "$(pid_of "$i")"); done
sleep "$rest"
for i in "${live[@]}"; do ticks[$i]=$(($(cpu_ticks "$(pid_of "$i")") - ticks[$i])); done
to=$(audit_mark rest-to)
check_alive
audit_events "$from" "$to" >"$work/rest.ev"
window=$(calc %.3f "($(mark_ms "$to") - $(mark_ms "$from")) / 1000")
replica_leases <"$work/rest.ev" >"$work/rest.lease"
per_s() { calc %.2f "$1 / $window"; }
lease_n=$(wc -l <"$work/rest.lease")
member_n=$(awk -F'\t' '$2 == "update" && index($5, "/leases/berth-member-")' "$work/rest.lease" | wc -l)
source_n=$(awk -F'\t' '$2 == "update" && index($5, "/leases/berth-source-")' "$work/rest.lease" | wc -l)
other_n=$(awk -F'\t' '$1 ~ /^berth\// && $3 != "leases"' "$work/rest.ev" | wc -l)
kcm_n=$(awk -F'\t' '$1 ~ /^kube-controller-manager\// && $3 == "leases"' "$work/rest.ev" | wc -l)
exp_member=$(calc %.2f "$r / $retry")
exp_source=$(calc %.2f "$n / ${t[sourceRenewInterval]}")
cpu=
for i in "${live[@]}"; do cpu+="${cpu:+ }$(calc %.2f%% "${ticks[$i]} / $hz * 100 / $window")"; done
echo
echo "== 2. at rest, $window s between two audit marks (load $(load))"
row "" measured expected
row "berth's Lease requests per second" "$(per_s "$lease_n")" "$(calc %.2f "$exp_member + $exp_source")"
row "  member renewals (update) per second" "$(per_s "$member_n")" "$exp_member"
row "  source renewals (update) per second" "$(per_s "$source_n")" "$exp_source"
echo "  all of them: $(by_verb <"$work/rest.lease")"
row "berth's other requests per second" "$(per_s "$other_n")" "~0"
[ "$other_n" = 0 ] || echo "  they are: $(awk -F'\t' '$1 ~ /^berth\// && $3 != "leases" {print $2, $3, $4}' "$work/rest.ev" | tally)"
row "kube-controller-manager's Lease requests per second" "$(per_s "$kcm_n")" "-"
[ "$kcm_n" != 0 ] || echo "  (deploy/local runs it with --leader-elect=false: client-go's leader election, a GET and an UPDATE each retryPeriod of 2 s, would be 1/s)"
echo "  Lease requests of others, by user agent: $(awk -F'\t' '$1 !~ /^berth\// && $3 == "leases" {sub(/\/.*/, "", $1); print $1}' "$work/rest.ev" | tally)"
echo "  share of a core of each replica: $cpu"

# 3. A death.
victim=$((r - 1))
holders "$work/before.h"
k=$(awk -v v="bench-$victim" '$2 == v' "$work/before.h" | wc -l)
from=$(audit_mark death-from)
killed_at=$(now)
{ # bash's word of the death to /dev/null
	kill -9 "$(pid_of "$victim")"
	wait "$(pid_of "$victim")" || :
} 2>/dev/null
printf -v "pid_$victim" '%s' ''
unset "live[$victim]"
live=("${live[@]}")
deadline=$((SECONDS + timeout))
while :; do
	check_alive
	holders "$work/now.h"
	# Each of the victim's sources held by a live replica.
	again=$(join "$work/before.h" "$work/now.h" |
		awk -v v="bench-$victim" -v live=" $(ids)" '$2 == v && index(live, " " $4 " ")' | wc -l)
	[ "$again" -lt "$k" ] || break
	[ $SECONDS -lt $deadline ] || { say "death: $again of $k held again in $timeout s"; exit 1; }
	sleep 0.5
done
seen_at=$(now)
join "$work/before.h" "$work/now.h" | awk -v v="bench-$victim" '$2 == v {print $5}' | sort >"$work/taken"
first_ms=$(($(ms_of "$(head -1 "$work/taken")") - killed_at))
last_ms=$(($(ms_of "$(tail -1 "$work/taken")") - killed_at))
wait_settled death
to=$(audit_mark death-to)
audit_events "$from" "$to" >"$work/death.ev"
holders "$work/after.h"
moved_others=$(join "$work/before.h" "$work/after.h" |
	awk -v v="bench-$victim" '$2 != v && $2 != $4' | wc -l)
exp_death=$((t[sourceLeaseDuration] + retry))
echo
echo "== 3. kill -9 of bench-$victim, holding $k sources (load $(load))"
row "" measured expected
row "kill to the last of them held by another, s" "$(secs "$last_ms")" "<= $exp_death"
row "  the first of them, s" "$(secs "$first_ms")" \
	">= $((t[sourceLeaseDuration] - t[sourceRenewInterval]))"
row "  seen by polling the Leases, s" "$(secs $((seen_at - killed_at)))" -
row "  all held as hashed and reconciled, s" "$(secs $((settled_at - killed_at)))" -
row "other sources that changed holder" "$moved_others" 0
read -r death_doubles runs < <(doubles "$killed_at" "$settled_at")
row "sources two replicas held at once (their logs)" "$death_doubles" 0
row "  reconciles of those meanwhile" "$runs" 0
death_failed=$(failed "$killed_at" "$settled_at")
row "reconciles failed" "$death_failed" 0
echo "  sources per replica now: min / max $(spread_of "$work/after.h");" \
	"Lease requests meanwhile: $(replica_leases <"$work/death.ev" | by_verb)"

# 4. A join.
holders "$work/before.h"
# Member Leases still held by no live replica: members for the newcomer
# until leaseDuration after it first sees them.
dead=$(api "/apis/coordination.k8s.io/v1/namespaces/$ns/leases?labelSelector=berth.io%2Flease%3Dmember" |
	jq -r '.items[].spec.holderIdentity // "" | sub("_[0-9a-f]{8}$"; "")' | awk -v live=" $(ids)" 'NF && !index(live, " " $1 " ")' | paste -sd' ' -)
l0=$(logged ' msg="lease acquired" ')
from=$(audit_mark join-from)
started_at=$(now)
start_replica "$r"
live+=("$r")
wait_settled join
# Settled: then stable once no Lease is acquired for 2 x retryPeriod.
quiet_at=$(now) l1=$(logged ' msg="lease acquired" ')
while [ $(($(now) - quiet_at)) -lt $((2000 * retry)) ]; do
	check_alive
	sleep 0.2
	l2=$(logged ' msg="lease acquired" ')
	[ "$l2" = "$l1" ] || { l1=$l2 quiet_at=$(now); }
done
to=$(audit_mark join-to)
audit_events "$from" "$to" >"$work/join.ev"
holders "$work/after.h"
joined_ms=$(($(logged_at "$r" 'msg=joined ') - started_at))
moved=$(awk -v id="bench-$r" '$2 == id' "$work/after.h" | wc -l)
share=$(awk -v id="bench-$r" '$2 == id' "$work/expected" | wc -l)
moved_others=$(join "$work/before.h" "$work/after.h" | awk -v id="bench-$r" '$2 != $4 && $4 != id' | wc -l)
last_take=$(awk -v id="bench-$r" '$2 == id {print $3}' "$work/after.h" | sort | tail -1)
join_ms=$(($(ms_of "$last_take") - started_at))
echo
echo "== 4. bench-$r joins $((r - 1)) replicas (load $(load))"
row "" measured expected
row "start to joined (its member Lease), s" "$(secs "$joined_ms")" -
row "start to the last Lease it took, s" "$(secs "$join_ms")" -
row "  of them taken within retryPeriod of its start" "$(awk -v id="bench-$r" '$2 == id {print $3}' "$work/after.h" |
	while read -r a; do echo $(($(ms_of "$a") - started_at)); done | awk -v p=$((1000 * retry)) '$1 <= p {n++} END {print n + 0}') of $moved" -
row "start to all held as hashed and reconciled, s" "$(secs $((settled_at - started_at)))" -
row "  + no Lease acquired for 2 x retryPeriod, s" "$(secs $((quiet_at + 2000 * retry - started_at)))" -
row "sources moved to it" "$moved" "$share (hashed)"
row "sources moved between the others" "$moved_others" 0
row "Leases acquired meanwhile, in all" "$((l1 - l0))" "$share"
read -r join_doubles runs < <(doubles "$started_at" "$(now)")
row "sources two replicas held at once (their logs)" "$join_doubles" 0
row "  reconciles of those meanwhile" "$runs" 0
join_failed=$(failed "$started_at" "$(now)")
row "reconciles failed" "$join_failed" 0
echo "  member Leases of no live replica at its start: ${dead:-none}"
echo "  sources per replica now: min / max $(spread_of "$work/after.h")"
echo "  its Lease requests: $(replica_leases <"$work/join.ev" | awk -F'\t' -v id="replica/bench-$r" 'index($1, id)' | by_verb)"
echo "  the others': $(replica_leases <"$work/join.ev" | awk -F'\t' -v id="replica/bench-$r" '!index($1, id)' | by_verb)"

echo
echo "== lease mode, $n sources, $r replicas (+1 joining), $(nproc) cores, load $(load) at the end"
row "" measured expected
row "spread at start, s" "$(secs "$spread_ms")" -
row "  sources per replica, min / max" "$spread_counts" "$(calc %.0f "$n / $r")"
row "Lease requests per second at rest" "$(per_s "$lease_n")" "$(calc %.2f "$exp_member + $exp_source")"
row "berth's other requests per second at rest" "$(per_s "$other_n")" "~0"
row "kube-controller-manager's Lease requests/s" "$(per_s "$kcm_n")" -
row "death: its $k sources held again, s" "$(secs "$last_ms")" "<= $exp_death"
row "join: its $moved sources taken, s" "$(secs "$join_ms")" -
row "join: moved between the others" "$moved_others" 0
row "held by two at once: spread / death / join" "$spread_doubles / $death_doubles / $join_doubles" "0 / 0 / 0"
row "reconciles failed: spread / death / join" "$spread_failed / $death_failed / $join_failed" "0 / 0 / 0"
