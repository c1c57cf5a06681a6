#!/usr/bin/env bash
# `make install` layout: library, headers, CLI and crmkit.pc; a program builds against it
# with pkg-config alone.
set -euo pipefail
src=${CRM_SOURCE_DIR:?}
bin=${CRM_BINARY_DIR:?}
if grep -q '^CRM_SANITIZE:BOOL=ON' "$bin/CMakeCache.txt"; then
    echo "skipped: sanitizer build (the installed library would need the sanitizer runtime)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$bin" --prefix "$tmp/prefix" > "$tmp/install.log"
libdir=$(ls -d "$tmp"/prefix/lib*/ | head -1)
for f in "$tmp/prefix/bin/crmkit" "$tmp/prefix/include/crmkit/crmkit.h" \
         "$tmp/prefix/include/crmkit/config.h" "$libdir/libcrmkit.a" \
         "$libdir/pkgconfig/crmkit.pc"; do
    [ -e "$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
ls "$libdir"/libcrmkit.so* > /dev/null || { echo "FAIL: shared library not installed"; exit 1; }
cat > "$tmp/use.c" <<'C'
#include <crmkit/crmkit.h>
#include <stdio.h>
int main(void)
{
    crm_matrix m;
    crm_error err;
    if (crm_matrix_init(&m, 3, 2, &err) != CRM_OK) return 1;
    crm_matrix_fini(&m);
    printf("%s\n", crm_status_name(CRM_EPARSE));
    return 0;
}
C
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 "$tmp/use.c" -o "$tmp/use" $(pkg-config --cflags crmkit) \
    -L"$libdir" -Wl,-rpath,"$libdir" -lcrmkit
out=$("$tmp/use")
[ "$out" = "CRM_EPARSE" ] || { echo "FAIL: program printed '$out'"; exit 1; }
"$tmp/prefix/bin/crmkit" --version | grep -q '^crmkit ' || { echo "FAIL: installed CLI"; exit 1; }
# The installed program finds libcrmkit-waitpolicy.so beside its library and libgomp gets
# sleeping waiters (GOMP_SPINCOUNT 0 in libgomp's own report) with nothing set.
spin=$(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT OMP_DISPLAY_ENV=verbose "$tmp/prefix/bin/crmkit" \
    --version 2>&1 | sed -n "s/.*GOMP_SPINCOUNT = '\(.*\)'/\1/p")
if ldd "$tmp/prefix/bin/crmkit" 2>/dev/null | grep -q libgomp; then
    [ "$spin" = 0 ] || { echo "FAIL: installed CLI: waiting threads spin ($spin)"; exit 1; }
fi
# crmkit runs serve, load and demo in crmkit-serve and, under mpirun, every command in
# crmkit-mpi: both installed in libexec/crmkit, found from the installed crmkit's own place.
[ -x "$tmp/prefix/libexec/crmkit/crmkit-serve" ] || { echo "FAIL: crmkit-serve not installed"; exit 1; }
"$tmp/prefix/bin/crmkit" serve --help | grep -q '^usage: crmkit serve' ||
    { echo "FAIL: installed crmkit serve --help"; exit 1; }
if grep -q "define CRM_HAVE_MPI 1" "$bin/include/crmkit/config.h"; then
    [ -x "$tmp/prefix/libexec/crmkit/crmkit-mpi" ] || { echo "FAIL: crmkit-mpi not installed"; exit 1; }
    if command -v mpirun >/dev/null 2>&1; then
        "$tmp/prefix/bin/crmkit" gen customers --rows 2000 --seed 3 -o "$tmp/c.csv" --quiet
        timeout 120 mpirun --oversubscribe --allow-run-as-root --mca btl self,vader -np 2 \
            "$tmp/prefix/bin/crmkit" segment "$tmp/c.csv" --k 3 -o "$tmp/m.crmk" --quiet --json \
            >"$tmp/seg.json" || { echo "FAIL: installed crmkit under mpirun"; exit 1; }
        # two cooperating ranks (crmkit-mpi): only rank 0 prints its summary
        [ "$(grep -c '"k":3' "$tmp/seg.json")" = 1 ] ||
            { echo "FAIL: installed crmkit under mpirun: $(cat "$tmp/seg.json")"; exit 1; }
    fi
fi
echo "install ok"
