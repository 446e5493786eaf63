#!/usr/bin/env bash
# Builds the libFuzzer targets (docs/fuzzing.md) with -sanitize=fuzzer,address in .build-fuzz,
# runs each for FUZZ_SECONDS on a temporary copy of its seed and regression corpora, prints the
# executions and findings per target, and fails if any target crashed, hung or ran out of memory.
#
#   FUZZ_SECONDS=N      seconds per target (default 60)
#   FUZZ_TARGETS="..."  a subset of: manifest config protocol aws-response sigv4 pipeline connector
#   FUZZ_JOBS=N         libFuzzer fork jobs per target (default 1: one fuzzer process at a time)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-manifest config protocol aws-response sigv4 pipeline connector}
jobs=${FUZZ_JOBS:-1}
build_flags=(--scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xcc -fsanitize=fuzzer-no-link,address)

product() {
    case $1 in
        manifest) echo ManifestFuzzer ;; config) echo ConfigFuzzer ;; protocol) echo ProtocolFuzzer ;;
        aws-response) echo AWSResponseFuzzer ;; sigv4) echo SigV4Fuzzer ;; pipeline) echo PipelineFuzzer ;; connector) echo ConnectorFuzzer ;;
        *) echo "unknown fuzz target '$1' (known: manifest config protocol aws-response sigv4 pipeline connector)" >&2; exit 2 ;;
    esac
}
# Inputs bigger than any seed by a margin: the YAML and XML parsers get room, the signer's lines stay short.
max_len() {
    case $1 in manifest | aws-response | pipeline) echo 8192 ;; config | protocol | connector) echo 4096 ;; sigv4) echo 2048 ;; esac
}

for t in $targets; do
    p=$(product "$t")
    echo "== building $p (sanitize=fuzzer,address) in .build-fuzz"
    if ! swift build "${build_flags[@]}" --product "$p" 2>&1 | { grep -Ev "ld.gold: warning|unhandled; explicitly declare|CMakeLists.txt|^\[[0-9]+/[0-9]+\]" || true; }; then
        echo "building $p failed" >&2
        exit 1
    fi
done
bin=$(swift build "${build_flags[@]}" --show-bin-path)
symbolizer=$(command -v llvm-symbolizer || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
# Swift's own crash reporter would wait on every crashing child; libFuzzer and ASan print the stacks.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# Leak checks are off: Swift keeps global caches behind pointers LeakSanitizer cannot see (spare
# bits, tagged pointers), and FoundationXML leaks a CFError per malformed document, so every run
# "leaks". Memory growth still fails a run through -rss_limit_mb and -malloc_limit_mb.
fuzz_flags=(-detect_leaks=0 -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10)

work=$(mktemp -d "${TMPDIR:-/tmp}/ecs-delegate-fuzz.XXXXXX")
summary=()
failed=0
for t in $targets; do
    p=$(product "$t")
    corpus="$work/corpus/$t"
    artifacts="$work/artifacts/$t/"
    mkdir -p "$corpus" "$artifacts"
    for d in Fuzz/corpus/$t Fuzz/regressions/$t; do
        [ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$corpus/" \;
    done
    log="$work/$t.log"
    echo "== fuzzing $t for ${seconds}s ($(ls "$corpus" | wc -l) seed inputs; log $log)"
    "$bin/$p" "${fuzz_flags[@]}" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -max_len="$(max_len "$t")" \
        -artifact_prefix="$artifacts" -print_final_stats=1 "$corpus" >"$log" 2>&1 || true
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
    execs=$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$last")
    counts=$(sed -nE 's#.*oom/timeout/crash: ([0-9]+)/([0-9]+)/([0-9]+).*#\1 \2 \3#p' <<<"$last")
    read -r ooms timeouts crashes <<<"${counts:-0 0 0}"
    found=$(find "$artifacts" -type f | wc -l)
    summary+=("$(printf '%-13s %12s %8s %8s %8s %9s' "$t" "${execs:-?}" "$crashes" "$timeouts" "$ooms" "$found")")
    if [ -z "$execs" ] || [ "$found" -gt 0 ] || [ "$crashes" -gt 0 ] || [ "$timeouts" -gt 0 ] || [ "$ooms" -gt 0 ]; then
        failed=1
        [ -z "$execs" ] && { echo "   $t did not run:"; tail -20 "$log" | sed 's/^/   /'; }
        for a in "$artifacts"*; do
            [ -f "$a" ] || continue
            echo "-- $t finding $a ($(wc -c <"$a") bytes); replaying:"
            timeout 60 "$bin/$p" "${fuzz_flags[@]}" "$a" 2>&1 |
                grep -E 'Fatal error|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY|^ *#[0-9]+ ' |
                grep -Ev 'in (fuzzer::|__sanitizer|_swift_stdlib_report|swift_report|\$ss17_assertionFailure)' | head -14 | sed 's/^/   /' || true
        done
    fi
done

echo
echo "== fuzzing summary: ${seconds}s per target (scripts/fuzz.sh, FUZZ_SECONDS=$seconds)"
printf '%-13s %12s %8s %8s %8s %9s\n' target executions crashes timeouts ooms artifacts
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "findings: inputs and logs kept in $work (save each under Fuzz/regressions/<target>/ once understood)"
    exit 1
fi
rm -rf "$work"
echo "no findings"
