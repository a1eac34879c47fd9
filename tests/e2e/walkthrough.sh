#!/usr/bin/env bash
# The walkthrough of seed 004, applied with the kubectl 1.20.2 built from
# Debian's source: the StatefulSet controller makes both claims, the binder
# binds them to the two hostPath PVs, and the kubelet stand-in makes both pods
# Ready in order. This proves the local control plane is the real thing.
. "$(dirname "$0")/lib.sh"

example=$BERTH_SOURCE_DIR/examples/hostpath-walkthrough

delete_walkthrough
trap 'delete_walkthrough; rm -rf "$scratch"' EXIT

note "kubectl $(kubectl version --client --short) apply -f $example"
kubectl apply -f "$example"

note "each object exists as the walkthrough makes it"
assert_eq "$(kubectl get storageclass my-storage-class -o jsonpath='{.provisioner}')" \
	kubernetes.io/host-path "StorageClass provisioner"
for pv in nginx2-pv-volume nginx22-pv-volume; do
	assert_eq "$(kubectl get pv $pv -o jsonpath='{.spec.hostPath.path}')" \
		"$([ $pv = nginx2-pv-volume ] && echo /tmp/data || echo /tmp/data1)" "$pv hostPath"
done
assert_eq "$(kubectl get service nginx2 -o jsonpath='{.spec.clusterIP}')" None "headless Service"
assert_eq "$(kubectl get statefulset web2 -o jsonpath='{.spec.replicas}')" 2 "StatefulSet replicas"

note "both pods Ready, in order"
ready() {
	[ "$(kubectl get statefulset web2 -o jsonpath='{.status.readyReplicas}')" = 2 ]
}
wait_until 120 "statefulset web2: 2 of 2 pods ready" ready
for pod in web2-0 web2-1; do
	assert_eq "$(kubectl get pod $pod -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" \
		True "$pod Ready"
done
t0=$(kubectl get pod web2-0 -o jsonpath='{.metadata.creationTimestamp}')
t1=$(kubectl get pod web2-1 -o jsonpath='{.metadata.creationTimestamp}')
[[ "$t0" < "$t1" || "$t0" = "$t1" ]] || fail "web2-1 ($t1) was created before web2-0 ($t0)"

note "both claims Bound to the two PVs, and each PV back to its claim"
bound() {
	[ "$(kubectl get pvc www-web2-0 www-web2-1 -o jsonpath='{.items[*].status.phase}')" = "Bound Bound" ]
}
wait_until 60 "claims www-web2-0 and www-web2-1 Bound" bound
volumes=$(kubectl get pvc www-web2-0 www-web2-1 -o jsonpath='{.items[*].spec.volumeName}' |
	tr ' ' '\n' | sort | tr '\n' ' ')
assert_eq "$volumes" "nginx2-pv-volume nginx22-pv-volume " "the claims' volumes"
for claim in www-web2-0 www-web2-1; do
	pv=$(kubectl get pvc $claim -o jsonpath='{.spec.volumeName}')
	assert_eq "$(kubectl get pv "$pv" -o jsonpath='{.status.phase} {.spec.claimRef.namespace}/{.spec.claimRef.name}')" \
		"Bound default/$claim" "PV $pv"
	assert_eq "$(kubectl get pvc $claim -o jsonpath='{.spec.storageClassName} {.status.capacity.storage}')" \
		"my-storage-class 10Gi" "claim $claim"
done
kubectl get pv,pvc -o wide
echo PASS
