#!/usr/bin/env bash
# Rebuild examples/hello.tar: the files in examples/hello/ imported as a one-layer image with
# `dockyard import`, then saved with `dockyard save`. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")"
store=$(mktemp -d)
trap 'rm -rf "$store" hello-rootfs.tar' EXIT
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C hello -cf hello-rootfs.tar .
dockyard --root "$store" import -q \
    -c 'CMD ["cat", "/hello.txt"]' -c 'LABEL org.opencontainers.image.title=hello' \
    -m "dockyard example image" hello-rootfs.tar dockyard/hello:latest
dockyard --root "$store" save -q -o hello.tar dockyard/hello:latest
