# Helpers for the e2e tests. Source it first; it fails the test at once when
# there is no control plane to test against (e2e tests never skip).
set -euo pipefail

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "--- $*"
}

: "${BERTH:?BERTH must name the berth binary (ctest sets it)}"
: "${BERTH_SOURCE_DIR:?BERTH_SOURCE_DIR must name the source tree (ctest sets it)}"
if [ -z "${KUBECONFIG:-}" ] || [ -z "${BERTH_KUBECTL:-}" ] || [ -z "${BERTH_CLUSTER_DIR:-}" ]; then
	fail "no control plane: KUBECONFIG, BERTH_KUBECTL and BERTH_CLUSTER_DIR are not set." \
		"Run tests/run.sh, or: deploy/local/cluster.sh up test && eval \"\$(deploy/local/cluster.sh env test)\""
fi
[ "$("$BERTH_KUBECTL" get --raw /readyz 2>&1)" = ok ] ||
	fail "no control plane: the cluster in $KUBECONFIG does not answer /readyz"

kubectl() {
	"$BERTH_KUBECTL" "$@"
}

assert_eq() { # actual expected what
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

assert_contains() { # haystack needle what
	case $1 in
	*"$2"*) ;;
	*) fail "$3: '$2' not in: $1" ;;
	esac
}

assert_not_contains() { # haystack needle what
	case $1 in
	*"$2"*) fail "$3: '$2' must not appear in: $1" ;;
	*) ;;
	esac
}

# Run berth, keeping stdout, stderr and the exit status in OUT, ERR, STATUS.
run_berth() {
	local o e
	o=$(mktemp)
	e=$(mktemp)
	STATUS=0
	"$BERTH" "$@" >"$o" 2>"$e" || STATUS=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# Wait up to $1 seconds for a command to succeed; say what on time-out.
wait_until() { # seconds what command...
	local limit=$1 what=$2 deadline=$((SECONDS + $1))
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || fail "timed out after ${limit}s waiting for $what"
		sleep 0.5
	done
}

# Remove what seed 004's walkthrough (examples/hostpath-walkthrough) makes,
# claims and volumes included.
delete_walkthrough() {
	kubectl delete statefulset web2 --ignore-not-found --wait=true >/dev/null
	kubectl delete service nginx2 --ignore-not-found >/dev/null
	kubectl delete pvc www-web2-0 www-web2-1 --ignore-not-found --wait=true >/dev/null
	kubectl delete pv nginx2-pv-volume nginx22-pv-volume --ignore-not-found --wait=true >/dev/null
	kubectl delete storageclass my-storage-class --ignore-not-found >/dev/null
}

# The Widget custom resource definition (berth.dev/v1, namespaced, its spec
# kept as given): a kind kubectl has no schema for.
install_widget_crd() {
	kubectl apply -f - >/dev/null <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.berth.dev}
spec:
  group: berth.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
YAML
	wait_until 60 "CRD widgets.berth.dev Established" \
		kubectl wait --for condition=established --timeout=1s crd/widgets.berth.dev
}

# A scratch directory removed when the test ends.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Serve the bare repositories under $1 with git daemon (git://) on a free
# loopback port: sets GIT_DAEMON_PORT and GIT_DAEMON_PID. The caller stops
# it (kill "$GIT_DAEMON_PID").
start_git_daemon() { # base-path
	local tries
	for tries in 1 2 3 4 5; do
		GIT_DAEMON_PORT=$((20000 + RANDOM % 10000))
		git daemon --reuseaddr --export-all --base-path="$1" --listen=127.0.0.1 \
			--port="$GIT_DAEMON_PORT" "$1" 2>>"$1/daemon.log" &
		GIT_DAEMON_PID=$!
		for _ in $(seq 50); do
			ss -Htln "sport = :$GIT_DAEMON_PORT" | grep -q . && return 0
			kill -0 "$GIT_DAEMON_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$GIT_DAEMON_PID" 2>/dev/null || true
	done
	fail "git daemon did not start: $(cat "$1/daemon.log")"
}

# Serve the bare repositories under $1 over https (smart HTTP: git
# http-backend through fcgiwrap behind nginx) with basic auth for user $2,
# password $3, on a free loopback port, its certificate signed by a CA of its
# own. Sets GIT_HTTPS_PORT and GIT_HTTPS_CA (the CA's file); the servers stop
# with stop_git_https.
start_git_https() { # base-path user password
	local dir=$1/.https tries
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-ca \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
		-keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
	# No subjectAltName: the mbedTLS under Debian's libgit2 matches an
	# address against the CN only.
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 2 -out "$dir/server.crt" 2>/dev/null
	printf '%s:%s\n' "$2" "$(openssl passwd -apr1 "$3")" >"$dir/htpasswd"
	GIT_HTTPS_CA=$dir/ca.crt
	fcgiwrap -s "unix:$dir/fcgiwrap.sock" 2>>"$dir/fcgiwrap.log" &
	echo $! >"$dir/fcgiwrap.pid"
	for tries in 1 2 3 4 5; do
		GIT_HTTPS_PORT=$((30000 + RANDOM % 10000))
		cat >"$dir/nginx.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user root;")
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events {}
http {
	access_log $dir/access.log;
	client_body_temp_path $dir/body;
	fastcgi_temp_path $dir/fastcgi;
	proxy_temp_path $dir/proxy;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	server {
		listen 127.0.0.1:$GIT_HTTPS_PORT ssl;
		ssl_certificate $dir/server.crt;
		ssl_certificate_key $dir/server.key;
		location / {
			auth_basic git;
			auth_basic_user_file $dir/htpasswd;
			include /etc/nginx/fastcgi_params;
			fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
			fastcgi_param GIT_PROJECT_ROOT $1;
			fastcgi_param GIT_HTTP_EXPORT_ALL "";
			fastcgi_param PATH_INFO \$uri;
			fastcgi_param REMOTE_USER \$remote_user;
			fastcgi_pass unix:$dir/fcgiwrap.sock;
		}
	}
}
CONF
		nginx -c "$dir/nginx.conf" -e "$dir/error.log" 2>>"$dir/error.log" &
		echo $! >"$dir/nginx.pid.shell"
		for _ in $(seq 50); do
			ss -Htln "sport = :$GIT_HTTPS_PORT" | grep -q . && return 0
			kill -0 "$(cat "$dir/nginx.pid.shell")" 2>/dev/null || break
			sleep 0.1
		done
		kill "$(cat "$dir/nginx.pid.shell")" 2>/dev/null || true
	done
	fail "nginx did not start: $(cat "$dir/error.log")"
}

stop_git_https() { # base-path
	local dir=$1/.https f
	for f in nginx.pid.shell fcgiwrap.pid; do
		[ ! -f "$dir/$f" ] || kill "$(cat "$dir/$f")" 2>/dev/null || true
	done
}

# Serve the repositories under $1 over ssh: sshd on a free loopback port
# with a host key of its own, letting in the key in GIT_SSH_KEY. Sets
# GIT_SSH_PORT, GIT_SSH_KEY (a private key file), GIT_SSH_KNOWN_HOSTS (a
# known_hosts file holding the server's key) and GIT_SSH_PID.
start_git_sshd() { # base-path
	local dir=$1/.sshd tries
	mkdir -p "$dir" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key"
	cp "$dir/client_key.pub" "$dir/authorized_keys"
	GIT_SSH_KEY=$dir/client_key
	for tries in 1 2 3 4 5; do
		GIT_SSH_PORT=$((40000 + RANDOM % 10000))
		cat >"$dir/sshd_config" <<CONF
Port $GIT_SSH_PORT
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $(id -un)
StrictModes no
UsePAM no
PidFile $dir/sshd.pid
CONF
		/usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>>"$dir/sshd.log" &
		GIT_SSH_PID=$!
		for _ in $(seq 50); do
			if ss -Htln "sport = :$GIT_SSH_PORT" | grep -q .; then
				printf '[127.0.0.1]:%s %s\n' "$GIT_SSH_PORT" \
					"$(cut -d' ' -f1,2 "$dir/host_key.pub")" >"$dir/known_hosts"
				GIT_SSH_KNOWN_HOSTS=$dir/known_hosts
				return 0
			fi
			kill -0 "$GIT_SSH_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$GIT_SSH_PID" 2>/dev/null || true
	done
	fail "sshd did not start: $(cat "$dir/sshd.log")"
}
