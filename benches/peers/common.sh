# common.sh — helpers the peer comparison scripts share; sourced, not run.
#
# Expects CARGO_LOCK to be set (empty: no lock). Defines:
#   cargo_locked ARGS...        cargo under `flock $CARGO_LOCK` when flock exists, so a
#                               comparison queues behind other builds on a shared machine
#   field PREFIX KEY            the value of KEY= on the first stdin line starting "PREFIX "
#   run_one PREFIX RATE CMD...  runs CMD, echoes its output to stderr, checks it printed a
#                               `PREFIX ... RATE=` line, and prints the output
#   median                      the median of the numbers on stdin, one per line

cargo_locked() {
    if [[ -n "$CARGO_LOCK" ]] && command -v flock >/dev/null 2>&1; then
        flock "$CARGO_LOCK" cargo "$@"
    else
        cargo "$@"
    fi
}

field() {
    local prefix=$1 key=$2
    awk -v p="$prefix" -v k="$key" '
        index($0, p " ") == 1 {
            for (i = 2; i <= NF; i++)
                if (index($i, k "=") == 1) { print substr($i, length(k) + 2); found = 1; exit }
        }
        END { if (!found) exit 1 }'
}

run_one() {
    local prefix=$1 rate=$2; shift 2
    local out
    echo "+ $*" >&2
    if ! out=$("$@"); then
        echo "error: $prefix run failed" >&2
        exit 1
    fi
    printf '%s\n' "$out" >&2
    if ! field "$prefix" "$rate" <<<"$out" >/dev/null; then
        echo "error: no '$prefix ... $rate=...' line in the $prefix output" >&2
        exit 1
    fi
    printf '%s\n' "$out"
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
