#!/usr/bin/env bash
# What berth run costs at rest and for a one-file commit, beside what
# kubectl does for the same and the floor (one curl LIST), in one run:
# issue 26's table. Figures only, no assertion.
#   1. One source of N ConfigMaps (a file each) in a local remote, at an
#      interval of I s: over a window of K reconciles between two audit
#      marks, berth's requests (the audit log, by user agent) and CPU time
#      (/proc/PID/stat) per reconcile, and its share of a core. kubectl:
#      `kubectl apply --dry-run=server -f` of the same files (what Flux does
#      each interval; as kubectl 1.20 fetches /openapi/v2 for each object,
#      it dry-runs the first KS files only, scaled to N). The floor: one
#      LIST of the namespace's ConfigMaps.
#   2. R one-file commits, each announced by a signed GitHub push webhook
#      (the source polled hourly): from the POST to berth's PATCH of that
#      ConfigMap in the audit log, and the echo, berth's requests after the
#      PATCH until a mark set 3 s after berth logs the reconcile's end (or,
#      when an echo has begun by then, once berth logs its end).
#      kubectl: `kubectl apply -f` of the one changed file.
#   3. A fleet of S sources of M ConfigMaps, each its own remote and
#      namespace, at an interval of FI s: requests per second and share of
#      a core over FK reconciles of each source. kubectl: one dry run per
#      source (of KS objects' worth of sources, scaled to S); the floor:
#      one LIST per source; both once per interval.
#
#   tests/bench/rest.sh [N [S [M]]]    N 10000, S 100, M 50
# Environment: REST_INTERVAL (I, seconds, 10), REST_RECONCILES (K, 10),
# REST_ROUNDS (R, 5), REST_FLEET_INTERVAL (FI, seconds, 30),
# REST_FLEET_RECONCILES (FK, 2), REST_KUBECTL_SAMPLE (KS, 1000),
# REST_KUSTOMIZE (KZ, 0): the N ConfigMaps of section 1 and 2 in KZ
# kustomizations (kz-0 ... each listing its files) instead of plain files;
# the push changes a file of kz-0, and kubectl applies `-k kz-0`.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-10000}
fleet=${2:-100}
per=${3:-50}
interval=${REST_INTERVAL:-10}
reconciles=${REST_RECONCILES:-10}
rounds=${REST_ROUNDS:-5}
fleet_interval=${REST_FLEET_INTERVAL:-30}
fleet_reconciles=${REST_FLEET_RECONCILES:-2}
sample=${REST_KUBECTL_SAMPLE:-1000}
kz=${REST_KUSTOMIZE:-0}

bench_start berth-bench-rest agent
trap '"$kubectl" delete namespace -l berth-bench=rest --wait=false >/dev/null 2>&1 || :; bench_stop' EXIT
server=$(cat "$BERTH_CLUSTER_DIR/server")
token=$(cat "$BERTH_CLUSTER_DIR/admin.token")
ca=$BERTH_CLUSTER_DIR/pki/ca.crt
hz=$(getconf CLK_TCK)
log=$work/agent.log

now() { date +%s%3N; }
ms_of() { date -d "$1" +%s%3N; } # an RFC 3339 time, of berth's log or the audit log
# phase WHAT: how long the phase since the last one took.
phase_at=$(now)
phase() {
	local t
	t=$(now)
	printf 'phase: %s: %s s\n' "$1" "$(awk "BEGIN {printf \"%.1f\", ($t - $phase_at) / 1000}")"
	phase_at=$t
}
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
maximum() { sort -n | tail -1; }
calc() { awk "BEGIN {printf \"$1\", $2}"; } # format expression
cpu_ticks() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
lines() { wc -l <"$log"; }

# The number of berth's log lines after line FROM (up to line TO) holding TEXT.
logged() { # text from [to]
	sed -n "$(($2 + 1)),${3:-\$}p" "$log" | awk -v t="$1" 'index($0, t) {n++} END {print n + 0}'
}
# Wait until COUNT lines after line FROM hold TEXT, at most SECONDS.
wait_logged() { # text from count seconds
	local deadline=$((SECONDS + $4))
	until [ "$(logged "$1" "$2")" -ge "$3" ]; do
		if [ "$(logged 'msg="reconcile failed"' "$2")" -gt 0 ] || ! kill -0 "$agent" 2>/dev/null ||
			[ $SECONDS -ge $deadline ]; then
			echo "rest: no $3 lines '$1' in berth's log (failed, exited or timed out)" >&2
			tail -5 "$log" >&2
			exit 1
		fi
		sleep 0.05
	done
}
# A window at rest between two audit marks: it starts as a reconcile has
# just ended, and ends once COUNT more reconciles have logged TEXT (at most
# SECONDS). Sets `first` and `last`, its log lines, `reconciled`, how many
# logged TEXT, `ticks`, berth's CPU time in it (clock ticks), and `took`
# (ms); berth's requests in it go to $work/NAME.req.
at_rest() { # name text count seconds
	local from to c0 t0
	first=$(lines)
	from=$(audit_mark "$1-from")
	c0=$(cpu_ticks)
	t0=$(now)
	wait_logged "$2" "$first" "$3" "$4"
	ticks=$(($(cpu_ticks) - c0))
	took=$(($(now) - t0))
	last=$(lines)
	to=$(audit_mark "$1-to")
	reconciled=$(logged "$2" "$first" "$last")
	audit_requests "$from" "$to" berth/ >"$work/$1.req"
}
# The count of each kind of request in "time verb URI" lines on stdin.
kinds() {
	awk '{ uri = $3; sub(/\?.*/, "", uri) }
		$2 == "get" && uri ~ /^\/(version|openapi\/v2|apis?|api\/[^\/]+|apis\/[^\/]+|apis\/[^\/]+\/[^\/]+)$/ { d++; next }
		$2 == "list" { l++; next }
		$2 == "watch" { w++; next }
		$3 ~ /dryRun/ { r++; next }
		$2 ~ /^(create|update|patch|delete|deletecollection)$/ { x++; next }
		{ g++ }
		END { printf "%d discovery, %d list, %d watch, %d get, %d dry run, %d write\n", d, l, w, g, r, x }'
}
# Start berth run with CONFIG, its log in $log; stop_agent stops it.
start_agent() { # config
	"$berth" run --listen 127.0.0.1:0 --config "$1" 2>"$log" &
	agent=$!
}
stop_agent() {
	kill -TERM "$agent"
	wait "$agent" || :
	agent=
}
# timed CMD...: run CMD, adding its wall, user and system time to the
# totals `wall` and `cpu` (seconds).
timed() {
	local w u s
	/usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
		echo "rest: $* failed:" >&2
		tail -5 "$work/err" >&2
		exit 1
	}
	read -r w u s < <(tail -1 "$work/time")
	wall=$(calc %.2f "$wall + $w")
	cpu=$(calc %.2f "$cpu + $u + $s")
}
list=(curl -sf -A rest-floor/1 --cacert "$ca" -H "Authorization: Bearer $token" -o /dev/null)
configmaps() { echo "$server/api/v1/namespaces/$1/configmaps"; } # namespace
configmap() { # directory index value
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config-%d, labels: {app: bench}}\ndata: {index: "%d", value: "%s", settings.conf: "listen 8080\\nworkers 4\\nname config-%d\\n"}\n' \
		"$2" "$2" "$3" "$2" >"$1/config-$2.yaml"
}
# The folder of ConfigMap I in the source, and what kubectl applies of it.
folder() { if [ "$kz" -gt 0 ]; then echo "$work/src/kz-$(($1 % kz))"; else echo "$work/src"; fi; }
kubectl_of_0() { if [ "$kz" -gt 0 ]; then echo "-k $(folder 0)"; else echo "-f $work/src/config-0.yaml"; fi; }
commit() { # work-tree remote message
	git -C "$1" add -A
	git -C "$1" -c user.name=bench -c user.email=bench@example.com commit -q -m "$3"
	git -C "$1" push -q "$2" main 2>/dev/null
}
# post_hook BODY SIGNATURE: POST a push event to the agent, from bash
# itself, connected first: `sent` is when its first byte was written (the
# ms a curl process would spend starting are not the webhook's).
post_hook() {
	local hostport=${url#http://} status
	exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}"
	sent=$((${EPOCHREALTIME/./} / 1000))
	printf 'POST /hooks/github HTTP/1.1\r\nHost: %s\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=%s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
		"$hostport" "$2" "${#1}" "$1" >&3
	read -r _ status _ <&3
	cat <&3 >/dev/null
	exec 3<&-
	[ "$status" = 202 ] || [ "$status" = 200 ] || { echo "rest: the webhook answered $status" >&2; exit 1; }
}
row() { printf '%-46s %16s %18s %14s\n' "$@"; }

echo "rest: one source of $n ConfigMaps at ${interval}s, $reconciles reconciles; $rounds pushes;" \
	"$fleet sources of $per at ${fleet_interval}s, $fleet_reconciles reconciles each"

# 1. One source of N at rest.
git init -q --bare -b main "$work/remote.git"
git init -q -b main "$work/src"
for ((j = 0; j < kz; j++)); do mkdir -p "$work/src/kz-$j"; done
for ((i = 0; i < n; i++)); do
	if [ "$kz" -gt 0 ]; then configmap "$work/src/kz-$((i % kz))" "$i" 0; else configmap "$work/src" "$i" 0; fi
done
for ((j = 0; j < kz; j++)); do
	(cd "$work/src/kz-$j" && printf 'resources:\n' && ls config-*.yaml | sed 's/^/- /') \
		>"$work/src/kz-$j/kustomization.yaml"
done
commit "$work/src" "$work/remote.git" first
printf 'bench-webhook-secret' >"$work/secret"
agent_config() { # interval
	cat <<EOF
stateNamespace: $ns
sources:
- {name: bench, repo: "$work/remote.git", namespace: $ns, interval: ${1}s}
webhooks:
  github: {secretFile: $work/secret}
EOF
}
agent_config "$interval" >"$work/berth.yaml"
phase "writing and committing $n ConfigMaps"
start_agent "$work/berth.yaml"
wait_logged 'msg=applied source=bench ' 0 1 900
phase "berth's first apply of $n"
wait_logged 'msg="in sync" source=bench ' 0 1 $((interval * 3 + 300))
at_rest rest 'msg="in sync" source=bench ' "$reconciles" $(((interval + 30) * reconciles * 2))
phase "berth at rest, $reconciles reconciles"
other_n=$(($(logged 'msg=applied source=' "$first" "$last") + $(logged 'msg="drift reported" source=' "$first" "$last")))
b_req=$(wc -l <"$work/rest.req")
stop_agent # kubectl and curl then run alone
b_dur=$(sed -n "$((first + 1)),${last}p" "$log" | grep -F 'msg="in sync" source=bench ' |
	sed 's/.*duration=\([0-9.]*\)s.*/\1/' | median)
# kubectl 1.20 fetches /openapi/v2 for each object it dry-runs (about 0.2 s
# each): it dry-runs a sample, and its figures are scaled to N.
mkdir "$work/sample"
for ((i = 0; i < n && i < sample; i++)); do cp "$(folder "$i")/config-$i.yaml" "$work/sample/"; done
scale=$(calc %.3f "$n / $i")
from=$(audit_mark kubectl-from)
wall=0 cpu=0
timed "$kubectl" apply --dry-run=server -n "$ns" -f "$work/sample"
to=$(audit_mark kubectl-to)
k_wall=$(calc %.2f "$wall * $scale") k_cpu=$(calc %.2f "$cpu * $scale")
audit_requests "$from" "$to" kubectl/ >"$work/kubectl.req"
k_req=$(calc %d "$(wc -l <"$work/kubectl.req") * $scale")
phase "kubectl apply --dry-run=server of $i"
from=$(audit_mark floor-from)
wall=0 cpu=0
timed "${list[@]}" "$(configmaps "$ns")"
to=$(audit_mark floor-to)
f_wall=$wall f_cpu=$cpu
f_req=$(audit_requests "$from" "$to" rest-floor/ | wc -l)

echo
echo "== 1. one source of $n ConfigMaps at rest, interval ${interval}s: $reconciled reconciles in" \
	"$(calc %.1f "$took / 1000") s ($other_n others)"
row "" berth "kubectl dry run" "floor (curl)"
row "requests per reconcile" "$(calc %.1f "$b_req / $reconciled")" "$k_req" "$f_req"
echo "  berth, in all: $(kinds <"$work/rest.req")"
echo "  kubectl, of $i objects (scaled x$scale above): $(kinds <"$work/kubectl.req")"
row "CPU per reconcile, s" "$(calc %.3f "$ticks / $hz / $reconciled")" "$k_cpu" "$f_cpu"
row "wall per reconcile, s (berth: median)" "$b_dur" "$k_wall" "$f_wall"
row "share of a core at ${interval}s" "$(calc %.1f%% "$ticks / $hz * 100000 / $took")" \
	"$(calc %.1f%% "$k_cpu * 100 / $interval")" "$(calc %.1f%% "$f_cpu * 100 / $interval")"
echo

# 2. One-file commits announced by a webhook, the source polled hourly.
agent_config 3600 >"$work/berth.yaml"
start_agent "$work/berth.yaml"
wait_logged 'source=bench ' 0 1 600
url=http://$(grep -m1 -o 'listen=[0-9.:]*' "$log" | cut -d= -f2)
"$kubectl" create namespace "$ns-kubectl" >/dev/null
"$kubectl" label namespace "$ns-kubectl" berth-bench=rest >/dev/null
# shellcheck disable=SC2046
"$kubectl" apply -n "$ns-kubectl" $(kubectl_of_0) >/dev/null
phase "berth restarted, polling hourly"
: >"$work/push.txt"
for ((r = 1; r <= rounds; r++)); do
	configmap "$(folder 0)" 0 "push-$r"
	commit "$work/src" "$work/remote.git" "push $r"
	body=$(printf '{"ref":"refs/heads/main","after":"%s","repository":{"clone_url":"%s/remote.git"}}' \
		"$(git -C "$work/src" rev-parse HEAD)" "$work")
	sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac bench-webhook-secret | sed 's/.*= //')
	from=$(audit_mark "push-$r-from")
	l0=$(lines)
	c0=$(cpu_ticks)
	post_hook "$body" "$sig"
	wait_logged 'msg=applied source=bench ' "$l0" 1 600
	c1=$(cpu_ticks)
	l1=$(lines)
	ended=$(sed -n "$((l0 + 1)),${l1}p" "$log" | grep -F 'msg=applied source=bench ' | tail -1 |
		sed 's/^time=\([^ ]*\).*/\1/')
	ended=$(date -u -d "$ended" +%Y-%m-%dT%H:%M:%S.%6NZ) # as the audit log writes times
	sleep 3 # time for the echo to happen; the marks bound what is counted
	c2=$(cpu_ticks)
	l2=$(lines)
	to=$(audit_mark "push-$r-to")
	audit_requests "$from" "$to" berth/ >"$work/push.req"
	# An echo begun but not logged yet (a loaded machine): the mark moves
	# past its end, 2 min at most.
	deadline=$((SECONDS + 120))
	if [ "$(awk -v t="$ended" '$1 > t' "$work/push.req" | wc -l)" -gt 0 ]; then
		while [ "$(logged 'source=bench commit=' "$l0")" -lt 2 ] && [ $SECONDS -lt $deadline ]; do
			sleep 0.05
		done
		c2=$(cpu_ticks)
		l2=$(lines)
		to=$(audit_mark "push-$r-echo")
		audit_requests "$from" "$to" berth/ >"$work/push.req"
	fi
	patched=$(awk -v u="/api/v1/namespaces/$ns/configmaps/config-0" \
		'($2 == "patch" || $2 == "update") && $3 == u {print $1; exit}' "$work/push.req")
	[ -n "$patched" ] || { echo "rest: no PATCH of config-0 by berth in round $r" >&2; exit 1; }
	awk -v t="$patched" '$1 > t' "$work/push.req" >"$work/echo.req"
	# Reconciles logged after the push's (the echo may be over before l1).
	echoes=$(($(logged 'source=bench commit=' "$l0" "$l2") - 1))
	after_end=$(awk -v t="$ended" '$1 > t' "$work/echo.req" | wc -l)
	wall=0 cpu=0
	# shellcheck disable=SC2046
	timed "$kubectl" apply -n "$ns-kubectl" $(kubectl_of_0)
	echo "$(($(ms_of "$patched") - sent)) $(wc -l <"$work/echo.req") $after_end $((c1 - c0)) $((c2 - c1))" \
		"$echoes $(calc %d "$wall * 1000")" >>"$work/push.txt"
	applied=$(sed -n "$((l0 + 1)),${l1}p" "$log" | grep -F 'msg=applied source=bench ' | tail -1)
	echo "  round $r: $(kinds <"$work/echo.req") after the PATCH" \
		"($after_end after the reconcile's end, $echoes more reconciles logged);" \
		"$(grep -o 'compared=[^ ]*' <<<"$applied") $(grep -o ' built=[^ ]*' <<<"$applied")" \
		"$(grep -o 'duration=[^ ]*' <<<"$applied")"
done
phase "$rounds pushes"
col() { cut -d' ' -f"$1" "$work/push.txt"; }
ticks_ms() { while read -r t; do calc "%d\n" "$t * 1000 / $hz"; done; }
echo
in_kz=
[ "$kz" = 0 ] || in_kz=" in $kz kustomizations"
echo "== 2. a one-file commit in the source of $n$in_kz by a signed push webhook, $rounds rounds"
row "" berth "kubectl apply $(kubectl_of_0 | cut -c1-2)" "floor"
row "POST to the PATCH, ms, median / max" "$(col 1 | median) / $(col 1 | maximum)" \
	"$(col 7 | median) / $(col 7 | maximum)" -
row "CPU from POST to reconcile end, ms, median" "$(col 4 | ticks_ms | median)" - -
row "echo: requests after the PATCH, median / max" "$(col 2 | median) / $(col 2 | maximum)" - -
row "  of them after the reconcile's end" "$(col 3 | median) / $(col 3 | maximum)" - -
row "echo: CPU after the reconcile, ms, median/max" "$(col 5 | ticks_ms | median) / $(col 5 | ticks_ms | maximum)" - -
row "echo: reconciles logged after it, median" "$(col 6 | median)" - -
echo
stop_agent
[ "$fleet" -gt 0 ] || exit 0

# 3. A fleet of S sources of M at rest.
{
	for ((s = 0; s < fleet; s++)); do
		printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s-f%d, labels: {berth-bench: rest}}\n---\n' "$ns" "$s"
	done
} | "$kubectl" apply -f - >/dev/null
{
	printf 'stateNamespace: %s\nsources:\n' "$ns"
	for ((s = 0; s < fleet; s++)); do
		mkdir -p "$work/fleet/$s"
		for ((i = 0; i < per; i++)); do configmap "$work/fleet/$s" "$i" 0; done
		git init -q --bare -b main "$work/fleet/$s.git"
		git init -q -b main "$work/fleet/$s"
		commit "$work/fleet/$s" "$work/fleet/$s.git" first
		printf -- '- {name: f%d, repo: "%s", namespace: %s-f%d, interval: %ds}\n' \
			"$s" "$work/fleet/$s.git" "$ns" "$s" "$fleet_interval"
	done
} >"$work/fleet.yaml"
phase "writing $fleet sources of $per"
start_agent "$work/fleet.yaml"
wait_logged 'msg=applied source=f' 0 "$fleet" 900
phase "berth's first apply of $fleet sources"
wait_logged 'msg="in sync" source=f' 0 "$fleet" $((fleet_interval * 3 + 300))
at_rest fleet 'msg="in sync" source=f' $((fleet * fleet_reconciles)) \
	$(((fleet_interval + 60) * fleet_reconciles * 3))
phase "the fleet at rest"
b_req=$(wc -l <"$work/fleet.req")
from=$(audit_mark fleet-kubectl-from)
wall=0 cpu=0
for ((s = 0; s < fleet && (s == 0 || s * per < sample); s++)); do
	timed "$kubectl" apply --dry-run=server -n "$ns-f$s" -f "$work/fleet/$s"
done
to=$(audit_mark fleet-kubectl-to)
k_sources=$s
scale=$(calc %.3f "$fleet / $s")
k_wall=$(calc %.2f "$wall * $scale") k_cpu=$(calc %.2f "$cpu * $scale")
audit_requests "$from" "$to" kubectl/ >"$work/kubectl.req"
k_req=$(calc %d "$(wc -l <"$work/kubectl.req") * $scale")
from=$(audit_mark fleet-floor-from)
wall=0 cpu=0
for ((s = 0; s < fleet; s++)); do timed "${list[@]}" "$(configmaps "$ns-f$s")"; done
to=$(audit_mark fleet-floor-to)
f_wall=$wall f_cpu=$cpu
f_req=$(audit_requests "$from" "$to" rest-floor/ | wc -l)
phase "kubectl dry runs and LISTs of $fleet sources"
secs=$(calc %.3f "$took / 1000")

echo
echo "== 3. $fleet sources of $per ConfigMaps at rest, interval ${fleet_interval}s: $reconciled reconciles in $secs s"
row "" berth "kubectl dry run" "floor (curl)"
row "requests per second (others: each interval)" "$(calc %.2f "$b_req / $secs")" \
	"$(calc %.2f "$k_req / $fleet_interval")" "$(calc %.2f "$f_req / $fleet_interval")"
echo "  berth, in all: $(kinds <"$work/fleet.req")"
echo "  kubectl, $k_sources sources (scaled x$scale above): $(kinds <"$work/kubectl.req")"
row "requests per reconcile of a source" "$(calc %.2f "$b_req / $reconciled")" \
	"$(calc %.1f "$k_req / $fleet")" "$(calc %.1f "$f_req / $fleet")"
row "share of a core" "$(calc %.1f%% "$ticks / $hz * 100000 / $took")" \
	"$(calc %.1f%% "$k_cpu * 100 / $fleet_interval")" "$(calc %.1f%% "$f_cpu * 100 / $fleet_interval")"
row "wall of one round of all sources, s" - "$k_wall" "$f_wall"
