#!/usr/bin/env bash
# Static checks: clang-format (dry run), cppcheck, and clang-tidy over the library sources.
# Usage: scripts/check.sh [--tidy]   (clang-tidy is slow; it runs only with --tidy)
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
files=$(git ls-files '*.c' '*.h')
echo "check: clang-format"
clang-format --dry-run --Werror $files || status=1
echo "check: cppcheck"
cppcheck --quiet -j "$(nproc)" --error-exitcode=1 --enable=warning,portability --inline-suppr \
    --suppress=missingIncludeSystem -I include -I src src tools || status=1
if [ "${1:-}" = "--tidy" ]; then
    [ -f build/compile_commands.json ] || cmake -S . -B build >/dev/null
    echo "check: clang-tidy"
    clang-tidy -p build --quiet $(git ls-files 'src/*.c') || status=1
fi
exit $status
