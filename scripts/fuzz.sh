#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each for a fixed time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
#   SECONDS_PER_TARGET  default 60
#   TARGET              feed charset extract config dedup_jsonl feed_body (default: all)
#
# Environment:
#   FUZZ_SEEDS   directory of public test corpora read (never copied into the
#                repository) to seed empty corpora; default ../shared/corpora
#                (feedparser/, readability/, gne/), skipped when missing.
#   FUZZ_NICE    niceness of the fuzzing processes, default 19.
#   FUZZ_RUNS    stop each target after this many executions (libFuzzer's
#                -runs) if that comes before SECONDS_PER_TARGET.
#   FUZZ_SANITIZER  cargo fuzz's -s: "address" (default) finds memory errors
#                in unsafe code of dependencies; "none" runs several times
#                as many inputs per second (panics, hangs and memory
#                blow-ups are still found).
#   CARGO_TARGET_DIR is honoured.
#
# Needs `cargo install cargo-fuzz`. On a stable toolchain the sanitizer flags
# are unlocked with RUSTC_BOOTSTRAP=1 (set here). Corpora grow in
# fuzz/corpus/<target>, crashes land in fuzz/artifacts/<target> (both
# ignored by git); a crash worth keeping becomes a test in
# tests/fuzz_regressions.rs with its input under tests/fuzz-regressions/.
# Each run ends with libFuzzer's final stats (executions, exec/s, coverage).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(feed charset extract config dedup_jsonl feed_body)
seeds=${FUZZ_SEEDS:-$root/../shared/corpora}
nice_level=${FUZZ_NICE:-19}
sanitizer=${FUZZ_SANITIZER:-address}
export RUSTC_BOOTSTRAP=1

runs=${FUZZ_RUNS:+-runs=$FUZZ_RUNS}
for target in "${targets[@]}"; do
    nice -n "$nice_level" cargo fuzz build -s "$sanitizer" --release --debug-assertions "$target"
done

# Writes seed files for `target` into its corpus directory (when empty).
seed() {
    local target=$1 dir=$root/fuzz/corpus/$1 n=0 f
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || return 0
    case $target in
    feed)
        # First byte picks content type and base URL (see the target).
        for f in "$root"/config/demo/* $( [ -d "$seeds/feedparser" ] && find "$seeds/feedparser" -type f -name '*.xml' -size -64k); do
            { printf "\\x$(printf %02x $((n % 256)))"; cat "$f"; } >"$dir/seed-$n"
            n=$((n + 1))
        done ;;
    charset)
        local hints=("text/html; charset=gbk\nhttps://news.example.cn/a\n"
            "\nhttps://example.jp/\n" "text/xml; charset=utf-8\n\n" "application/rss+xml\nhttps://example.ru/\n")
        for f in "$root"/config/demo/* $( [ -d "$seeds/gne" ] && find "$seeds/gne" -type f -size -64k | head -n 40); do
            { printf "${hints[$((n % 4))]}"; cat "$f"; } >"$dir/seed-$n"
            n=$((n + 1))
        done ;;
    extract)
        if [ -d "$seeds" ]; then
            find "$seeds/readability" "$seeds/gne" -type f \( -name '*.html' -o -name '*.htm' \) -size -256k 2>/dev/null |
                head -n 400 | while read -r f; do cp "$f" "$dir/seed-$(basename "$(dirname "$f")")-$(basename "$f")"; done
        fi
        printf '<html><head><title>t</title></head><body><article><p>正文</p></article></body></html>' >"$dir/seed-min" ;;
    config)
        cp "$root"/config/*.toml "$dir/" ;;
    dedup_jsonl)
        printf '%s\n' '{"id":"a","title":"(聚焦疫情防控)人力资源社会保障部:切实关心激励表彰疫情防控人员","text":"正文正文正文正文"}' \
            '{"id":2,"title":"x","html":"<p>a b c</p>","url":"https://A.example.org/1#top","published":"2026-01-01T00:00:00Z"}' \
            '{"id":"b","title":"人力资源社会保障部:切实关心激励表彰疫情防控人员","text":"正文正文正文正文"}' >"$dir/seed-0" ;;
    feed_body)
        # First byte: how many times the rest repeats (x256); fragments that
        # open and never close, or misnest, in every way the pre-scan models.
        local frags=('<div>' '<address><p>x' '<span><div></span>' '<li><section>' '<a><div></a>'
            '<table><tr><td>' '<svg><g><div/>' '<svg><font color=red><section/>' '<p><b class=x>t'
            '<li><ul></li>' '<span></body>' '<dl><dd><dl><dt>' '&amp;LT;img src=x onerror=alert(1)&amp;GT;'
            '<title>&lt;script&gt;</title>' '<script><div><div></script><div>' '<!--<div>--><div>')
        for f in "${frags[@]}"; do
            { printf "\\x$(printf %02x $((n * 17 % 256)))"; printf '%s' "$f"; } >"$dir/seed-$n"
            n=$((n + 1))
        done ;;
    esac
}

for target in "${targets[@]}"; do
    seed "$target"
    # Bounded inputs: the extractor's limits are about elements, not bytes.
    # Charset detection costs per byte and reads declarations from the
    # first 2 KiB, so short inputs give it many more runs per second.
    case $target in
    charset) max_len=4096 ;;
    config | dedup_jsonl) max_len=16384 ;;
    *) max_len=65536 ;;
    esac
    mkdir -p "$root/fuzz/artifacts/$target"
    echo "== $target: ${seconds}s"
    log=$root/fuzz/artifacts/$target/run.log
    # One in-process fuzzer (no -jobs: that forks and hides the output);
    # -timeout, -rss_limit_mb: a hang or memory blow-up is a finding too.
    status=0
    nice -n "$nice_level" cargo fuzz run -s "$sanitizer" --release --debug-assertions "$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
        -print_final_stats=1 ${runs:+"$runs"} >"$log" 2>&1 || status=$?
    grep -E '^(stat::|Done |#[0-9]+[[:space:]]+(INITED|DONE))|SUMMARY|panicked at|Test unit written' "$log" || true
    [ "$status" -eq 0 ] || echo "!! $target stopped with status $status; full log: $log"
done
