#!/usr/bin/env bash
# berth run's HTTP listener: /healthz, /readyz, /metrics checked by
# Prometheus's own parser (promtool), and the push webhooks of GitHub,
# GitLab and Gitea: a signed delivery triggers the source that follows the
# repository at once, a badly signed one is refused and triggers nothing.
. "$(dirname "$0")/lib.sh"

ns=berth-listener
export XDG_CACHE_HOME=$scratch/cache
agent=
cleanup() {
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || true
	cluster status >/dev/null 2>&1 || cluster start-apiserver >/dev/null 2>&1 || true
	[ ! -s "$scratch/agent.log" ] || [ "${PASSED:-}" ] || tail -20 "$scratch/agent.log" >&2
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
}
cleanup
trap 'cleanup; rm -rf "$scratch"' EXIT
kubectl create namespace "$ns" >/dev/null
command -v promtool >/dev/null || fail "promtool is missing (deploy/local/deps.sh installs it)"

# Two remotes: webhooks name the first; the second must never be triggered.
for r in app other; do
	git init -q --bare -b main "$scratch/$r.git"
	git init -q -b main "$scratch/$r"
done
commit() { # repository value
	cat >"$scratch/$1/settings.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: $1-settings}
data: {value: "$2"}
YAML
	git -C "$scratch/$1" add -A
	git -C "$scratch/$1" -c user.name=berth -c user.email=berth@example.com commit -q -m "$2"
	git -C "$scratch/$1" push -q -f "$scratch/$1.git" main 2>/dev/null
}
commit app 1
commit other 1
printf 'github-webhook-secret\n' >"$scratch/github.secret"
printf 'gitea-webhook-secret' >"$scratch/gitea.secret"
export BERTH_GITLAB_TOKEN=gitlab-webhook-token
# An hour between polls: only a webhook makes a source reconcile again.
cat >"$scratch/berth.yaml" <<YAML
stateNamespace: $ns
sources:
- {name: app, repo: "file://$scratch/app.git", ref: main, namespace: $ns, interval: 1h}
- {name: other, repo: "$scratch/other.git", namespace: $ns, interval: 1h}
webhooks:
  github: {secretFile: $scratch/github.secret}
  gitlab: {secretEnv: BERTH_GITLAB_TOKEN}
  gitea: {secretFile: $scratch/gitea.secret}
YAML
value() { kubectl get configmap "$1-settings" -n "$ns" -o jsonpath='{.data.value}'; }
value_is() { [ "$(value "$1")" = "$2" ]; }
reconciles() { grep -c "msg=applied source=$1\|msg=\"in sync\" source=$1" "$scratch/agent.log" || [ $? = 1 ]; }

note "a config whose webhook secret cannot be read is refused"
sed "s#$scratch/gitea.secret#$scratch/none#" "$scratch/berth.yaml" >"$scratch/bad.yaml"
run_berth run --listen 127.0.0.1:0 --config "$scratch/bad.yaml"
[ "$STATUS" = 2 ] || fail "run with an unreadable secret exited $STATUS"
assert_contains "$ERR" "problem=\"webhooks.gitea.secretFile: '$scratch/none': No such file" "the problem"
note "an address berth cannot listen on is an error"
run_berth run --listen 127.0.0.1 --config "$scratch/berth.yaml"
[ "$STATUS" = 2 ] || fail "run with a bad --listen exited $STATUS"
assert_contains "$ERR" "listen address '127.0.0.1': use host:port" "the address error"

"$BERTH" run --listen 127.0.0.1:0 --config "$scratch/berth.yaml" 2>"$scratch/agent.log" &
agent=$!
listening() { grep -q 'msg=started.* listen=' "$scratch/agent.log"; }
wait_until 10 "the listener" listening
url=http://$(grep -m1 -o 'listen=[0-9.:]*' "$scratch/agent.log" | cut -d= -f2)
get() { curl -s -o "$scratch/body" -w '%{http_code}' "$@"; }

note "/healthz at once, /readyz once both sources reconciled"
assert_eq "$(get "$url/healthz")" 200 "/healthz"
ready() { [ "$(get "$url/readyz")" = 200 ]; }
wait_until 30 "/readyz" ready
value_is app 1 || fail "the first commit is not applied"
assert_eq "$(get -X POST "$url/healthz")" 405 "POST /healthz"
assert_eq "$(get "$url/nothing")" 404 "an unknown path"

note "/metrics is valid Prometheus text"
assert_eq "$(get "$url/metrics")" 200 "/metrics"
promtool check metrics <"$scratch/body" || fail "promtool rejects /metrics: $(cat "$scratch/body")"
metrics=$(cat "$scratch/body")
for want in \
	'berth_reconcile_duration_seconds_count{source="app",result="applied"} 1' \
	'berth_reconcile_duration_seconds_bucket{source="other",result="applied",le="+Inf"} 1' \
	'berth_objects{source="app",state="in-sync"} 1' \
	'berth_objects{source="app",state="drifted"} 0' \
	'berth_git_fetch_duration_seconds_count{source="app",result="fetched"} 1' \
	'berth_api_requests_total{verb="POST",code="201"}'; do
	assert_contains "$metrics" "$want" "a sample of /metrics"
done
grep -q '^berth_last_successful_reconcile_timestamp_seconds{source="app"} [0-9]' <<<"$metrics" ||
	fail "no last success timestamp: $metrics"

# Deliveries, signed as each forge signs them.
hmac() { printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" | sed 's/.*= //'; }
# Each push its own body, as the forges' bodies differ (GitHub's
# repository.pushed_at): the same body again is one delivery.
payload() { # clone URL [ref]
	printf '{"ref":"%s","after":"%s","repository":{"clone_url":"%s","pushed_at":%s}}' \
		"${2:-refs/heads/main}" "$(git -C "$scratch/app" rev-parse HEAD)" "$1" "$(date +%s%N)"
}
# Each delivery has an id of its own, as GitHub gives it; $DELIVERY names one.
github() { # body [signature]
	get -X POST -H 'X-GitHub-Event: push' \
		-H "X-GitHub-Delivery: ${DELIVERY:-$(cat /proc/sys/kernel/random/uuid)}" \
		-H "X-Hub-Signature-256: ${2:-sha256=$(hmac github-webhook-secret "$1")}" \
		-H 'Content-Type: application/json' --data-binary "$1" "$url/hooks/github"
}
ms() { date -d "$1" +%s%3N; }
reconciled_more() { [ "$(reconciles "$1")" -gt "$2" ]; } # source count
# "Triggered nothing" is proven by a sentinel: one loop reconciles the
# sources, in their order (app, then other), each pass taking every trigger
# so far. A reconcile of other that a delivery asked for after the one under
# test comes after any reconcile of app that the one under test triggered.
other_delivered() { # what
	local n
	n=$(reconciles other)
	assert_eq "$(github "$(payload "$scratch/other.git")")" 202 "a delivery for other (the sentinel of $1)"
	wait_until 30 "other reconciled after its delivery (the sentinel of $1)" reconciled_more other "$n"
}
# Of other itself: two reconciles of app, one after the other, come after
# any reconcile of other a delivery before them triggered (the first may
# share its pass).
app_delivered_twice() { # what
	local n i
	for i in 1 2; do
		n=$(reconciles app)
		assert_eq "$(github "$(payload "file://$scratch/app.git")")" 202 "a delivery for app (sentinel $i of $1)"
		wait_until 30 "app reconciled after its delivery (sentinel $i of $1)" reconciled_more app "$n"
	done
}

note "a GitHub push signed with the secret: 202 at once, and the reconcile starts within a second"
commit app 2
before_other=$(reconciles other)
applied=$(grep -c 'msg=applied source=app' "$scratch/agent.log")
body=$(payload "https://git.example.com/ignored/elsewhere.git")
assert_eq "$(github "$body")" 202 "a delivery for a repository nobody follows"
assert_contains "$(cat "$scratch/body")" "no source follows" "the answer"
body=$(payload "file://$scratch/app.git")
assert_eq "$(github "$body")" 202 "the signed GitHub delivery"
assert_contains "$(cat "$scratch/body")" "reconciling app" "the answer"
wait_until 10 "the commit applied after the webhook" value_is app 2
applied_more() { [ "$(grep -c 'msg=applied source=app' "$scratch/agent.log")" -gt "$applied" ]; }
wait_until 10 "the reconcile after the webhook logged" applied_more
line=$(grep 'msg=applied source=app' "$scratch/agent.log" | tail -1)
hooked=$(grep 'msg=webhook forge=github' "$scratch/agent.log" | tail -1 | sed 's/^time=\([^ ]*\).*/\1/')
done_at=$(sed 's/^time=\([^ ]*\).*/\1/' <<<"$line")
took=$(sed 's/.*duration=\([0-9.]*\)s.*/\1/' <<<"$line")
latency=$(($(ms "$done_at") - $(ms "$hooked") - $(awk "BEGIN{printf \"%d\", $took * 1000}")))
echo "figure: webhook to reconcile start: ${latency} ms (the reconcile took ${took}s)"
app_delivered_twice "the GitHub delivery for app"
assert_eq "$(reconciles other)" "$before_other" "reconciles of the source nobody named"

note "a push to another branch of the repository triggers nothing, and says why"
assert_eq "$(DELIVERY=72d3162e-cc78-11e3 github "$(payload "file://$scratch/app.git" refs/heads/dev)")" 202 "a push to dev"
assert_contains "$(cat "$scratch/body")" \
	"nothing to reconcile: refs/heads/dev moves no ref a source follows (app follows main)" "the answer"
grep -q 'msg="webhook triggered nothing" forge=github delivery=72d3162e-cc78-11e3 ref=refs/heads/dev' \
	"$scratch/agent.log" || fail "no line says why the push to dev triggered nothing"

note "a badly signed delivery gets 401 and triggers nothing"
commit app 3
before=$(reconciles app)
assert_eq "$(DELIVERY=72d3162e-cc78-11e3 github "$body" "sha256=$(hmac wrong-webhook-secret "$body")")" 401 "a delivery signed with another secret"
assert_eq "$(github "$body" "sha256=")" 401 "an empty signature"
assert_eq "$(get -X POST -H 'X-GitHub-Event: push' --data-binary "$body" "$url/hooks/github")" 401 \
	"an unsigned delivery"
assert_eq "$(github "$body" "sha256=$(hmac github-webhook-secret "$body ")")" 401 "a signature of another body"
other_delivered "the bad deliveries"
assert_eq "$(reconciles app)" "$before" "reconciles after bad deliveries"
value_is app 2 || fail "a badly signed delivery changed the cluster"
grep -Eq 'msg="webhook refused" forge=github delivery=72d3162e-cc78-11e3 peer=127\.0\.0\.1:[0-9]+ reason="bad signature or token"' \
	"$scratch/agent.log" || fail "no line says the webhook was refused, naming the delivery and the peer"

note "a delivery replayed within 10 minutes is answered once and triggers nothing again"
# (of a repository nobody follows: the cluster stays as the next steps expect)
replay=$(cat /proc/sys/kernel/random/uuid)
elsewhere=$(payload "https://git.example.com/ignored/elsewhere.git")
assert_eq "$(DELIVERY=$replay github "$elsewhere")" 202 "the first delivery"
assert_eq "$(DELIVERY=$replay github "$elsewhere")" 200 "the same delivery again"
assert_contains "$(cat "$scratch/body")" "already received" "the answer"
assert_eq "$(github "$elsewhere")" 200 "the same body under a new delivery id"
assert_contains "$(cat "$scratch/body")" "already received" "the answer"
assert_eq "$(grep -c "msg=\"webhook triggered nothing\" forge=github delivery=$replay" "$scratch/agent.log")" 1 \
	"deliveries of that id that were handled"
# A bad signature is not remembered: it cannot block the real delivery.
spoof=$(cat /proc/sys/kernel/random/uuid)
elsewhere=$(payload "https://git.example.com/ignored/elsewhere.git")
assert_eq "$(DELIVERY=$spoof github "$elsewhere" "sha256=$(hmac wrong-webhook-secret "$elsewhere")")" 401 "a forged delivery"
assert_eq "$(DELIVERY=$spoof github "$elsewhere")" 202 "the real delivery of that body"

note "GitHub's ping is answered and triggers nothing"
assert_eq "$(get -X POST -H 'X-GitHub-Event: ping' -H "X-Hub-Signature-256: sha256=$(hmac github-webhook-secret '{}')" \
	--data-binary '{}' "$url/hooks/github")" 200 "a ping"

note "a GitLab push with the token in X-Gitlab-Token"
gitlab_body=$(printf '{"object_kind":"push","project":{"git_http_url":"file://%s/app.git"}}' "$scratch")
assert_eq "$(get -X POST -H 'X-Gitlab-Event: Push Hook' -H 'X-Gitlab-Token: not-the-token' \
	--data-binary "$gitlab_body" "$url/hooks/gitlab")" 401 "a GitLab delivery with a wrong token"
other_delivered "the wrong GitLab token"
value_is app 2 || fail "a wrong GitLab token changed the cluster"
assert_eq "$(reconciles app)" "$before" "reconciles after a wrong GitLab token"
assert_eq "$(get -X POST -H 'X-Gitlab-Event: Push Hook' -H 'X-Gitlab-Token: gitlab-webhook-token' \
	--data-binary "$gitlab_body" "$url/hooks/gitlab")" 202 "a GitLab delivery"
wait_until 10 "the commit applied after the GitLab webhook" value_is app 3

note "a Gitea push signed in X-Gitea-Signature"
commit app 4
body=$(payload "$scratch/app.git")
assert_eq "$(get -X POST -H 'X-Gitea-Event: push' -H "X-Gitea-Signature: sha256=$(hmac gitea-webhook-secret "$body")" \
	--data-binary "$body" "$url/hooks/gitea")" 401 "a Gitea signature with GitHub's prefix"
assert_eq "$(get -X POST -H 'X-Gitea-Event: push' -H "X-Gitea-Signature: $(hmac gitea-webhook-secret "$body")" \
	--data-binary "$body" "$url/hooks/gitea")" 202 "a Gitea delivery"
wait_until 10 "the commit applied after the Gitea webhook" value_is app 4

note "a live edit is seen by the watch, not the hourly poll, and corrected in seconds"
before_other=$(reconciles other)
t0=$(date +%s%3N)
kubectl patch configmap app-settings -n "$ns" --type merge -p '{"data":{"value":"tampered"}}' >/dev/null
wait_until 15 "the edit corrected" value_is app 4
echo "figure: live edit to corrected: $(($(date +%s%3N) - t0)) ms"
grep -q 'msg="object changed" source=app object="configmaps/app-settings changed"' "$scratch/agent.log" ||
	fail "no line says the watch saw the change"
note "a deleted object is seen, and made again"
kubectl delete configmap app-settings -n "$ns" >/dev/null
wait_until 15 "the deleted ConfigMap made again" value_is app 4
app_delivered_twice "the watched edits"
assert_eq "$(reconciles other)" "$before_other" "reconciles of the source whose objects did not change"

note "the watches outlive an apiserver restart: they LIST again and see the next edit"
cluster kill-apiserver >/dev/null
cluster start-apiserver >/dev/null
kubectl patch configmap app-settings -n "$ns" --type merge -p '{"data":{"value":"tampered"}}' >/dev/null
wait_until 60 "the edit after the restart corrected" value_is app 4

note "SIGHUP reloads the config: a rotated webhook secret holds at once"
printf 'rotated-webhook-secret\n' >"$scratch/github.secret"
kill -HUP "$agent"
reloaded() { [ "$(grep -c 'msg="config reloaded"' "$scratch/agent.log")" -ge "$1" ]; }
wait_until 10 "the config reloaded" reloaded 1
assert_eq "$(github "$body")" 401 "a delivery signed with the old secret"
assert_eq "$(github "$body" "sha256=$(hmac rotated-webhook-secret "$body")")" 202 "a delivery signed with the new one"
assert_eq "$(get "$url/readyz")" 200 "/readyz after the reload"
note "a bad config on SIGHUP is refused, and the running one kept"
cp "$scratch/berth.yaml" "$scratch/good.yaml"
printf 'sources: 7\n' >"$scratch/berth.yaml"
kill -HUP "$agent"
refused() { grep -q 'msg="bad config"' "$scratch/agent.log"; }
wait_until 10 "the bad config refused" refused
body=$(payload "$scratch/app.git")
assert_eq "$(github "$body" "sha256=$(hmac rotated-webhook-secret "$body")")" 202 "a delivery after the bad reload"
note "a reload that drops a source drops its metrics and its watches"
grep -v 'name: other' "$scratch/good.yaml" >"$scratch/berth.yaml"
kill -HUP "$agent"
wait_until 10 "the config reloaded again" reloaded 2
get "$url/metrics" >/dev/null
assert_not_contains "$(cat "$scratch/body")" 'source="other"' "/metrics after the reload"
assert_contains "$(cat "$scratch/body")" 'berth_objects{source="app",state="in-sync"} 1' "/metrics after the reload"
from=$(wc -l <"$scratch/agent.log")
kubectl patch configmap other-settings -n "$ns" --type merge -p '{"data":{"value":"unwatched"}}' >/dev/null
# The sentinel: one watch sees both ConfigMaps (one collection), in order;
# an edit of app's after other's is seen after other's would have been (an
# annotation of another writer's: no drift to correct).
kubectl annotate configmap app-settings -n "$ns" berth.test/sentinel=1 >/dev/null
seen_since() { tail -n +"$((from + 1))" "$scratch/agent.log" | grep -F "$1" >/dev/null; }
wait_until 30 "the watch to see the sentinel edit" \
	seen_since 'msg="object changed" source=app object="configmaps/app-settings changed"'
seen_since 'msg="object changed" source=other' && fail "the dropped source's objects are still watched"

note "requests the listener refuses"
assert_eq "$(get "$url/hooks/github")" 405 "GET on a hook"
assert_eq "$(get -X POST --data-binary x "$url/hooks/bitbucket")" 404 "an unknown forge"
head -c $((2 << 20)) /dev/zero >"$scratch/big"
assert_eq "$(get -X POST -H 'X-GitHub-Event: push' --data-binary @"$scratch/big" "$url/hooks/github")" 413 \
	"a body over 1 MiB"
assert_eq "$(get -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$url/healthz")" 431 "a head over 16 KiB"

note "/metrics after the webhooks is still valid, and counts what happened"
get "$url/metrics" >/dev/null
promtool check metrics <"$scratch/body" || fail "promtool rejects /metrics: $(cat "$scratch/body")"
applied=$(grep -c 'msg=applied source=app' "$scratch/agent.log")
assert_contains "$(cat "$scratch/body")" \
	"berth_reconcile_duration_seconds_count{source=\"app\",result=\"applied\"} $applied" \
	"the applied reconciles of app, as the log counts them"
assert_contains "$(cat "$scratch/body")" \
	'berth_git_fetch_duration_seconds_count{source="app",result="fetched"} 4' "the fetches of app"

note "SIGTERM while the apiserver is down: the agent, its watches and its listener stop"
failed=$(grep -c 'msg="watch failed"' "$scratch/agent.log" || [ $? = 1 ])
cluster kill-apiserver >/dev/null
watch_failed() { [ "$(grep -c 'msg="watch failed"' "$scratch/agent.log")" -gt "$failed" ]; }
wait_until 30 "a watch to fail, and back off" watch_failed
stop_agent "the apiserver down"
cluster start-apiserver >/dev/null
assert_eq "$STATUS" 0 "the exit status after SIGTERM"
[ "$(get "$url/healthz")" = 000 ] || fail "the listener still answers after exit"
bad=$(grep -v '^time=' "$scratch/agent.log" || [ $? = 1 ])
[ -z "$bad" ] || fail "lines that are not logfmt: $bad"
for secret in github-webhook-secret gitea-webhook-secret gitlab-webhook-token; do
	! grep -q "$secret" "$scratch/agent.log" || fail "the log shows the secret '$secret'"
done
PASSED=1
echo PASS
