#!/usr/bin/env bash
# berth run's listener against a stranger on its port: tests/attacks/listener.py
# (which a person can run alone) trickles webhook bodies and half heads over
# every connection slot while probing /healthz, and sends a bare LF. The
# kubelet's probes must keep being answered.
. "$(dirname "$0")/lib.sh"

ns=berth-listener-attacks
export XDG_CACHE_HOME=$scratch/cache
agent=
cleanup() {
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || :
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
}
cleanup
trap 'cleanup; rm -rf "$scratch"' EXIT
kubectl create namespace "$ns" >/dev/null

git init -q -b main "$scratch/app"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n' >"$scratch/app/app.yaml"
git -C "$scratch/app" add -A
git -C "$scratch/app" -c user.name=berth -c user.email=berth@example.com commit -q -m app
printf 'github-webhook-secret\n' >"$scratch/secret"
cat >"$scratch/berth.yaml" <<YAML
stateNamespace: $ns
sources:
- {name: app, repo: "$scratch/app", namespace: $ns, interval: 1h}
webhooks:
  github: {secretFile: $scratch/secret}
YAML
start_agent "$scratch/berth.yaml" "$scratch/agent.log"

note "trickled bodies, half heads and a bare LF (each bounded: 30 s, 10 s, 2 s)"
timeout 120 /usr/bin/python3 "$BERTH_SOURCE_DIR/tests/attacks/listener.py" "$(agent_address)" ||
	fail "the listener did not hold (see above)"
kill -0 "$agent" || fail "berth run died under the attacks"
echo PASS
