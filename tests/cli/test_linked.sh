#!/usr/bin/env bash
# The libraries each program loads, linked the ordinary way (`ldd`, nothing opened later with
# dlopen): crmkit lists libopenblas and (where the build has it) libsvm, and neither
# libmicrohttpd, SQLite nor Open MPI, which only crmkit-serve (serve, load, demo) and
# crmkit-mpi (every command under mpirun) load. crmkit runs those two in its own place
# (execv), and says so with exit 69 when one is missing.
set -u
CRMKIT=${CRMKIT:-./build/crmkit}
BIN=${CRM_BINARY_DIR:-$(dirname "$CRMKIT")}
DIR=$(dirname "$CRMKIT")
if ! command -v ldd >/dev/null 2>&1; then
    echo "skipped: ldd is absent"
    exit 0
fi
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
have() { grep -q "#define CRM_HAVE_$1 1" "$BIN/include/crmkit/config.h"; }
libs_of() { # libs_of PROGRAM: its ldd output, or fails
    ldd "$1" || { fail "ldd $1 failed"; return 1; }
}
lists() { # lists NAME LIBS PATTERN: LIBS has a resolved library PATTERN
    echo "$2" | grep -q "$3[^ ]* => /" || fail "$1: ldd lists no $3"
}
lacks() { # lacks NAME LIBS PATTERN
    echo "$2" | grep -q "$3" && fail "$1 loads $3: $(echo "$2" | grep "$3" | tr -s ' \t' ' ')"
}
check_common() { # check_common NAME LIBS PROGRAM
    lists "$1" "$2" libopenblas
    if have LIBSVM; then
        lists "$1" "$2" libsvm
    else
        lacks "$1" "$2" libsvm
    fi
    echo "$2" | grep -q 'not found' && fail "$1: a library is not found: $2"
    if command -v nm >/dev/null 2>&1; then
        nm -D --undefined-only "$3" | grep -qw dlopen && fail "$1 calls dlopen"
    fi
}

libs=$(libs_of "$CRMKIT") || exit 1
check_common crmkit "$libs" "$CRMKIT"
for l in libmicrohttpd libgnutls libsqlite3 libmpi libopen-pal libhwloc libpq; do
    lacks crmkit "$libs" $l
done

serve=$DIR/crmkit-serve
if [ -x "$serve" ]; then
    libs=$(libs_of "$serve") && check_common crmkit-serve "$libs" "$serve"
    have SERVER && lists crmkit-serve "$libs" libmicrohttpd
    have SQLITE && lists crmkit-serve "$libs" libsqlite3
    lacks crmkit-serve "$libs" libmpi
else
    fail "crmkit-serve was not built beside crmkit"
fi

mpi=$DIR/crmkit-mpi
if have MPI; then
    if [ -x "$mpi" ]; then
        libs=$(libs_of "$mpi") && check_common crmkit-mpi "$libs" "$mpi"
        lists crmkit-mpi "$libs" libmpi
        lacks crmkit-mpi "$libs" libmicrohttpd
        lacks crmkit-mpi "$libs" libsqlite3
    else
        fail "crmkit-mpi was not built beside crmkit"
    fi
elif [ -e "$mpi" ]; then
    fail "a build without MPI has a crmkit-mpi"
fi

# crmkit hands serve, load and demo to crmkit-serve (the same process: exec); a crmkit alone
# in a folder says which program is missing, exit 69, instead of failing some other way.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$("$CRMKIT" serve --help 2>&1)
code=$?
[ $code = 0 ] && echo "$out" | grep -q '^usage: crmkit serve' || fail "crmkit serve --help: exit $code: $out"
cp "$CRMKIT" "$DIR/libcrmkit-waitpolicy.so" "$tmp/" # its library beside it, as in the build folder
for cmd in serve load demo; do
    "$tmp/crmkit" $cmd --help >"$tmp/out" 2>"$tmp/err"
    code=$?
    if [ $code != 69 ]; then
        fail "$cmd without crmkit-serve: exit $code, want 69: $(cat "$tmp/err")"
    elif ! grep -q "^crmkit $cmd: .*crmkit-serve.*not installed" "$tmp/err"; then
        fail "$cmd without crmkit-serve: message: $(cat "$tmp/err")"
    fi
    [ -s "$tmp/out" ] && fail "$cmd without crmkit-serve printed on standard output"
done
"$tmp/crmkit" --version | grep -q '^crmkit ' || fail "crmkit alone: --version"
# No program or library searches the working folder for libraries: an empty RUNPATH entry
# means the current directory to the loader (CMake pads the build tree's RUNPATH with one unless
# CMAKE_NO_BUILTIN_CHRPATH is set), so a file named libz.so.1 there stopped every command.
if command -v readelf >/dev/null 2>&1; then
    for f in "$CRMKIT" "$serve" "$mpi" "$BIN"/libcrmkit.so "$BIN"/libcrmkit-waitpolicy.so; do
        [ -e "$f" ] || continue
        path=$(readelf -d "$f" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]$/\2/p')
        case ":$path:" in
        *::*) [ -n "$path" ] && fail "$f: RUNPATH has an empty entry (the working folder): $path" ;;
        esac
    done
fi
mkdir "$tmp/cwd"
echo "not a library" >"$tmp/cwd/libz.so.1"
echo "not a library" >"$tmp/cwd/libopenblas.so.0"
crm_abs=$(cd "$(dirname "$CRMKIT")" && pwd)/$(basename "$CRMKIT")
(cd "$tmp/cwd" && "$crm_abs" --version >/dev/null 2>"$tmp/err") ||
    fail "crmkit run in a folder holding a file libz.so.1: $(cat "$tmp/err")"
# the exit status and standard streams of crmkit-serve are crmkit's
echo "id,x" | "$CRMKIT" load - -o "$tmp/s.db" >/dev/null 2>"$tmp/err"
code=$?
if have SQLITE; then
    [ $code = 65 ] || fail "load of a bad table through crmkit-serve: exit $code: $(cat "$tmp/err")"
    grep -q '^crmkit load: ' "$tmp/err" || fail "load's error is not crmkit load's: $(cat "$tmp/err")"
fi
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "linked ok"
