#!/usr/bin/env bash
# Runs every fuzz target of the module, one at a time, each for FUZZTIME (default 30s), and
# prints the executions and time of each, then a summary table. Exits non-zero if any target
# fails (a failing input is then in the package's testdata/fuzz/<target>/, ready to be re-run
# with go test -run '<target>/<file>').
#
#   FUZZTIME      time (or count, e.g. 5000x) per target: go test's -fuzztime
#   FUZZPARALLEL  fuzzing processes per target: go test's -parallel (default: go's, GOMAXPROCS)
#   FUZZPKGS      packages to search for targets (default ./...)
#   FUZZMATCH     only targets whose name matches this regular expression (default: all)
set -uo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
FUZZMATCH=${FUZZMATCH:-.}
read -r -a pkgs <<<"${FUZZPKGS:-./...}"
parallel=()
if [[ -n ${FUZZPARALLEL:-} ]]; then
	parallel=(-parallel "$FUZZPARALLEL")
fi

# go test -list prints a package's matching test names, then its "ok <package>" line.
listing=$("$GO" test -list '^Fuzz' "${pkgs[@]}" 2>&1)
if [[ $? -ne 0 ]]; then
	printf '%s\n' "$listing" >&2
	echo "fuzz: listing the fuzz targets failed" >&2
	exit 1
fi
targets=()
pending=()
while IFS= read -r line; do
	case $line in
	Fuzz*) pending+=("$line") ;;
	ok\ *)
		read -r _ pkg _ <<<"$line"
		for name in "${pending[@]}"; do
			[[ $name =~ $FUZZMATCH ]] && targets+=("$pkg $name")
		done
		pending=()
		;;
	esac
done <<<"$listing"
if [[ ${#targets[@]} -eq 0 ]]; then
	echo "fuzz: no fuzz target found in ${pkgs[*]}" >&2
	exit 1
fi

echo "fuzz: ${#targets[@]} targets, $FUZZTIME each"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
rows=()
failed=0
i=0
for target in "${targets[@]}"; do
	read -r pkg name <<<"$target"
	i=$((i + 1))
	out="$log/$i.out"
	start=$SECONDS
	"$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "${parallel[@]}" "$pkg" >"$out" 2>&1
	rc=$?
	wall=$((SECONDS - start))
	# The last progress line: "fuzz: elapsed: 30s, execs: 1234 (41/sec), new interesting: ...",
	# or, when the time ran out while the seeds were still being run for their coverage,
	# "fuzz: elapsed: 3s, gathering baseline coverage: 120/700 completed".
	progress=$(grep -E '^fuzz: elapsed: ' "$out" | tail -n 1)
	execs=$(sed -nE -e 's/.*execs: ([0-9]+).*/\1/p' -e 's/.*baseline coverage: ([0-9]+)\/.*/\1/p' <<<"$progress")
	note=
	if [[ $progress == *baseline* ]]; then
		note=" (seeds only: FUZZTIME ran out before fuzzing began)"
	fi
	if [[ -n $progress && ${execs:-0} -eq 0 ]]; then
		note=" (no input: FUZZTIME ran out during the workers' set-up)"
	fi
	elapsed=$(sed -nE 's/^fuzz: elapsed: ([^,]+),.*/\1/p' <<<"$progress")
	# The line's rate is the last interval's; the average is over the whole run.
	seconds=$(awk '{ n = 0; s = $0
		if (match(s, /[0-9]+h/)) n += 3600 * substr(s, RSTART, RLENGTH - 1)
		if (match(s, /[0-9]+m/)) n += 60 * substr(s, RSTART, RLENGTH - 1)
		if (match(s, /[0-9.]+s/)) n += substr(s, RSTART, RLENGTH - 1)
		print n }' <<<"${elapsed:-0s}")
	rate=$(awk -v e="${execs:-0}" -v s="$seconds" 'BEGIN { if (s > 0) printf "%d", e / s; else print 0 }')
	status=ok
	if [[ $rc -ne 0 ]]; then
		status=FAIL
		failed=$((failed + 1))
	elif [[ -z $progress ]]; then
		# A target that skipped (no emulators, say) never started fuzzing.
		status=SKIP
		failed=$((failed + 1))
	fi
	printf 'fuzz: %-4s %s %s: %s execs in %s (%s/s), %ss with build and set-up%s\n' \
		"$status" "$pkg" "$name" "${execs:-0}" "${elapsed:-0s}" "${rate:-0}" "$wall" "$note"
	if [[ $status != ok ]]; then
		# The failure, the failing input's file and the command to re-run it; not the
		# progress lines nor the served requests' log lines.
		grep -vE '^fuzz: elapsed: |"msg":"request"' "$out" | tail -n 60 | sed 's/^/    /'
	fi
	rows+=("$status|$pkg|$name|${execs:-0}|${elapsed:-0s}|${rate:-0}")
done

echo
printf '%-6s %-45s %-24s %12s %9s %8s\n' STATUS PACKAGE TARGET EXECS TIME EXECS/S
for row in "${rows[@]}"; do
	IFS='|' read -r status pkg name execs elapsed rate <<<"$row"
	printf '%-6s %-45s %-24s %12s %9s %8s\n' "$status" "$pkg" "$name" "$execs" "$elapsed" "$rate"
done
if [[ $failed -gt 0 ]]; then
	echo "fuzz: $failed of ${#targets[@]} targets failed or did not run" >&2
	exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
