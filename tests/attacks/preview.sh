#!/usr/bin/env bash
# Attacks on berth run's previews, as someone who can open a pull request
# from a fork makes them. Runnable alone, against a cluster of your own:
#
#   eval "$(deploy/local/cluster.sh env test)"
#   BERTH=build/test/berth BERTH_SOURCE_DIR=$PWD tests/attacks/preview.sh [ATTACK...]
#
# It starts the forge test server (tests/helpers/forge_server.py playing
# GitHub), git daemon serving the repository (as a forge serves it: the
# packs are made by another process) and berth run with two sources of it,
# both opted in to forks' previews: "open" (not confined) and "tenant"
# (allowedNamespaces).
# Each attack is a fork's pull request, signed as GitHub signs it; each wait
# is bounded (wait_until); the exit status is 1 when berth did not hold.
# With no ATTACK, all of them run:
#
#   tree      tree entries named "../zz-injected.yaml" and "..", and a
#             symlink "l" with an entry "l" beside it: the preview fails
#             naming the entry, nothing is written outside its folder, and
#             the next reconcile of main applies nothing of it.
#   peek      a head naming another tenant's ConfigMap and Secret and a
#             cluster-scoped PersistentVolume: no live value, key name, NFS
#             server or path reaches the comment or the status; the confined
#             source refuses them without a word of the cluster.
#   big       a 64 MiB manifest: refused before it is read; berth's peak RSS
#             and the preview's disk are printed; nothing is left behind.
#   replay    a captured delivery sent again under a new delivery id: already
#             received; a captured delivery of an older head, after a newer
#             one was previewed: never previewed.
. "$BERTH_SOURCE_DIR/tests/e2e/lib.sh"
. "$BERTH_SOURCE_DIR/tests/e2e/forge_lib.sh"

attacks=${*:-tree peek big replay}
a=berth-attack-a
b=berth-attack-b
pv=berth-attack-nfs
cleanup() {
	[ -z "${GIT_DAEMON_PID:-}" ] || kill "$GIT_DAEMON_PID" 2>/dev/null || :
	forge_cleanup "$a" "$b"
	kubectl delete pv "$pv" --ignore-not-found --wait=false >/dev/null
}
cleanup
trap 'cleanup; [ "${PASSED:-}" ] || tail -20 "$scratch/agent.log" >&2; rm -rf "$scratch"' EXIT
fresh_namespaces "$a" "$b"
kubectl delete pv "$pv" --ignore-not-found --wait=true >/dev/null

note "the victims: another tenant's ConfigMap and Secret, and an NFS volume"
kubectl -n "$b" create configmap db-config --from-literal=db-password=s3cr3t-live-value >/dev/null
kubectl -n "$b" create secret generic db-secret --from-literal=live-only-key=0th3r-s3cr3t >/dev/null
nfs_volume() { # server path
	cat <<YAML
apiVersion: v1
kind: PersistentVolume
metadata: {name: $pv}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteMany]
  storageClassName: berth-attack-none
  nfs: {server: $1, path: $2}
YAML
}
nfs_volume 10.9.8.7 /exports/secret-share | kubectl apply -f - >/dev/null

note "the repository, the forge, and berth run deploying main"
mkdir "$scratch/served"
git init -q --bare -b main "$scratch/served/attack.git"
start_git_daemon "$scratch/served"
repo=git://127.0.0.1:$GIT_DAEMON_PORT/attack.git
git init -q -b main "$scratch/work"
token=forge-token-attack-$RANDOM$RANDOM
printf '%s\n' "$token" >"$scratch/github.token"
printf 'webhook-secret-of-the-attack-%s\n' "$RANDOM$RANDOM" >"$scratch/github.secret"
jq -n --arg t "$token" --arg r "$scratch/served/attack.git" '{token: $t, projects: {"octo/attack": $r}}' \
	>"$scratch/github.json"
forge_start github
mkdir -p "$scratch/work/open" "$scratch/work/tenant"
configmap_yaml app base >"$scratch/work/open/app.yaml"
configmap_yaml tenant-app base >"$scratch/work/tenant/app.yaml"
main=$(git_commit "$scratch/work" "$scratch/served/attack.git" base)
{
	printf 'cluster: attack\nstateNamespace: %s\n' "$a"
	printf 'webhooks:\n  github: {secretFile: %s}\n' "$scratch/github.secret"
	printf 'sources:\n'
	for s in open tenant; do
		cat <<YAML
- name: $s
  repo: $repo
  ref: main
  path: $s
  namespace: $a
  interval: 1h
  prune: true
  previews: {forks: true}
  status:
    provider: github
    baseURL: $(forge github)/api/v3
    repository: octo/attack
    tokenFile: $scratch/github.token
    preview: {comment: true}
YAML
		[ "$s" = open ] || printf '  allowedNamespaces: [%s]\n' "$a"
	done
} >"$scratch/berth.yaml"
start_agent "$scratch/berth.yaml" "$scratch/agent.log" --log-level debug
for s in open tenant; do
	applied() { grep -q "msg=applied source=$1 " "$scratch/agent.log"; }
	wait_until 60 "main applied by $s" applied "$s"
done

# A fork's pull request N with head SHA, signed as GitHub signs it.
pull_repo[github]=$repo
pull() { hook github "$(pull_event github opened "$1" "$2" main 666)"; } # number head
# Push commit SHA as the head of fork pull request N (refs/pull/N/head) and
# send its webhook; wait for its preview status of each source.
attack() { # number sha
	git -C "$scratch/work" push -q -f "$scratch/served/attack.git" "$2:refs/pull/$1/head" 2>/dev/null
	assert_eq "$(pull "$1" "$2")" 202 "the webhook of pull request $1 ($(cat "$scratch/hook.out"))"
	for s in open tenant; do
		wait_until 150 "the preview of $s on $2" statuses_hold_context github "$2" "berth/attack/$s/preview"
	done
}
statuses_hold_context() { statuses "$1" "$2" | grep -q "^$3 "; }
status_of() { statuses github "$1" | grep "^berth/attack/$2/preview " | tail -1; }
comment_of() { # number source
	curl -sf "$(forge github)/_forge/comments" |
		jq -r --argjson n "$1" --arg m "<!-- berth-preview berth/attack/$2/preview -->" \
			'.[] | select(.number == $n) | select(.body | startswith($m)) | .body'
}
# Git's objects, written as git would never write them: a tree from
# "mode name sha" lines, in the order given.
raw_tree() { # lines on stdin: mode name sha
	local mode name sha
	while read -r mode name sha; do
		printf '%s %s\0' "$mode" "$name"
		printf '%s' "$sha" | xxd -r -p
	done | git -C "$scratch/work" hash-object --literally -t tree -w --stdin
}
blob() { printf '%s' "$1" | git -C "$scratch/work" hash-object -w --stdin; }
commit_tree() { # tree message
	git -C "$scratch/work" -c user.name=mallory -c user.email=mallory@example.com \
		commit-tree "$1" -p "$main" -m "$2"
}
# The tree of main with open/ replaced by TREE.
with_open() { # tree
	raw_tree <<EOF
40000 open $1
40000 tenant $(git -C "$scratch/work" rev-parse "$main:tenant")
EOF
}

for attack_name in $attacks; do
	case $attack_name in
	tree)
		note "tree: entries that lead out of the checkout, in a fork's head"
		injected=$(blob "$(configmap_yaml injected pwned)")
		app=$(git -C "$scratch/work" rev-parse "$main:open/app.yaml")
		n=31
		for shape in dotdot-name dotdot-tree symlink; do
			case $shape in
			dotdot-name) open=$(printf '100644 ../../zz-injected.yaml %s\n100644 app.yaml %s\n' "$injected" "$app" | raw_tree) ;;
			dotdot-tree)
				up=$(printf '100644 zz-injected.yaml %s\n' "$injected" | raw_tree)
				open=$(printf '40000 .. %s\n100644 app.yaml %s\n' "$up" "$app" | raw_tree) ;;
			symlink)
				inner=$(printf '100644 zz-injected.yaml %s\n' "$injected" | raw_tree)
				open=$(printf '100644 app.yaml %s\n120000 l %s\n40000 l %s\n' "$app" "$(blob ../..)" "$inner" | raw_tree) ;;
			esac
			head=$(commit_tree "$(with_open "$open")" "$shape")
			attack "$n" "$head"
			got=$(status_of "$head" open)
			assert_contains "$got" "berth/attack/open/preview failure " "the preview of $shape"
			echo "    $shape: $got"
			n=$((n + 1))
		done
		found=$(find "$scratch" -name 'zz-injected.yaml' -print)
		assert_eq "$found" "" "files named zz-injected.yaml anywhere under the test's folder"
		# The next reconcile of main: a push, signed, of main's ref.
		configmap_yaml app after-the-attack >"$scratch/work/open/app.yaml"
		main=$(git_commit "$scratch/work" "$scratch/served/attack.git" "after the attack")
		body=$(jq -nc --arg r "$repo" --arg h "$main" '{ref: "refs/heads/main", after: $h, repository: {clone_url: $r}}')
		curl -s -o /dev/null -X POST -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: $RANDOM" \
			-H "X-Hub-Signature-256: sha256=$(hmac "$(cat "$scratch/github.secret")" "$body")" \
			--data-binary "$body" "http://$(agent_address)/hooks/github"
		applied_main() { grep -q "msg=applied source=open commit=$main" "$scratch/agent.log"; }
		wait_until 60 "main's next commit applied" applied_main
		assert_eq "$(kubectl get configmap injected -n "$a" --ignore-not-found -o name)" "" \
			"the injected ConfigMap after main's reconcile"
		;;
	peek)
		note "peek: another tenant's ConfigMap and Secret, and a cluster-scoped volume, named in a head"
		peek() {
			cat <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: db-config, namespace: $b}
data: {db-password: guess}
---
apiVersion: v1
kind: Secret
metadata: {name: db-secret, namespace: $b}
stringData: {guessed-key: guess}
---
YAML
			nfs_volume 192.0.2.1 /guess
		}
		peek >"$scratch/work/open/peek.yaml"
		peek >"$scratch/work/tenant/peek.yaml"
		git -C "$scratch/work" add -A
		git -C "$scratch/work" -c user.name=mallory -c user.email=mallory@example.com commit -q -m peek
		head=$(git -C "$scratch/work" rev-parse HEAD)
		git -C "$scratch/work" reset -q --hard "$main"
		attack 41 "$head"
		wait_until 30 "both comments" test -n "$(comment_of 41 open)" -a -n "$(comment_of 41 tenant)"
		open=$(comment_of 41 open)
		tenant=$(comment_of 41 tenant)
		for text in "$open" "$tenant" "$(statuses github "$head")"; do
			for secret in s3cr3t-live-value db-password live-only-key 0th3r-s3cr3t 10.9.8.7 /exports/secret-share MG90aGVyLXMzY3IzdA; do
				assert_not_contains "$text" "$secret" "what the preview shows"
			done
		done
		assert_contains "$open" "exists, and no source manages it: it would be adopted" "the open source's comment"
		assert_contains "$tenant" "namespace '$b' is not among the namespaces this source may write to ('$a')" \
			"the tenant's comment"
		echo "    open: $(status_of "$head" open)"
		echo "    tenant: $(status_of "$head" tenant)"
		;;
	big)
		note "big: a 64 MiB manifest in a fork's head"
		rss() { awk '/VmHWM/ {print $2}' "/proc/$agent/status"; }
		before=$(rss)
		head -c $((64 << 20)) /dev/zero | tr '\0' '#' >"$scratch/work/open/big.yaml"
		git -C "$scratch/work" add -A
		git -C "$scratch/work" -c user.name=mallory -c user.email=mallory@example.com commit -q -m big
		head=$(git -C "$scratch/work" rev-parse HEAD)
		git -C "$scratch/work" reset -q --hard "$main"
		attack 51 "$head"
		got=$(status_of "$head" open)
		assert_contains "$got" "big.yaml" "the preview of a 64 MiB file names it"
		assert_contains "$got" "larger than the limit" "the preview of a 64 MiB file"
		after=$(rss)
		echo "    $got"
		echo "figure: berth run's peak RSS: $((before / 1024)) MiB before the 64 MiB file's preview, $((after / 1024)) MiB after"
		[ $((after - before)) -lt $((32 << 10)) ] ||
			fail "the preview of a 64 MiB file grew berth's peak RSS by $(((after - before) / 1024)) MiB"
		;;
	replay)
		note "replay: a captured delivery again; an older head's after a newer one"
		head_of() { # value: a head whose app.yaml holds it
			configmap_yaml app "$1" >"$scratch/work/open/app.yaml"
			git -C "$scratch/work" -c user.name=mallory -c user.email=mallory@example.com commit -q -am "$1"
			git -C "$scratch/work" rev-parse HEAD
			git -C "$scratch/work" reset -q --hard "$main"
		}
		older=$(head_of older)
		newest=$(head_of newest)
		after=$(head_of after-the-replay)
		older_event=$(pull_event github synchronize 61 "$older" main 666 "$(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)")
		newest_event=$(pull_event github synchronize 61 "$newest" main 666)
		# The pull request's ref holds its newest head, as the forge keeps it.
		git -C "$scratch/work" push -q -f "$scratch/served/attack.git" "$newest:refs/pull/61/head" 2>/dev/null
		assert_eq "$(hook github "$newest_event")" 202 "the newest head's delivery"
		wait_until 150 "the preview of the newest head" statuses_hold_context github "$newest" berth/attack/open/preview
		assert_eq "$(hook github "$newest_event")" 200 "the same delivery under a new id"
		assert_eq "$(cat "$scratch/hook.out")" "already received" "the answer to the same delivery"
		# The older head's delivery, as the forge signed it an hour ago.
		assert_eq "$(hook github "$older_event")" 202 "the older head's delivery"
		# The sentinel: a head previewed after it.
		attack 61 "$after"
		assert_eq "$(statuses github "$older")" "" "statuses on the older head"
		grep -q "msg=\"preview dropped\" source=open pull=61 head=$older reason=\"the pull request was updated since this head" \
			"$scratch/agent.log" || fail "no line says the older head was dropped"
		echo "    the older head: dropped; the same delivery again: already received"
		;;
	*) fail "unknown attack '$attack_name' (tree, peek, big or replay)" ;;
	esac
done

note "nothing of the previews is left on disk"
assert_eq "$(find "$XDG_CACHE_HOME/berth/preview" -mindepth 1 -maxdepth 1 2>/dev/null)" "" "the previews' folders"
kill -0 "$agent" || fail "berth run died under the attacks"
PASSED=1
echo PASS
