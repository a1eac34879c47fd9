# Assertions for the tests' shell scripts, with nothing to set up: lib.sh
# sources it for the e2e tests, and a test that needs no cluster
# (forge_server.sh) sources it alone.
set -euo pipefail

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "--- $*"
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

# Wait up to $1 seconds for a command to succeed; say what on time-out.
wait_until() { # seconds what command...
	local limit=$1 what=$2 deadline=$((SECONDS + $1))
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || fail "timed out after ${limit}s waiting for $what"
		sleep 0.5
	done
}
