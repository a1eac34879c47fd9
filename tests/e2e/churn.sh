#!/usr/bin/env bash
# Correctness under incremental apply (issue 26). berth run (prune on, an
# hourly interval: only signed GitHub pushes act) follows a local remote
# through 20 random commits, each adding, changing, renaming, moving or
# deleting files: ConfigMaps, multi-document files, Services, and two
# kustomizations (one with a base outside the source's path) whose inputs
# change in some commits and not in others, or where a file they do not
# read changes: the log must say how many were built again.
# After each commit, once berth's log says it applied that sha:
#   (a) `berth diff --prune` of the commit in a fresh process exits 0;
#   (b) the cluster equals a full sync of the commit: the reference is a
#       fresh `berth sync` of the same commit into an emptied second
#       namespace, from the work repository (another URL, so another
#       berth.io/source that the agent's prune never takes) and with a cache
#       of its own, so that nothing of the agent's state (its cache, its
#       watch, its last commit, what it applied before) can reach it; a
#       `berth build` or `diff -o json` would give Git's side only, not
#       what the server makes of it (defaults, the last-applied annotation). The objects of both namespaces are
#       compared as normalised JSON: kind, name, labels, annotations, the
#       last-applied configuration, data and spec, less what the server or
#       the namespace makes differ (clusterIP, namespace, berth.io/source,
#       each side checked against its own). Nothing that left Git is left
#       over, nothing is missing.
# Then a force-push back to an older commit: applied as a full reconcile
# (its log counts every object of the commit), the cluster again equals a
# full sync of it, and prune removed the newer objects.
#
# The commits are drawn from a seeded generator (a 31-bit LCG, not bash's
# RANDOM); BERTH_CHURN_SEED=N replays a run, commit ids included.
. "$(dirname "$0")/lib.sh"

# Each commit is loaded as the files it changed, and compared as them
# alone (the log says compared=changed). BERTH_CHURN_KUSTOMIZE=0: without
# the kustomizations.
kustomize=${BERTH_CHURN_KUSTOMIZE:-1}
suffix=${kustomize/1/}
suffix=${suffix/0/-plain}
ns=berth-churn$suffix
ref_ns=berth-churn$suffix-ref
state_ns=berth-churn$suffix-state
commits=${BERTH_CHURN_COMMITS:-20}
seed=${BERTH_CHURN_SEED:-$(($(date +%s%N) / 1000 % 1000000))}
echo "seed: $seed (replay with BERTH_CHURN_SEED=$seed)"
export XDG_CACHE_HOME=$scratch/cache
agent='' emptied=''
cleanup() {
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || true
	[ -z "$emptied" ] || wait "$emptied" 2>/dev/null || true
	# On failure, what the agent said.
	[ ! -s "$scratch/agent.log" ] || [ "${PASSED:-}" ] || tail -20 "$scratch/agent.log" >&2
	[ "${PASSED:-}" ] || echo "seed: $seed (replay with BERTH_CHURN_SEED=$seed)" >&2
	kubectl delete namespace "$ns" "$ref_ns" "$state_ns" --ignore-not-found --wait=false >/dev/null
}
trap 'cleanup; rm -rf "$scratch"' EXIT
fresh_namespaces "$ns" "$ref_ns" "$state_ns"

# The generator: rand N sets R to a number in [0, N).
rng=$seed
rand() {
	rng=$(((rng * 1103515245 + 12345) & 0x7fffffff))
	R=$(((rng >> 16) % $1))
}

# The model of the tree under apps/: each plain file's objects (names),
# each object's kind and generation. apps/kz, apps/kz2 and apps/kz3 are built.
declare -A file_objs=() kind=() gen=()
folders=(a b b/deep)
serial=0
kz_props=0 kz_port=0 kz_notes=0 kz_base=0 kz2_comments=0
work=$scratch/work
remote=$scratch/remote.git
next_name() { # prefix: sets NAME
	serial=$((serial + 1))
	NAME=$1-$serial
}
# LIST (words) with the word OLD replaced by NEW, or left out without one.
replace_word() { # list old [new]
	local w out=''
	for w in $1; do
		[ "$w" != "$2" ] || w=${3:-}
		[ -z "$w" ] || out="$out $w"
	done
	echo "${out# }"
}
# Set FILES to the plain files, in a fixed order.
list_files() {
	mapfile -t FILES < <(printf '%s\n' "${!file_objs[@]}" | LC_ALL=C sort)
}
object_yaml() { # name
	local o=$1 g=${gen[$1]} k
	if [ "${kind[$o]}" = Service ]; then
		printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n' "$o"
		printf 'spec:\n  selector: {app: %s}\n  ports:\n  - {name: http, port: %d, targetPort: %d}\n' \
			"$o" $((8000 + g)) $((9000 + g))
		# A second port in odd generations: a list item that comes and goes.
		[ $((g % 2)) = 0 ] || printf '  - {name: metrics, port: 9100}\n'
		return
	fi
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n' "$o"
	# A label and keys that come and go with the generation.
	[ $((g % 2)) = 1 ] || printf '  labels: {even: "yes"}\n'
	printf 'data:\n  name: %s\n  gen: "%d"\n' "$o" "$g"
	for ((k = 0; k < g % 3; k++)); do printf '  key%d: "value %d of %d"\n' "$k" "$k" "$g"; done
}
write_file() { # path
	local o sep=
	for o in ${file_objs[$1]}; do
		[ -z "$sep" ] || echo ---
		object_yaml "$o"
		sep=1
	done >"$work/apps/$1"
}
random_folder() {
	rand ${#folders[@]}
	FOLDER=${folders[$R]}
}
# One change to the tree; appends what it did to DID.
add_file() {
	local objs='' n i
	random_folder
	rand 3
	n=$((R + 1))
	for ((i = 0; i < n; i++)); do
		rand 5
		if [ "$R" = 0 ]; then
			next_name svc
			kind[$NAME]=Service
		else
			next_name cm
			kind[$NAME]=ConfigMap
		fi
		gen[$NAME]=0
		objs="$objs $NAME"
	done
	next_name f
	file_objs[$FOLDER/$NAME.yaml]=${objs# }
	write_file "$FOLDER/$NAME.yaml"
	DID="$DID add:$FOLDER/$NAME.yaml($n)"
}
pick_file() { # sets FILE
	list_files
	rand ${#FILES[@]}
	FILE=${FILES[$R]}
}
pick_object() { # in FILE: sets OBJ
	local objs
	read -ra objs <<<"${file_objs[$FILE]}"
	rand ${#objs[@]}
	OBJ=${objs[$R]}
}
change_object() {
	pick_file
	pick_object
	gen[$OBJ]=$((${gen[$OBJ]} + 1))
	write_file "$FILE"
	DID="$DID change:$OBJ"
}
move_file() { # within its folder (a rename) or to another
	local to
	pick_file
	random_folder
	next_name f
	to=$FOLDER/$NAME.yaml
	mv "$work/apps/$FILE" "$work/apps/$to"
	file_objs[$to]=${file_objs[$FILE]}
	unset "file_objs[$FILE]"
	DID="$DID move:$FILE->$to"
}
delete_file() {
	list_files
	[ ${#FILES[@]} -gt 3 ] || return 0
	pick_file
	rm "$work/apps/$FILE"
	unset "file_objs[$FILE]"
	DID="$DID delete:$FILE"
}
rename_object() { # a new name, the same content
	local old
	pick_file
	pick_object
	old=$OBJ
	next_name "${OBJ%%-*}"
	kind[$NAME]=${kind[$old]}
	gen[$NAME]=${gen[$old]}
	file_objs[$FILE]=$(replace_word "${file_objs[$FILE]}" "$old" "$NAME")
	write_file "$FILE"
	DID="$DID rename:$old->$NAME"
}
move_object() { # from one file to another, in one commit
	local from to
	list_files
	[ ${#FILES[@]} -gt 1 ] || return 0
	pick_file
	from=$FILE
	pick_object
	pick_file
	to=$FILE
	[ "$from" != "$to" ] || return 0
	file_objs[$to]="${file_objs[$to]} $OBJ"
	write_file "$to"
	file_objs[$from]=$(replace_word "${file_objs[$from]}" "$OBJ")
	if [ -z "${file_objs[$from]}" ]; then
		rm "$work/apps/$from"
		unset "file_objs[$from]"
	else
		write_file "$from"
	fi
	DID="$DID move-object:$OBJ:$from->$to"
}
# The kustomizations. apps/kz: a generated ConfigMap (its name hashed from
# app.properties), a ConfigMap and a Service, prefixed and labelled; beside
# them a file it does not read (notes.txt). apps/kz2 and apps/kz3: a base
# outside the source's path (../../base), prefixed; the base's
# commonLabels is a deprecation that each of the two builds warns of.
write_kz() {
	mkdir -p "$work/apps/kz" "$work/apps/kz2" "$work/apps/kz3" "$work/base"
	cat >"$work/apps/kz/kustomization.yaml" <<'YAML'
namePrefix: kz-
labels:
- pairs: {tier: churn}
resources: [settings.yaml, web.yaml]
configMapGenerator:
- name: props
  files: [app.properties]
YAML
	printf 'mode=%d\nworkers=4\n' "$kz_props" >"$work/apps/kz/app.properties"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {port: "%d"}\n' \
		"$kz_port" >"$work/apps/kz/settings.yaml"
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: %d}]}\n' \
		$((7000 + kz_port)) >"$work/apps/kz/web.yaml"
	printf 'notes %d\n' "$kz_notes" >"$work/apps/kz/notes.txt"
	printf 'namePrefix: kz2-\nresources: [../../base]\n' >"$work/apps/kz2/kustomization.yaml"
	for ((k = 0; k < kz2_comments; k++)); do echo "# comment $k"; done >>"$work/apps/kz2/kustomization.yaml"
	printf 'namePrefix: kz3-\nresources: [../../base]\n' >"$work/apps/kz3/kustomization.yaml"
	printf 'commonLabels: {base: churn}\nresources: [shared.yaml]\n' >"$work/base/kustomization.yaml"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\ndata: {rev: "%d"}\n' \
		"$kz_base" >"$work/base/shared.yaml"
}
# BUILT: how many kustomizations the commit's changes reach.
change_kz() {
	rand 6
	case $R in
	0) kz_props=$((kz_props + 1)) DID="$DID kz:props" BUILT=1 ;;
	1) kz_port=$((kz_port + 1)) DID="$DID kz:port" BUILT=1 ;;
	2) kz_base=$((kz_base + 1)) DID="$DID kz23:base" BUILT=2 ;;
	3) kz_notes=$((kz_notes + 1)) DID="$DID kz:notes" ;;
	4) kz2_comments=$((kz2_comments + 1)) DID="$DID kz2:comment" BUILT=1 ;;
	*) DID="$DID kz:unchanged" ;;
	esac
	write_kz
}
# Commit the work tree at a time of the generator's (the same seed, the
# same commit ids) and push it: prints the commit.
commit_at=1700000000
commit() { # message
	commit_at=$((commit_at + 60))
	git -C "$work" add -A
	GIT_AUTHOR_DATE="@$commit_at +0000" GIT_COMMITTER_DATE="@$commit_at +0000" \
		git -C "$work" -c user.name=berth -c user.email=berth@example.com commit -q -m "$1"
	git -C "$work" push -q -f "$remote" HEAD:main 2>/dev/null
	git -C "$work" rev-parse HEAD
}

# A signed GitHub push that moved main from BEFORE to AFTER (berth takes a
# body it has seen as a redelivery: "before" tells a force-push back to a
# commit from that commit's own push).
secret=churn-webhook-secret-$seed
printf '%s' "$secret" >"$scratch/secret"
push_hook() { # before after
	local body sig code
	body=$(printf '{"ref":"refs/heads/main","before":"%s","after":"%s","repository":{"clone_url":"%s"}}' \
		"$1" "$2" "$remote")
	sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/.*= //')
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-GitHub-Event: push' \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary "$body" "http://$(agent_address)/hooks/github")
	assert_eq "$code" 202 "the webhook of $2"
}
# Wait until berth's log, after line LOG_FROM, says it applied COMMIT (30 s
# backstop; a failed reconcile of it fails at once): sets APPLIED, the log
# line, and WAITED, how long it took in ms. (A force-push goes back to a
# commit the log has said it applied before.)
log_after() { tail -n +"$((log_from + 1))" "$scratch/agent.log"; }
applied_line() { log_after | grep -m1 "msg=applied source=churn commit=$1 "; }
commit_refused() { log_after | grep -q "msg=\"reconcile failed\" source=churn commit=$1 "; }
applied_or_refused() { applied_line "$1" || commit_refused "$1"; }
wait_applied() { # commit what
	local start
	start=$(date +%s%N)
	wait_until 30 "berth to apply $2 ($1)" applied_or_refused "$1"
	! commit_refused "$1" || fail "berth refused $2: $(log_after | grep "commit=$1 ")"
	APPLIED=$(applied_line "$1")
	WAITED=$((($(date +%s%N) - start) / 1000000))
}

# The objects of NAMESPACE in the LIST on stdin, as normalised JSON, sorted:
# SOURCE is the berth.io/source each must carry (one that carries another
# keeps it, and shows in the comparison). The last-applied configuration is
# read, less its namespace and source, for the next three-way merge rests
# on it.
objects() { # namespace source
	jq -S --arg ns "$1" --arg src "$2" '
		def applied: if . then fromjson | del(.metadata.namespace, .metadata.annotations["berth.io/source"]) else . end;
		[.items[] | select(.metadata.namespace == $ns and .metadata.name != "kube-root-ca.crt")
		 | {kind, name: .metadata.name,
		    source: .metadata.annotations["berth.io/source"],
		    labels: .metadata.labels,
		    annotations: (.metadata.annotations // {}
		        | del(.["berth.io/source"], .["kubectl.kubernetes.io/last-applied-configuration"])),
		    applied: (.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] | applied),
		    data, binaryData,
		    spec: (.spec | if . then del(.clusterIP, .clusterIPs) else . end)}
		 | if .source == $src then del(.source) else . end]
		| sort_by(.kind, .name)'
}
# What differs between the objects a full sync makes (WANT) and those of
# the agent (GOT): the names left over, missing and changed, then each
# object that differs, one line each (- full sync, + berth run).
difference() { # want got
	jq -rn --argjson w "$1" --argjson g "$2" '
		def by_name: map({key: "\(.kind)/\(.name)", value: .}) | from_entries;
		($w | by_name) as $W | ($g | by_name) as $G
		| "left over (not in Git): \([$G | keys[] | select($W[.] == null)] | join(" "))",
		  "missing: \([$W | keys[] | select($G[.] == null)] | join(" "))",
		  "changed: \([$W | keys[] | select($G[.] != null and $G[.] != $W[.])] | join(" "))"'
	diff <(jq -c '.[]' <<<"$1") <(jq -c '.[]' <<<"$2") | sed -n 's/^</-/p; s/^>/+/p'
}
# Check the cluster at COMMIT (the n-th): (a) and (b) above, the diff and
# the reference sync side by side, each berth with a cache of its own (never
# the agent's). Keeps the reference's object names in $scratch/names-N, and
# empties the reference namespace in the background (`emptied`) while the
# next commit is made and applied.
checked=0
check_commit() { # commit n
	local differ status=0 got want
	XDG_CACHE_HOME=$scratch/diff-cache "$BERTH" diff --prune --repo "$remote" --ref "$1" \
		--path apps -n "$ns" >"$scratch/diff.out" 2>&1 &
	differ=$!
	[ -z "$emptied" ] || wait "$emptied" || fail "the reference namespace was not emptied"
	XDG_CACHE_HOME=$scratch/sync-cache run_berth sync --repo "$work" --ref "$1" --path apps -n "$ref_ns"
	wait "$differ" || status=$?
	[ "$status" = 0 ] ||
		fail "berth diff --prune of commit $2 ($1) exited $status: $(cat "$scratch/diff.out")"
	[ "$STATUS" = 0 ] || fail "the reference sync of commit $2 ($1) exited $STATUS: $ERR"
	# Both namespaces in one LIST.
	kubectl get configmaps,services -A -o json >"$scratch/live.json"
	want=$(objects "$ref_ns" "$work//apps" <"$scratch/live.json")
	got=$(objects "$ns" "$remote//apps" <"$scratch/live.json")
	[ "$(jq length <<<"$want")" -gt 0 ] || fail "the reference of commit $2 holds no object"
	[ "$got" = "$want" ] ||
		fail "commit $2 ($1): the cluster is not what a full sync makes:
$(difference "$want" "$got")"
	jq -r '.[] | "\(.kind)/\(.name)"' <<<"$want" >"$scratch/names-$2"
	kubectl delete configmaps,services -n "$ref_ns" -l app.kubernetes.io/managed-by=berth \
		--wait=true >/dev/null &
	emptied=$!
	checked=$((checked + 1))
}

note "commit 0: a first tree, applied at start"
git init -q --bare -b main "$remote"
git init -q -b main "$work"
mkdir -p "$work/apps/a" "$work/apps/b/deep"
echo "churn: seed $seed" >"$work/README"
[ "$kustomize" = 0 ] || write_kz
DID=
if [ "$kustomize" = 0 ]; then
	# Both kinds from the start: a kind's first object starts its watch
	# during that reconcile, and the next commit then compares all.
	next_name svc
	kind[$NAME]=Service gen[$NAME]=0 objs=$NAME
	next_name cm
	kind[$NAME]=ConfigMap gen[$NAME]=0 objs="$objs $NAME"
	file_objs[a/base.yaml]=$objs
	write_file a/base.yaml
fi
for i in 1 2 3 4 5; do add_file; done
echo "   $DID"
shas=("$(commit "commit 0")")
cat >"$scratch/berth.yaml" <<YAML
stateNamespace: $state_ns
sources:
- {name: churn, repo: "$remote", path: apps, namespace: $ns, interval: 1h, prune: true}
webhooks:
  github: {secretFile: $scratch/secret}
YAML
begin=$SECONDS
log_from=0
start_agent "$scratch/berth.yaml" "$scratch/agent.log"
wait_applied "${shas[0]}" "commit 0"
check_commit "${shas[0]}" 0
echo "   commit 0 ${shas[0]:0:7}: applied in $WAITED ms from the start, $(wc -l <"$scratch/names-0") objects equal"

note "$commits random commits, each pushed, applied, and compared with a full sync"
for ((c = 1; c <= commits; c++)); do
	DID= BUILT=0
	rand 4
	ops=$((R + 2))
	for ((op = 0; op < ops; op++)); do
		rand 9
		case $R in
		0 | 1) add_file ;;
		2 | 3) change_object ;;
		4) move_file ;;
		5) delete_file ;;
		6) rename_object ;;
		7) move_object ;;
		8)
			echo "churn $c" >>"$work/README"
			DID="$DID readme"
			;;
		esac
	done
	rand 2
	[ "$R" = 0 ] || [ "$kustomize" = 0 ] || change_kz
	# Every operation drawn may find nothing to act on (a small tree):
	# a commit changes something.
	[ -n "$(git -C "$work" status --porcelain)" ] || add_file
	shas[c]=$(commit "commit $c")
	log_from=$(wc -l <"$scratch/agent.log")
	push_hook "${shas[c - 1]}" "${shas[c]}"
	wait_applied "${shas[c]}" "commit $c"
	check_commit "${shas[c]}" "$c"
	echo "   commit $c ${shas[c]:0:7}: applied in $WAITED ms, $(wc -l <"$scratch/names-$c") objects equal:$DID"
	# Commit 1 compares all: the watches LISTed during commit 0's reconcile.
	if [ "$c" -ge 2 ]; then
		assert_contains "$APPLIED" " compared=changed " \
			"commit $c (loaded as the files it changed, compared as them alone)"
	fi
	# A kustomization is built again only when a change reaches what it
	# reads; the base's warning is said once for each build, as a whole
	# load says it, whichever was built again.
	if [ "$kustomize" = 1 ]; then
		assert_contains "$APPLIED" " built=$BUILT " "commit $c: the kustomizations built again"
		assert_eq "$(log_after | grep -c 'msg=warning source=churn file=base/kustomization.yaml ')" 2 \
			"commit $c: the warnings of the base"
	fi
done

if [ "$kustomize" = 1 ]; then
	note "a kustomization built again into the objects it made: no object changed"
	# kz2 alone of the two builds that read the base, and warn of it.
	printf '# a comment, nothing more\n' >>"$work/apps/kz2/kustomization.yaml"
	shas[commits + 1]=$(commit "a comment")
	log_from=$(wc -l <"$scratch/agent.log")
	push_hook "${shas[commits]}" "${shas[commits + 1]}"
	wait_applied "${shas[commits + 1]}" "the comment"
	assert_contains "$APPLIED" " changed_files=1 changed_objects=0 built=1 compared=changed " \
		"the commit of a comment in a kustomization"
	assert_eq "$(log_after | grep -c 'msg=warning source=churn file=base/kustomization.yaml ')" 2 \
		"the warnings of the base after the comment"
	check_commit "${shas[commits + 1]}" "$((commits + 1))"
	echo "   the comment ${shas[commits + 1]:0:7}: applied in $WAITED ms, nothing compared"
	git -C "$work" reset -q --hard "${shas[commits]}"
	git -C "$work" push -q -f "$remote" HEAD:main 2>/dev/null
	log_from=$(wc -l <"$scratch/agent.log")
	push_hook "${shas[commits + 1]}" "${shas[commits]}"
	wait_applied "${shas[commits]}" "the force-push back from the comment"
fi

note "a force-push back to an older commit: a full reconcile, the newer objects pruned"
# The newest commit 4 to 8 back that lacks some object of the last one:
# prune then has something to do.
back=
for ((b = 4; b <= 8 && b <= commits; b++)); do
	if [ -n "$(LC_ALL=C comm -13 <(LC_ALL=C sort "$scratch/names-$((commits - b))") \
		<(LC_ALL=C sort "$scratch/names-$commits"))" ]; then
		back=${back:-$b}
	fi
done
[ -n "$back" ] || fail "no commit 4 to 8 back lacks an object of the last: another seed"
old=$((commits - back))
kubectl get configmaps,services -n "$ns" -l app.kubernetes.io/managed-by=berth \
	-o jsonpath='{range .items[*]}{.kind}/{.metadata.name}{"\n"}{end}' | LC_ALL=C sort >"$scratch/before"
newer=$(LC_ALL=C comm -23 "$scratch/before" <(LC_ALL=C sort "$scratch/names-$old"))
[ -n "$newer" ] || fail "commit $old holds every object of commit $commits: nothing for prune to do"
git -C "$work" reset -q --hard "${shas[old]}"
git -C "$work" push -q -f "$remote" HEAD:main 2>/dev/null
log_from=$(wc -l <"$scratch/agent.log")
push_hook "${shas[commits]}" "${shas[old]}"
wait_applied "${shas[old]}" "the force-push to commit $old"
check_commit "${shas[old]}" "$old-again"
# A full reconcile counts every object of the commit, not the change.
assert_contains "$APPLIED" " objects=$(wc -l <"$scratch/names-$old-again") " \
	"the objects of the full reconcile after the force-push"
assert_not_contains "$APPLIED" " changed_files=" "the reconcile after the force-push (loaded whole)"
left=$(kubectl get configmaps,services -n "$ns" -o name | sed 's#^configmap/#ConfigMap/#; s#^service/#Service/#' |
	LC_ALL=C sort | LC_ALL=C comm -12 - <(echo "$newer"))
assert_eq "$left" "" "objects newer than commit $old left after the force-push"
echo "   back $back commits to ${shas[old]:0:7}: applied in $WAITED ms; $(wc -l <<<"$newer") newer objects pruned"
echo "figure: $checked commits checked in $((SECONDS - begin)) s (seed $seed)"

stop_agent "after the churn"
PASSED=1
echo PASS
