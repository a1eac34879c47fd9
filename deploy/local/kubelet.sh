#!/usr/bin/env bash
# A stand-in for the kubelet, for a control plane with no nodes: it watches
# every pod and writes the status a kubelet would. A pod becomes Running and
# Ready (with a Ready container status for each container), unless it is held:
#
#   - the pod has the annotation  berth.dev/hold-ready: "true"  (set it in a
#     pod template to hold every pod of a workload; remove it from one pod
#     with `kubectl annotate pod P berth.dev/hold-ready-` to release it), or
#   - the line  NAMESPACE/NAME  is in the file  $CLUSTER_DIR/kubelet-hold
#     (read again at every re-list, at least every 3 seconds).
#
# A held pod that was Ready is turned NotReady, as a failing readiness probe
# would. A pod being deleted is removed at once (grace period 0), as a
# kubelet does once its containers stopped.
#
# A pod annotated  berth.dev/exit: "N"  (set it in a Job's pod template)
# runs once and ends as its containers would with exit code N: Succeeded
# for 0, Failed otherwise, so the Job controller completes or fails the Job.
#
# An image whose name holds "berth-crashloop" is a container that exits 1
# each time it starts: its pod is Running, never Ready, in CrashLoopBackOff
# (restarted 3 times, last exit 1: Error); as an init container, the pod
# stays Pending in Init:CrashLoopBackOff. One whose name holds
# "berth-pullfail" cannot be pulled: its pod stays Pending, in
# ImagePullBackOff.
#
# usage: kubelet.sh CLUSTER_DIR    (started and stopped by cluster.sh)
set -uo pipefail

dir=$1
api=$(cat "$dir/server")
auth="Authorization: Bearer $(cat "$dir/admin.token")"
hold_file=$dir/kubelet-hold
ipfile=$dir/kubelet-ip

kcurl() {
	curl -sS --cacert "$dir/pki/ca.crt" -H "$auth" "$@"
}

# Decide, for one pod object, what a kubelet would do. Prints one action:
#   ready NS NAME PATCH | notready NS NAME PATCH | delete NS NAME UID
# or nothing when the status already says what it should.
decide='
def cond($t): (.status.conditions // []) | map(select(.type == $t)) | first;
def is_ready: (cond("Ready").status // "") == "True";
def held: (.metadata.namespace + "/" + .metadata.name) as $key
          | (.metadata.annotations["berth.dev/hold-ready"] // "") == "true"
            or any($holds[]; . == $key);
def conds($s; $now):
  [ {type: "Initialized", status: "True", lastTransitionTime: $now},
    {type: "Ready", status: $s, lastTransitionTime: $now},
    {type: "ContainersReady", status: $s, lastTransitionTime: $now},
    {type: "PodScheduled", status: "True", lastTransitionTime: $now} ];
def cstatus($r; $now):
  [ .spec.containers[] | {name, image, imageID: "", ready: $r, started: true,
      restartCount: 0, containerID: ("berth://" + .name),
      state: {running: {startedAt: $now}}} ];
def fault: [(.spec.initContainers // [])[].image, .spec.containers[].image]
  | if any(test("berth-pullfail")) then "pull"
    elif any(test("berth-crashloop")) then "crash" else null end;
def init_fault: [(.spec.initContainers // [])[].image] | any(test("berth-crashloop"));
def crashing($now):
  {name, image, imageID: "", ready: false, started: false, restartCount: 3,
   containerID: ("berth://" + .name),
   state: {waiting: {reason: "CrashLoopBackOff",
                     message: ("back-off 40s restarting failed container=" + .name)}},
   lastState: {terminated: {exitCode: 1, reason: "Error", finishedAt: $now}}};
def faulted($now; $init):
  [ .spec.containers[]
    | if (.image | test("berth-pullfail")) then
        {name, image, imageID: "", ready: false, started: false, restartCount: 0,
         state: {waiting: {reason: "ImagePullBackOff",
                           message: ("Back-off pulling image \"" + .image + "\"")}}}
      elif (.image | test("berth-crashloop")) then crashing($now)
      elif $init then
        {name, image, imageID: "", ready: false, started: false, restartCount: 0,
         state: {waiting: {reason: "PodInitializing"}}}
      else {name, image, imageID: "", ready: false, started: true, restartCount: 0,
            containerID: ("berth://" + .name), state: {running: {startedAt: $now}}} end ];
def exits: .metadata.annotations["berth.dev/exit"] // null;
. as $p
| if .metadata.deletionTimestamp then "delete \(.metadata.namespace) \(.metadata.name) \(.metadata.uid)"
  elif .status.phase == "Succeeded" or .status.phase == "Failed" then empty
  elif exits != null then
    (exits | tonumber? // 1) as $code |
    "ready \(.metadata.namespace) \(.metadata.name) " +
    ({status: {phase: (if $code == 0 then "Succeeded" else "Failed" end),
      hostIP: "127.0.0.1", podIP: $ip, podIPs: [{ip: $ip}],
      startTime: (.status.startTime // $now), conditions: conds("False"; $now),
      containerStatuses: [ $p.spec.containers[] | {name, image, imageID: "", ready: false,
        started: false, restartCount: 0, containerID: ("berth://" + .name),
        state: {terminated: {exitCode: $code,
                             reason: (if $code == 0 then "Completed" else "Error" end),
                             startedAt: $now, finishedAt: $now}}} ]}} | tojson)
  elif fault != null then
    if (.status.containerStatuses // []) + (.status.initContainerStatuses // [])
       | any(.state.waiting.reason == "CrashLoopBackOff"
             or .state.waiting.reason == "ImagePullBackOff")
    then empty else
      "notready \(.metadata.namespace) \(.metadata.name) " +
      ({status: ({phase: (if fault == "pull" or init_fault then "Pending" else "Running" end),
        hostIP: "127.0.0.1", podIP: $ip, podIPs: [{ip: $ip}],
        startTime: (.status.startTime // $now), conditions: conds("False"; $now),
        containerStatuses: ($p | faulted($now; init_fault))}
        + (if init_fault then {initContainerStatuses:
             [ .spec.initContainers[] | if (.image | test("berth-crashloop"))
               then crashing($now) else {name, image, imageID: "", ready: true,
                 restartCount: 0, state: {terminated: {exitCode: 0, reason: "Completed"}}} end ]}
           else {} end))} | tojson)
    end
  elif held then
    if is_ready or .status.phase != "Pending" and (cond("Ready") == null) then
      "notready \(.metadata.namespace) \(.metadata.name) " +
      ({status: {phase: "Running", hostIP: "127.0.0.1", podIP: $ip,
        podIPs: [{ip: $ip}], startTime: (.status.startTime // $now),
        conditions: conds("False"; $now),
        containerStatuses: ($p | cstatus(false; $now))}} | tojson)
    else empty end
  elif is_ready then empty
  else
    "ready \(.metadata.namespace) \(.metadata.name) " +
    ({status: {phase: "Running", hostIP: "127.0.0.1",
      podIP: (.status.podIP // $ip), podIPs: [{ip: (.status.podIP // $ip)}],
      startTime: (.status.startTime // $now), conditions: conds("True"; $now),
      containerStatuses: ($p | cstatus(true; $now))}} | tojson)
  end'

holds_json() {
	if [ -f "$hold_file" ]; then
		grep -v '^[[:space:]]*$' "$hold_file" | jq -R . | jq -cs .
	else
		echo '[]'
	fi
}

next_ip() {
	local n
	n=$(cat "$ipfile" 2>/dev/null || echo 1)
	n=$((n % 250 + 1))
	echo "$n" >"$ipfile"
	echo "10.244.0.$((n + 1))"
}

act() {
	local verb=$1 ns=$2 name=$3 patch=${4:-}
	local url="$api/api/v1/namespaces/$ns/pods/$name"
	case $verb in
	delete)
		# That pod by its uid: a re-list may be older than a pod of the
		# same name made since (a StatefulSet's), which must stay.
		kcurl -o /dev/null -X DELETE -H 'Content-Type: application/json' \
			-d '{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,"preconditions":{"uid":"'"$patch"'"}}' \
			"$url" && echo "kubelet: deleted $ns/$name"
		;;
	ready | notready)
		kcurl -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
			-d "$patch" "$url/status" && echo "kubelet: $ns/$name $verb"
		;;
	esac
}

# Read pod objects, one JSON per line, and act on each.
handle() {
	local holds now line
	holds=$(holds_json)
	while IFS= read -r line; do
		now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
		jq -r --argjson holds "$holds" --arg now "$now" --arg ip "$(next_ip)" \
			"$decide" <<<"$line" | while read -r verb ns name patch; do
			act "$verb" "$ns" "$name" "$patch"
		done
	done
}

trap 'exit 0' TERM INT
while :; do
	if ! list=$(kcurl -f "$api/api/v1/pods"); then
		sleep 1
		continue
	fi
	rv=$(jq -r .metadata.resourceVersion <<<"$list")
	jq -c '.items[]' <<<"$list" | handle
	kcurl -N "$api/api/v1/pods?watch=1&resourceVersion=$rv&timeoutSeconds=3" |
		jq --unbuffered -c 'select(.type == "ADDED" or .type == "MODIFIED") | .object' |
		handle
done
