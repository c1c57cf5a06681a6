#!/usr/bin/env bash
# Every public header compiles alone, as C11, with strict warnings.
set -euo pipefail
src=${CRM_SOURCE_DIR:?}
bin=${CRM_BINARY_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for h in "$src"/include/crmkit/*.h; do
    name=$(basename "$h")
    printf "#include <crmkit/%s>\n#include <crmkit/%s>\nint crm_header_check;\n" "$name" "$name" > "$tmp/t.c"
    if ! cc -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I "$src/include" \
        -I "$bin/include" "$tmp/t.c" 2> "$tmp/err"; then
        echo "FAIL: crmkit/$name does not compile alone:"; cat "$tmp/err"; fail=1
    fi
    n=$((n + 1))
done
echo "$n headers checked"
exit $fail
