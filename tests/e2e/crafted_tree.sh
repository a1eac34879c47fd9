#!/usr/bin/env bash
# A crafted commit (issue 23, item 1): tree entries whose names git's object
# format allows but a checkout must never write as they are ("../<commit
# deployed>/app/zz-injected.yaml", a symlink and an entry under it, ".git"),
# made with `git hash-object --literally` and pushed to a real bare
# repository served by git daemon, as a fork's branch. lint, diff and sync
# --repo refuse it naming the entry; nothing is written outside its
# checkout (the deployed commit's checkout stays byte for byte), sync writes
# nothing to the cluster (audit sentinels), and the next sync of main
# applies main alone.
. "$(dirname "$0")/lib.sh"

ns=berth-crafted
export XDG_CACHE_HOME=$scratch/cache
cleanup() {
	[ -z "${GIT_DAEMON_PID:-}" ] || kill "$GIT_DAEMON_PID" 2>/dev/null || :
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity crafted
kubectl create namespace "$ns" >/dev/null
writes_between() { audit_between "$1" "$2" | berth_writes; }

mkdir -p "$scratch/served"
git init -q --bare -b main "$scratch/served/config.git"
work=$scratch/work
git init -q -b main "$work"
mkdir "$work/app"
configmap_yaml settings deployed >"$work/app/settings.yaml"
good=$(git_commit "$work" "$scratch/served/config.git" deployed)
start_git_daemon "$scratch/served"
repo=git://127.0.0.1:$GIT_DAEMON_PORT/config.git

note "main is deployed: its checkout is the one an attacker aims at"
run_berth sync --repo "$repo" --path app -n "$ns"
[ "$STATUS" = 0 ] || fail "sync of main exited $STATUS: $ERR"
assert_eq "$(kubectl get configmap settings -n "$ns" -o jsonpath='{.data.value}')" deployed \
	"the deployed ConfigMap"
checkout=$(find "$XDG_CACHE_HOME" -type d -path "*/trees/$good")
[ -d "$checkout" ] || fail "no checkout of $good in $XDG_CACHE_HOME"

# Objects written as they are, nothing checked: a blob, and a tree of
# "<mode> <name>\0<20-byte id>" entries.
blob() { git -C "$work" hash-object -w --stdin; }
entry() { # mode name id
	printf '%s %s\0' "$1" "$2"
	perl -e 'print pack("H*", $ARGV[0])' "$3"
}
tree() { git -C "$work" hash-object -w --literally -t tree --stdin; }
# Push a commit of TREE (on main's) to the branch "fork", as a fork's pull
# request head; prints it.
crafted() { # tree
	local c
	c=$(git -C "$work" -c user.name=fork -c user.email=fork@example.com \
		commit-tree "$1" -p "$good" -m crafted)
	git -C "$work" push -q -f "$scratch/served/config.git" "$c:refs/heads/fork" 2>/dev/null ||
		fail "the bare repository refused the crafted commit $c"
	echo "$c"
}
# Every file under the cache but the bare repositories and the lock: path,
# type, size, content digest, a link's target.
snapshot() {
	find "$XDG_CACHE_HOME" -path '*/repo.git' -prune -o -name lock -prune -o -printf '%p %y %s %l\n' |
		sort
	find "$XDG_CACHE_HOME" -path '*/repo.git' -prune -o -type f -print0 | sort -z |
		xargs -0 sha256sum
}

injected=$(configmap_yaml injected "from a fork" | blob)
settings=$(git -C "$work" rev-parse "$good:app/settings.yaml")
app=$( (entry 100644 settings.yaml "$settings") | tree)
inject_app=$( (entry 100644 zz-injected.yaml "$injected") | tree)
up=$(printf '../%s' "$good" | blob)
# name: the tree entry each crafted commit holds; tree: the commit's tree.
names=("../$good/app/zz-injected.yaml" l/app/zz-injected.yaml l .git .GIT ..)
trees=(
	"$( (entry 40000 app "$app"
		entry 100644 "../$good/app/zz-injected.yaml" "$injected") | tree)"
	"$( (entry 40000 app "$app"
		entry 120000 l "$up"
		entry 100644 l/app/zz-injected.yaml "$injected") | tree)"
	"$( (entry 40000 app "$app"
		entry 120000 l "$up"
		entry 40000 l "$( (entry 40000 app "$inject_app") | tree)") | tree)"
	"$( (entry 40000 .git "$inject_app"
		entry 40000 app "$app") | tree)"
	"$( (entry 40000 .GIT "$inject_app"
		entry 40000 app "$app") | tree)"
	"$( (entry 40000 .. "$( (entry 40000 "$good" "$( (entry 40000 app "$inject_app") | tree)") | tree)"
		entry 40000 app "$app") | tree)"
)
# Nothing written outside the crafted commit's checkout, which is removed.
unchanged() { # what
	assert_eq "$(find "$XDG_CACHE_HOME" -name zz-injected.yaml)" "" "an injected file after $1"
	assert_eq "$(snapshot)" "$before" "the cache after $1"
}

for i in "${!names[@]}"; do
	name=${names[$i]}
	fork=$(crafted "${trees[$i]}")
	before=$(snapshot)
	note "a commit with the tree entry '$name': lint, diff and sync --repo refuse it"
	run_berth lint --repo "$repo" --ref fork --path app
	unchanged "lint"
	[ "$STATUS" != 0 ] || fail "lint of the entry '$name' exited 0: $OUT"
	assert_contains "$ERR" "cannot check out commit $fork: tree entry '$name'" "lint's refusal"
	run_berth diff --repo "$repo" --ref fork --path app -n "$ns"
	unchanged "diff"
	[ "$STATUS" != 0 ] || fail "diff of the entry '$name' exited 0: $OUT"
	assert_contains "$ERR" "cannot check out commit $fork: tree entry '$name'" "diff's refusal"
	audited crafted run_berth sync --repo "$repo" --ref fork --path app -n "$ns"
	unchanged "sync"
	assert_eq "$(writes_between "$from" "$to")" "" "writes of the sync of the entry '$name'"
	[ "$STATUS" != 0 ] || fail "sync of the entry '$name' exited 0: $OUT"
	assert_contains "$ERR" "cannot check out commit $fork: tree entry '$name'" "sync's refusal"
done

note "the next sync of main applies main alone"
audited main run_berth sync --repo "$repo" --path app -n "$ns"
[ "$STATUS" = 0 ] || fail "sync of main after the attacks exited $STATUS: $ERR"
assert_contains "$ERR" "commit $good" "the commit of main"
assert_eq "$(writes_between "$from" "$to")" "" "writes of the sync of main, in sync"
kubectl get configmap injected -n "$ns" >/dev/null 2>&1 && fail "the injected ConfigMap was applied"
assert_eq "$(ls "$checkout/app")" settings.yaml "the deployed checkout's files"
echo PASS
