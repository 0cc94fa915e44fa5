#!/usr/bin/env bash
# Record a fresh oracle: real Docker builds and saves the test images, then says what it
# makes of each archive. The result has the file set of the shared oracle's version
# directories (see the oracle's README.md):
#
#   base.tar app.tar scratch.tar untagged.tar multi.tar   what `docker save` wrote
#   app-oci.tar                                            skopeo's oci-archive (if installed)
#   expected.json          inspect + history of every image in the building daemon
#   <name>.load.json       load exit code and output, images, inspect, history, after
#                          `docker load` of <name>.tar into a fresh daemon
#   docker-root-image.tar  the daemon's own image store (`image/` of its data root)
#   SHA256SUMS             of the archives
#
# Usage: scripts/record-oracle.sh OUTDIR [DOCKERD] [DOCKER]
#   e.g. scripts/record-oracle.sh /tmp/oracle/docker-20.10 dockerd /usr/bin/docker
# Then point the tests at it: DOCKYARD_ORACLE=/tmp/oracle pytest
#
# Needs root, Debian's docker.io (dockerd + client), busybox-static, python3; skopeo for
# app-oci.tar. Every daemon is private: vfs storage, its own data root, exec root, pidfile
# and unix socket, no iptables, no bridge; each is stopped and removed when done.
set -euo pipefail

OUT=${1:?usage: record-oracle.sh OUTDIR [DOCKERD] [DOCKER]}
DOCKERD=${2:-dockerd}
DOCKER=${3:-/usr/bin/docker}
export PATH="$PATH:/usr/sbin:/sbin" TZ=UTC
for tool in "$DOCKERD" "$DOCKER" busybox python3 sha256sum; do
  if ! command -v "$tool" >/dev/null; then
    echo "record-oracle.sh: $tool is missing (apt-get install docker.io busybox-static)" >&2
    exit 1
  fi
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/record-oracle.XXXXXX)
DAEMON_PID=
cleanup() {
  stop_daemon
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_daemon DIR: a private dockerd whose state lives in DIR; DOCKER_HOST points at it.
start_daemon() {
  local dir=$1
  mkdir -p "$dir"
  export DOCKER_HOST="unix://$dir/d.sock"
  "$DOCKERD" --data-root "$dir/root" --exec-root "$dir/exec" --pidfile "$dir/d.pid" \
    --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
    --host "$DOCKER_HOST" >"$dir/dockerd.log" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 120); do
    "$DOCKER" info >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  echo "dockerd did not start; its log:" >&2
  tail -20 "$dir/dockerd.log" >&2
  return 1
}

stop_daemon() {
  if [ -n "$DAEMON_PID" ]; then
    kill "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=
  fi
}

# --- build the images -------------------------------------------------------------------
BUILD=$WORK/build
start_daemon "$BUILD"

ROOTFS=$WORK/rootfs
mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/root"
cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
for applet in sh true ls rm mkdir ln echo cat dd chmod touch mv cp; do
  ln -s busybox "$ROOTFS/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOTFS/etc/passwd"
tar -C "$ROOTFS" --numeric-owner -cf "$WORK/rootfs.tar" .
"$DOCKER" import -c 'CMD ["/bin/sh"]' "$WORK/rootfs.tar" oracle/base:1 >/dev/null
"$DOCKER" tag oracle/base:1 oracle/base:latest

CONTEXT=$WORK/context
mkdir -p "$CONTEXT"
head -c 3000000 /dev/urandom >"$CONTEXT/random.bin"
printf 'x%.0s' $(seq 1 200) >"$CONTEXT/long"
cat >"$CONTEXT/app.Dockerfile" <<'EOF'
FROM oracle/base:1
LABEL org.example.role=app
ENV APP_HOME=/srv/app PATH=/bin
WORKDIR /srv/app
COPY random.bin /srv/app/data/random.bin
RUN mkdir -p /srv/app/cfg/sub && echo one > /srv/app/cfg/a && echo two > /srv/app/cfg/sub/b \
 && ln -s /srv/app/cfg/a /srv/app/link && ln /srv/app/cfg/a /srv/app/hard \
 && mkdir -p "/srv/app/$(printf 'd%.0s' $(seq 1 120))" && echo deep > "/srv/app/$(printf 'd%.0s' $(seq 1 120))/f" \
 && echo 'ünïcødé' > "/srv/app/ünï.txt" && chmod 4755 /srv/app/cfg/a
RUN rm /etc/passwd && rm -rf /srv/app/cfg/sub && mkdir /srv/app/cfg/sub && echo fresh > /srv/app/cfg/sub/c
EXPOSE 8080/tcp
USER 0:0
VOLUME /srv/app/state
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo hi"]
HEALTHCHECK --interval=5s CMD ["/bin/true"]
STOPSIGNAL SIGTERM
EOF
"$DOCKER" build -q -f "$CONTEXT/app.Dockerfile" -t oracle/app:1 -t oracle/app:latest \
  -t registry.example.com:5000/team/app:v1 "$CONTEXT" >/dev/null

printf 'FROM scratch\nCOPY long /long\nENV ONLY=scratch\n' >"$CONTEXT/scratch.Dockerfile"
"$DOCKER" build -q -f "$CONTEXT/scratch.Dockerfile" -t oracle/scratch:1 "$CONTEXT" >/dev/null

printf 'FROM oracle/app:1\nRUN echo grand > /srv/app/grand && rm /srv/app/data/random.bin\n' \
  >"$CONTEXT/grand.Dockerfile"
"$DOCKER" build -q -f "$CONTEXT/grand.Dockerfile" -t oracle/grand:1 "$CONTEXT" >/dev/null

UNTAGGED=$(printf 'FROM oracle/base:1\nENV UNTAGGED=1\n' | "$DOCKER" build -q -)

# --- save them ----------------------------------------------------------------------------
"$DOCKER" save -o "$OUT/base.tar" oracle/base:1
"$DOCKER" save -o "$OUT/app.tar" oracle/app:1
"$DOCKER" save -o "$OUT/scratch.tar" oracle/scratch:1
"$DOCKER" save -o "$OUT/untagged.tar" "$UNTAGGED"
"$DOCKER" save -o "$OUT/multi.tar" oracle/base:1 oracle/app:latest oracle/scratch:1 oracle/grand:1
if command -v skopeo >/dev/null; then
  skopeo copy -q "docker-archive:$OUT/app.tar" "oci-archive:$OUT/app-oci.tar:oracle/app:1"
fi

# describe DAEMON_JSON_OUT EXTRA...: inspect and history of every image of the daemon.
describe() {
  python3 - "$DOCKER" "$@" <<'PY'
import json
import subprocess
import sys

docker, out, *extra = sys.argv[1:]


def run(*args):
    return subprocess.run([docker, *args], check=True, capture_output=True, text=True).stdout


ids = sorted(set(run("images", "-aq", "--no-trunc").split()))
inspect = json.loads(run("image", "inspect", *ids)) if ids else []
history = {
    i: [json.loads(line) for line in run("history", "--no-trunc", "--format", "{{json .}}", i)
        .splitlines()]
    for i in ids
}
record = {"inspect": inspect, "history": history}
if extra and extra[0] == "--untagged":
    record["untagged"] = extra[1]
if extra and extra[0] == "--load":
    code, output = int(extra[1]), extra[2]
    images = [json.loads(line) for line in
              run("images", "-a", "--no-trunc", "--format", "{{json .}}").splitlines()]
    record = {"load_exit_code": code, "load_output": output, "images": images, **record}
with open(out, "w") as handle:
    json.dump(record, handle, indent=1)
PY
}

describe "$OUT/expected.json" --untagged "$UNTAGGED"
tar -C "$BUILD/root" -cf "$OUT/docker-root-image.tar" image
stop_daemon

# --- what a fresh daemon makes of each archive ------------------------------------------
for archive in "$OUT"/*.tar; do
  name=$(basename "$archive" .tar)
  [ "$name" = docker-root-image ] && continue
  fresh=$WORK/load-$name
  start_daemon "$fresh"
  set +e
  output=$("$DOCKER" load -i "$archive" 2>&1)
  code=$?
  set -e
  output=${output//"$fresh/root"//var/lib/docker}
  describe "$OUT/$name.load.json" --load "$code" "$output"
  stop_daemon
  echo "$name: docker load exit $code"
done

(cd "$OUT" && sha256sum -- *.tar >SHA256SUMS)
echo "oracle recorded in $OUT"
