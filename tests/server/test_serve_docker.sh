#!/usr/bin/env bash
# The Dockerfile: build the image and score through `docker run -p PORT:3330` where docker or
# podman works on this machine; skip with the reason where neither does.
set -u
. "$(dirname "$0")/lib.sh"
ENGINE=""
for e in docker podman; do
    if command -v $e >/dev/null 2>&1 && timeout 20 $e info >/dev/null 2>&1; then ENGINE=$e; break; fi
done
[ -n "$ENGINE" ] || { echo "SKIP: neither docker nor podman can run containers here"; exit 0; }
SRC=${CRM_SOURCE_DIR:-.}
tag=crmkit-serve-test:$$
name=crmkit-serve-test-$$
trap '$ENGINE rm -f "$name" >/dev/null 2>&1; $ENGINE rmi -f "$tag" >/dev/null 2>&1' EXIT
timeout 1200 $ENGINE build -q -t "$tag" "$SRC" >/dev/null || { fail "image build"; exit 1; }
echo "ok: image built"
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$ENGINE run -d --name "$name" -p "127.0.0.1:$PORT:3330" "$tag" >/dev/null || { fail "docker run"; exit 1; }
wait_ready && echo "ok: the container is ready"
curl -s "http://127.0.0.1:$PORT/model/artifacts/protobuf" >/tmp/$name.proto
grep -q "message DataFrame" /tmp/$name.proto && echo "ok: .proto served" || fail "no .proto"
rm -f /tmp/$name.proto
$ENGINE stop -t 20 "$name" >/dev/null
check "docker stop drains and exits 0" 0 "$($ENGINE inspect -f '{{.State.ExitCode}}' "$name")"
[ $fails -eq 0 ] || exit 1
echo "all ok"
