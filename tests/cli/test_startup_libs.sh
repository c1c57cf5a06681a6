#!/usr/bin/env bash
# crmkit opens its heavy optional libraries with dlopen when a command needs them, so that
# every other command starts without loading them: OpenBLAS (first matrix product), LIBSVM
# (first SVM), libmicrohttpd with GnuTLS (serve), SQLite (load, serve) and the MPI library
# (under mpirun). Linked, they cost about 13 ms of CPU at every start (bench/regress.sh:
# `crmkit --version` 18.4 ms against 6.6 ms). This test fails when one of them becomes a
# NEEDED entry of the binary again.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
if ! command -v readelf >/dev/null 2>&1; then
    echo "SKIP: readelf not found (Debian: binutils)"
    exit 0
fi
needed=$(readelf -d "$CRMKIT" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || {
    echo "FAIL: no NEEDED entries read from $CRMKIT"
    exit 1
}
fail=0
for lib in libopenblas libsvm libmicrohttpd libgnutls libsqlite3 libmpi libstdc++; do
    if printf '%s\n' "$needed" | grep -q "^$lib\."; then
        echo "FAIL: $CRMKIT links $lib at start (open it with dlopen where it is used)"
        fail=1
    fi
done
[ $fail -eq 0 ] && echo "ok: $(printf '%s\n' "$needed" | tr '\n' ' ')"
exit $fail
