#!/usr/bin/env bash
# The rooms stay honest (README's layout, shared style): no .c or .h under
# agent/, apply/ or diff/ is over 800 lines; no include cycle among the
# quoted includes (two files that include each other are the shortest); and
# each include goes one of the allowed ways:
#   diff/ (and diff/base/) nothing from apply/ or agent/; diff/base/ nothing
#   outside diff/base/; apply/ nothing from agent/;
#   agent/source/ nothing else of agent/; agent/forge/ nothing from
#   agent/cli/, agent/daemon/ or agent/http/, and from agent/source/ only
#   url.h; agent/daemon/ nothing from agent/cli/;
#   agent/http/ nothing from agent/cli/, and from agent/daemon/ only its
#   channel, agent/daemon/scheduler.h.
# Prints each violation as "file: reason" and fails if there is one.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Every C file of the tree, but what a build wrote: sorted, so the output
# is the same on every machine.
mapfile -t files < <(find . \( -path ./build -o -name .git \) -prune -o -name '*.[ch]' -print |
	sed 's|^\./||' | LC_ALL=C sort)

LC_ALL=C awk -v max_lines=800 '
BEGIN {
	for (i = 1; i < ARGC; i++)
		known[ARGV[i]] = 1
}

# "a/b/../c/./d" is "a/c/d".
function normalize(path,    n, parts, out, depth, i) {
	n = split(path, parts, "/")
	depth = 0
	for (i = 1; i <= n; i++) {
		if (parts[i] == "" || parts[i] == ".")
			continue
		if (parts[i] == ".." && depth > 0 && out[depth] != "..")
			depth--
		else
			out[++depth] = parts[i]
	}
	path = ""
	for (i = 1; i <= depth; i++)
		path = path (i > 1 ? "/" : "") out[i]
	return path
}

function dir_of(path) {
	return sub(/\/[^\/]*$/, "", path) ? path "/" : ""
}

function under(path, dir) {
	return substr(path, 1, length(dir)) == dir
}

function violation(file, reason) {
	print file ": " reason
	failed = 1
}

# Why `from` may not include `to`, or "".
function forbidden(from, to) {
	if (under(from, "diff/base/") && !under(to, "diff/base/"))
		return "diff/base/ includes nothing outside diff/base/"
	if (under(from, "diff/") && (under(to, "apply/") || under(to, "agent/")))
		return "diff/ includes nothing from apply/ or agent/"
	if (under(from, "apply/") && under(to, "agent/"))
		return "apply/ includes nothing from agent/"
	if (under(from, "agent/source/") && under(to, "agent/") && !under(to, "agent/source/"))
		return "agent/source/ includes nothing else of agent/"
	if (under(from, "agent/forge/") &&
	    (under(to, "agent/cli/") || under(to, "agent/daemon/") || under(to, "agent/http/")))
		return "agent/forge/ includes nothing from agent/cli/, agent/daemon/ or agent/http/"
	if (under(from, "agent/forge/") && under(to, "agent/source/") &&
	    to != "agent/source/url.h")
		return "agent/forge/ includes from agent/source/ only the URL parser, " \
		    "agent/source/url.h"
	if (under(from, "agent/daemon/") && under(to, "agent/cli/"))
		return "agent/daemon/ includes nothing from agent/cli/"
	if (under(from, "agent/http/") && under(to, "agent/cli/"))
		return "agent/http/ includes nothing from agent/cli/"
	if (under(from, "agent/http/") && under(to, "agent/daemon/") &&
	    to != "agent/daemon/scheduler.h")
		return "agent/http/ includes from agent/daemon/ only its channel, " \
		    "agent/daemon/scheduler.h"
	return ""
}

{ lines[FILENAME]++ }

/^[ \t]*#[ \t]*include[ \t]*"/ {
	target = $0
	sub(/^[^"]*"/, "", target)
	sub(/".*$/, "", target)
	target = normalize(dir_of(FILENAME) target)
	if ((why = forbidden(FILENAME, target)) != "")
		violation(FILENAME, "includes " target ": " why)
	if (target in known && !((FILENAME, target) in edge)) {
		edge[FILENAME, target] = 1
		next_of[FILENAME, ++nnext[FILENAME]] = target
	}
}

# Depth first; an include of a file still on the stack closes a cycle.
# Two files that include each other are told apart, before.
function walk(file,    i, j, to, cycle) {
	state[file] = "open"
	stack[++depth] = file
	at[file] = depth
	for (i = 1; i <= nnext[file]; i++) {
		to = next_of[file, i]
		if (state[to] == "open" && !((to, file) in edge)) {
			cycle = to
			for (j = at[to] + 1; j <= depth; j++)
				cycle = cycle " -> " stack[j]
			violation(to, "include cycle: " cycle " -> " to)
		} else if (state[to] == "") {
			walk(to)
		}
	}
	depth--
	state[file] = "done"
}

END {
	for (i = 1; i < ARGC; i++) {
		file = ARGV[i]
		if ((under(file, "agent/") || under(file, "apply/") || under(file, "diff/")) &&
		    lines[file] > max_lines)
			violation(file, lines[file] " lines, over " max_lines)
	}
	for (i = 1; i < ARGC; i++)
		for (j = 1; j <= nnext[ARGV[i]]; j++) {
			to = next_of[ARGV[i], j]
			if (ARGV[i] < to && (to, ARGV[i]) in edge)
				violation(ARGV[i], "includes " to " and " to " includes it")
		}
	for (i = 1; i < ARGC; i++)
		if (state[ARGV[i]] == "")
			walk(ARGV[i])
	exit failed
}
' "${files[@]}"
