# Git servers on loopback for the tests and benchmarks: git daemon (git://),
# smart HTTP (git http-backend through fcgiwrap behind nginx, over TLS or
# plain http, with basic auth), sshd, and a web server on another loopback
# address that records what it is sent. Source it; the caller defines fail().

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
	local dir=$1/.https
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
	GIT_HTTPS_CA=$dir/ca.crt
	start_git_web "$dir" "$1" "$2" "$3" ssl ""
	GIT_HTTPS_PORT=$GIT_WEB_PORT
}

stop_git_https() { # base-path
	stop_git_web "$1/.https"
}

# The same over plain http, on 127.0.0.1, with redirects more:
# /renamed.git/ answers 301 to /config.git/ (the same server, as a forge
# answers for a renamed repository), /moved.git/ 302 to $4 and
# /moved-port.git/ 302 to $5 (URLs ending in '/': other servers). Sets
# GIT_HTTP_PORT; stop_git_http stops it.
start_git_http() { # base-path user password moved-to-url moved-port-to-url
	local dir=$1/.http
	mkdir -p "$dir"
	start_git_web "$dir" "$1" "$2" "$3" "" "
		location /renamed.git/ { rewrite ^/renamed.git/(.*)\$ /config.git/\$1 permanent; }
		location /moved.git/ { rewrite ^/moved.git/(.*)\$ $4\$1 redirect; }
		location /moved-port.git/ { rewrite ^/moved-port.git/(.*)\$ $5\$1 redirect; }"
	GIT_HTTP_PORT=$GIT_WEB_PORT
}

stop_git_http() { # base-path
	stop_git_web "$1/.http"
}

# nginx and fcgiwrap for start_git_https and start_git_http, their files in
# DIR: the repositories under BASE, basic auth for USER with PASSWORD, over
# TLS when SSL is "ssl" (with DIR's server.crt and server.key), and EXTRA in
# the server block. Sets GIT_WEB_PORT.
start_git_web() { # dir base user password ssl extra
	local dir=$1 tries
	printf '%s:%s\n' "$3" "$(openssl passwd -apr1 "$4")" >"$dir/htpasswd"
	fcgiwrap -s "unix:$dir/fcgiwrap.sock" 2>>"$dir/fcgiwrap.log" &
	echo $! >"$dir/fcgiwrap.pid"
	for tries in 1 2 3 4 5; do
		GIT_WEB_PORT=$((30000 + RANDOM % 10000))
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
	absolute_redirect off;
	server {
		listen 127.0.0.1:$GIT_WEB_PORT $5;
		$([ "$5" = ssl ] && echo "ssl_certificate $dir/server.crt; ssl_certificate_key $dir/server.key;")
		location / {
			auth_basic git;
			auth_basic_user_file $dir/htpasswd;
			include /etc/nginx/fastcgi_params;
			fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
			fastcgi_param GIT_PROJECT_ROOT $2;
			fastcgi_param GIT_HTTP_EXPORT_ALL "";
			fastcgi_param PATH_INFO \$uri;
			fastcgi_param REMOTE_USER \$remote_user;
			fastcgi_pass unix:$dir/fcgiwrap.sock;
		}
		$6
	}
}
CONF
		nginx -c "$dir/nginx.conf" -e "$dir/error.log" 2>>"$dir/error.log" &
		echo $! >"$dir/nginx.pid.shell"
		for _ in $(seq 50); do
			ss -Htln "sport = :$GIT_WEB_PORT" | grep -q . && return 0
			kill -0 "$(cat "$dir/nginx.pid.shell")" 2>/dev/null || break
			sleep 0.1
		done
		kill "$(cat "$dir/nginx.pid.shell")" 2>/dev/null || true
	done
	fail "nginx did not start: $(cat "$dir/error.log")"
}

stop_git_web() { # dir
	local f
	for f in nginx.pid.shell fcgiwrap.pid; do
		[ ! -f "$1/$f" ] || kill "$(cat "$1/$f")" 2>/dev/null || true
	done
}

# A web server on ADDRESS (127.0.0.2 is another host than the Git servers'
# 127.0.0.1) that asks every request for a password (401, Basic) and writes
# each request's line and Authorization header, one line each, to FILE.
# Sets RECORDER_PORT and RECORDER_PID (the caller stops it).
start_header_recorder() { # file address
	local tries
	: >"$1"
	for tries in 1 2 3 4 5; do
		RECORDER_PORT=$((20000 + RANDOM % 10000))
		python3 - "$1" "$2" "$RECORDER_PORT" <<'PY' 2>>"$1.log" &
import http.server, sys

log, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])

class Recorder(http.server.BaseHTTPRequestHandler):
    def answer(self):
        with open(log, "a") as f:
            f.write("%s %s authorization=%s\n" % (self.command, self.path,
                    self.headers.get("Authorization", "-")))
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="elsewhere"')
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_GET = do_POST = answer
    def log_message(self, *args):
        pass

http.server.HTTPServer((address, port), Recorder).serve_forever()
PY
		RECORDER_PID=$!
		for _ in $(seq 50); do
			ss -Htln "sport = :$RECORDER_PORT" | grep -qF "$2:" && return 0
			kill -0 "$RECORDER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$RECORDER_PID" 2>/dev/null || true
	done
	fail "the header recorder did not start: $(cat "$1.log")"
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
