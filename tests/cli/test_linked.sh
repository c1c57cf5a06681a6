#!/usr/bin/env bash
# OpenBLAS and (where the build has it) LIBSVM are linked the ordinary way: the program's
# `ldd` lists libopenblas and libsvm, and nothing is opened later with dlopen.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
BIN=${CRM_BINARY_DIR:-$(dirname "$CRMKIT")}
if ! command -v ldd >/dev/null 2>&1; then
    echo "skipped: ldd is absent"
    exit 0
fi
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
libs=$(ldd "$CRMKIT") || { echo "FAIL: ldd $CRMKIT failed"; exit 1; }
echo "$libs" | grep -q 'libopenblas[^ ]* => /' || fail "ldd lists no libopenblas: $libs"
if grep -q '#define CRM_HAVE_LIBSVM 1' "$BIN/include/crmkit/config.h"; then
    echo "$libs" | grep -q 'libsvm[^ ]* => /' || fail "ldd lists no libsvm: $libs"
else
    echo "$libs" | grep -q 'libsvm' && fail "a build without LIBSVM needs it: $libs"
fi
echo "$libs" | grep -q 'not found' && fail "a library is not found: $libs"
# Nothing opens them later: no dlopen among the program's undefined symbols.
if command -v nm >/dev/null 2>&1; then
    nm -D --undefined-only "$CRMKIT" | grep -qw dlopen && fail "the program still calls dlopen"
fi
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "linked ok"
