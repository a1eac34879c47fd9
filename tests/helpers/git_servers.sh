# Git servers on loopback for the tests and benchmarks: git daemon (git://),
# smart HTTP (git http-backend through fcgiwrap behind nginx, over TLS with
# basic auth) and sshd. Source it; the caller defines fail().

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
	# The address twice: the mbedTLS under Debian's libgit2 matches it
	# against DNS names only, git's TLS against IP addresses only.
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 2 -out "$dir/server.crt" \
		-extfile <(printf 'subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\n') 2>/dev/null
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
	log_format bytes '\$request_length \$bytes_sent "\$request" \$status';
	access_log $dir/access.log bytes;
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
