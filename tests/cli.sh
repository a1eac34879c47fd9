#!/usr/bin/env bash
# The command line without a cluster: help lists exactly the verbs that work,
# each verb has help, and usage mistakes exit 2 with a pointer to the help.
set -euo pipefail
: "${BERTH:?BERTH must name the berth binary (ctest sets it)}"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

verbs=$("$BERTH" --help | sed -n '/^Verbs:/,/^$/p' | awk 'NF && !/^Verbs:/ {print $1}' | tr '\n' ' ')
[ "$verbs" = "build cluster-info diff help lint run sync version " ] || fail "berth --help lists '$verbs'"
[ "$("$BERTH" help)" = "$("$BERTH" --help)" ] || fail "berth help differs from berth --help"

for verb in build cluster-info diff help lint run sync version; do
	# (grep -q would stop reading a long help: SIGPIPE)
	grep -q "^usage: berth $verb" <<<"$("$BERTH" help "$verb")" || fail "berth help $verb"
	grep -q "^usage: berth $verb" <<<"$("$BERTH" "$verb" --help)" || fail "berth $verb --help"
done

"$BERTH" version | grep -qx 'berth [0-9]*\.[0-9]*\.[0-9]*' || fail "berth version"
[ "$("$BERTH" version -o json | jq -r .libgit2)" != null ] || fail "berth version -o json"
"$BERTH" version -o yaml | grep -q '^json-c: ' || fail "berth version -o yaml"

expect_usage_error() { # what args...
	local what=$1 err status=0
	shift
	err=$("$BERTH" "$@" 2>&1 >/dev/null) || status=$?
	[ $status -eq 2 ] || fail "$what: exit status $status, want 2"
	grep -q "^error: " <<<"$err" || fail "$what: no error line in: $err"
	# (not "| head -n 1": under pipefail, a SIGPIPE to echo ends the script
	# without a word)
	echo "    $what: ${err%%$'\n'*}"
}
expect_usage_error "an unknown verb" frobnicate
expect_usage_error "help for an unknown verb" help frobnicate
expect_usage_error "an unknown option" cluster-info --frobnicate
expect_usage_error "a missing value" cluster-info --context
expect_usage_error "an unknown output format" cluster-info -o xml
expect_usage_error "build without a directory" build
expect_usage_error "build with an unknown format" build -o xml examples
expect_usage_error "no verb"
expect_usage_error "sync without manifests" sync
expect_usage_error "run without a config" run
expect_usage_error "run with an unknown log format" run --config x --log-format xml
expect_usage_error "diff with an unknown format" diff -f . -o xml
expect_usage_error "a bad timeout" sync -f . --timeout soon
expect_usage_error "a status without --repo" sync -f . --status-provider github --status-token-file /dev/null
expect_usage_error "an unknown forge" sync --repo https://h/o/r --status-provider bitbucket
expect_usage_error "GitLab without its address" diff --repo https://h/g/r --status-provider gitlab \
	--status-token-file "$0"
expect_usage_error "a status flag without the provider" sync --repo https://h/o/r --status-context x
# A token holding CR LF would put a header of its own in each request: it is
# refused before anything is sent, and the error does not show it.
token=$(mktemp)
trap 'rm -f "$token"' EXIT
printf 'tok-abc\r\nX-Injected: yes\n' >"$token"
expect_usage_error "a token holding a line break" diff --repo https://127.0.0.1:1/o/r \
	--status-provider github --status-token-file "$token"
err=$("$BERTH" diff --repo https://127.0.0.1:1/o/r --status-provider github \
	--status-token-file "$token" 2>&1 >/dev/null) || :
grep -qF "error: --status-token-file: '$token': the token holds a control character" <<<"$err" ||
	fail "a token holding a line break: $err"
! grep -q "tok-abc\|Injected" <<<"$err" || fail "the error shows the token: $err"
# Every runnable example is lint-clean.
examples=$(dirname "$0")/../examples
for dir in "$examples"/*/; do
	case $dir in */broken/ | */agent/) continue ;; esac
	out=$("$BERTH" lint "$dir" 2>&1) || fail "berth lint $dir: $out"
done

# Each broken example: lint prints exactly its expected-error.txt, and exits
# 1, or 0 when all it says are warnings.
for dir in "$examples"/broken/*/; do
	status=0 want=1
	grep -qv ': warning: ' "$dir/expected-error.txt" || want=0
	out=$(cd "$dir" && "$BERTH" lint . 2>/dev/null) || status=$?
	[ $status -eq $want ] || fail "berth lint $dir: exit $status, want $want"
	[ "$(sed 's|^\./||' <<<"$out")" = "$(cat "$dir/expected-error.txt")" ] ||
		fail "berth lint $dir said: $out"
done

# lint: problems are file:line:column lines and exit 1.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x]\n' >"$tmp/bad.yaml"
status=0
out=$("$BERTH" lint "$tmp" 2>/dev/null) || status=$?
[ $status -eq 1 ] || fail "berth lint on a bad manifest: exit $status, want 1"
[ "$out" = "$tmp/bad.yaml:4:9: metadata.name must be a string, not array" ] || fail "berth lint said: $out"

# lint stays offline unless a cluster is named on the command line: a
# KUBECONFIG that leads nowhere does not matter, a --kubeconfig does.
examples_simple=$examples/simple-web
out=$(KUBECONFIG=$tmp/none "$BERTH" lint "$examples_simple" 2>&1) ||
	fail "offline lint with a broken KUBECONFIG: $out"
status=0
out=$("$BERTH" lint --kubeconfig "$tmp/none" "$examples_simple" 2>&1) || status=$?
[ $status -eq 2 ] || fail "berth lint --kubeconfig to nowhere: exit $status, want 2"
case $out in
"error: "*"$tmp/none"*) ;;
*) fail "berth lint --kubeconfig to nowhere said: $out" ;;
esac
echo PASS
