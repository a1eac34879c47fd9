#!/usr/bin/env bash
# The Git source side by side with git on the same remote, in one run: smart
# HTTP over TLS with basic auth, behind nginx on loopback. A repository of N
# manifests is fetched the first time, polled unchanged, and polled after one
# new commit: berth lint --repo (which also checks the commit out and lints
# it) against git clone --bare and git fetch. Wall time, requests and bytes
# on the wire (nginx's request and response sizes). Figures only.
#
#   tests/bench/git_poll.sh [N]    N manifest files (default 1000)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-1000}

release_build berth
berth=$root/build/release/berth

fail() {
	echo "git_poll: $*" >&2
	exit 1
}
. "$root/tests/helpers/git_servers.sh"

work=$(mktemp -d)
trap 'stop_git_https "$work/served"; rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work/cache GIT_CONFIG_NOSYSTEM=1 HOME=$work

mkdir -p "$work/served" "$work/src/app"
git init -q --bare -b main "$work/served/config.git"
git init -q -b main "$work/src"
for ((i = 0; i < n; i++)); do
	cat >"$work/src/app/config-$i.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: config-$i, labels: {app: bench}}
data: {index: "$i", settings.conf: "listen 8080\nworkers 4\nname config-$i\n"}
EOF
done
commit() {
	git -C "$work/src" add -A
	git -C "$work/src" -c user.name=bench -c user.email=bench@example.com commit -q -m "$1"
	git -C "$work/src" push -q "$work/served/config.git" main
}
commit first

password=bench-$RANDOM
printf '%s\n' "$password" >"$work/password"
start_git_https "$work/served" bench "$password"
url=https://127.0.0.1:$GIT_HTTPS_PORT/config.git
log=$work/served/.https/access.log
# git's login, without the password on its command line.
askpass=$work/askpass
printf '#!/bin/sh\ncase "$1" in Username*) echo bench ;; *) cat %s ;; esac\n' \
	"$work/password" >"$askpass"
chmod +x "$askpass"

# measure NAME CMD...: wall time, and the requests and bytes nginx saw.
declare -A wall reqs bytes
measure() {
	local name=$1 from
	shift
	from=$(wc -l <"$log")
	local TIMEFORMAT=%R
	{ time "$@" >"$work/out" 2>&1; } 2>"$work/time" ||
		fail "$name: $* failed: $(tail -3 "$work/out")"
	sleep 0.2 # nginx writes its log after the answer
	wall[$name]=$(tail -1 "$work/time")
	reqs[$name]=$(tail -n +"$((from + 1))" "$log" | wc -l)
	bytes[$name]=$(tail -n +"$((from + 1))" "$log" | awk '{ s += $1 + $2 } END { print s + 0 }')
}
berth_poll() {
	"$berth" lint --repo "$url" --path app --git-username bench \
		--git-password-file "$work/password" --git-ca-file "$GIT_HTTPS_CA"
}
git_clone() {
	GIT_ASKPASS=$askpass GIT_SSL_CAINFO=$GIT_HTTPS_CA git clone -q --bare "$url" "$work/git.git"
}
git_poll() {
	GIT_ASKPASS=$askpass GIT_SSL_CAINFO=$GIT_HTTPS_CA git --git-dir "$work/git.git" \
		fetch -q "$url" '+refs/heads/*:refs/heads/*'
}

echo "== $n manifests, $(du -sh "$work/served/config.git" | cut -f1) of repository, over https"
measure berth-first berth_poll
measure git-first git_clone
measure berth-unchanged berth_poll
measure git-unchanged git_poll
grep -q "(fetched)" "$work/out" && fail "berth fetched for an unchanged remote"
sed -i 's/workers 4/workers 8/' "$work/src/app/config-0.yaml"
commit second
measure berth-new berth_poll
measure git-new git_poll

echo
printf '%-16s %8s %8s %10s %10s %10s %10s\n' "" "berth s" "git s" "berth req" "git req" \
	"berth B" "git B"
for step in "first fetch:first" "unchanged poll:unchanged" "one new commit:new"; do
	b=berth-${step#*:} g=git-${step#*:}
	printf '%-16s %8s %8s %10s %10s %10s %10s\n' "${step%:*}" "${wall[$b]}" "${wall[$g]}" \
		"${reqs[$b]}" "${reqs[$g]}" "${bytes[$b]}" "${bytes[$g]}"
done
echo "(bytes: requests and answers as nginx counts them, HTTP headers included, TLS not."
echo " An unchanged poll asks the remote where the ref points and downloads nothing;"
echo " berth's time includes checking the commit out (once per commit) and linting it.)"
