#!/usr/bin/env bash
# deploy/Dockerfile cannot be built here (no registry, no daemon), so what it
# promises is checked without building it: its final stage installs exactly
# deploy/local/deps.sh's runtime set, and that set holds the package of
# every library the berth binary links (libc6 aside: every Debian image has
# it; a sanitizer build's runtimes aside: they are never shipped).
set -euo pipefail
: "${BERTH:?BERTH must name the berth binary (ctest sets it)}"
root=$(cd "$(dirname "$0")/.." && pwd)

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
sorted() { tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' '; }

runtime=$("$root/deploy/local/deps.sh" --runtime | sorted)
# The packages of the last `apt-get install` after the last FROM.
image=$(awk '/^FROM /{ s = "" } { s = s $0 "\n" } END { printf "%s", s }' "$root/deploy/Dockerfile" |
	sed ':a; /\\$/ { N; s/\\\n//; ba }' | grep -o 'apt-get install [^&]*' | tail -1 |
	sed 's/apt-get install//; s/ -[^ ]*//g' | sorted)
[ -n "$image" ] || fail "no apt-get install in the final stage of deploy/Dockerfile"
[ "$image" = "$runtime" ] ||
	fail "deploy/Dockerfile's final stage installs '$image'; deps.sh --runtime says '$runtime'"
echo "    the image's runtime packages: $image"

for lib in $(objdump -p "$BERTH" | awk '$1 == "NEEDED" { print $2 }'); do
	case $lib in libasan.so* | libubsan.so* | libc.so.* | libm.so.* | libpthread.so.*) continue ;; esac
	path=$(ldd "$BERTH" | awk -v l="$lib" '$1 == l { print $3 }')
	[ -n "$path" ] || fail "$lib: not found by ldd"
	# By the file's name: with a merged /usr, dpkg may know it under /lib or /usr/lib.
	file=$(basename "$(readlink -f "$path")")
	pkg=$(dpkg -S "*/$file" 2>/dev/null | awk -F': ' -v f="/$file" '
		substr($2, length($2) - length(f) + 1) == f { sub(/:.*/, "", $1); print $1 }' | sort -u)
	[ -n "$pkg" ] || fail "$lib ($path): no package owns it"
	case " $runtime " in
	*" $pkg "*) echo "    $lib: $pkg" ;;
	*) fail "berth links $lib, from $pkg, which the runtime set lacks" ;;
	esac
done
echo PASS
