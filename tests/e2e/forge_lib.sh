# The forge test server (tests/helpers/forge_server.py) for the e2e tests
# that post commit statuses; source it after lib.sh. Each provider P has
# its files in $scratch: P.json (the server's config, which the test
# writes), P.jsonl (the record of requests), P.state, P.port, P.err.
declare -A forge_pid

# One forge server per provider; `forge_start P [port]` (again on the same
# port after forge_stop: the forge back from an outage, with its statuses).
forge_start() { # provider [port]
	local p=$1
	rm -f "$scratch/$p.port"
	python3 "$BERTH_SOURCE_DIR/tests/helpers/forge_server.py" --provider "$p" \
		--config "$scratch/$p.json" --record "$scratch/$p.jsonl" --state "$scratch/$p.state" \
		--listen "127.0.0.1:${2:-0}" --port-file "$scratch/$p.port" \
		>/dev/null 2>>"$scratch/$p.err" &
	forge_pid[$p]=$!
	wait_until 10 "the $p forge to listen" test -s "$scratch/$p.port"
}
forge_stop() { # provider
	kill "${forge_pid[$1]}"
	wait "${forge_pid[$1]}" || :
	unset "forge_pid[$1]"
}
forge() { # provider: its address
	echo "http://127.0.0.1:$(cat "$scratch/$1.port")"
}
base_url() { # provider: berth's baseURL (GitHub Enterprise's form for GitHub)
	if [ "$1" = github ]; then echo "$(forge "$1")/api/v3"; else forge "$1"; fi
}
# The statuses the forge holds on SHA, in the order posted, as "context
# state description" lines.
statuses() { # provider sha
	curl -sf "$(forge "$1")/_forge/statuses" |
		jq -r --arg sha "$2" '.[] | select(.sha == $sha) | "\(.context) \(.state) \(.description)"'
}
statuses_are() { # provider sha want
	[ "$(statuses "$1" "$2")" = "$3" ]
}
statuses_hold() { # provider sha line
	statuses "$1" "$2" | grep -qxF "$3"
}
has_statuses() { # provider sha
	[ -n "$(statuses "$1" "$2")" ]
}
# The forge's word for failure.
failed() { if [ "$1" = gitlab ]; then echo failed; else echo failure; fi; }
# Stop every forge still running (for the test's EXIT trap).
forge_stop_all() {
	local p
	for p in "${forge_pid[@]}"; do kill "$p" 2>/dev/null || :; done
}
