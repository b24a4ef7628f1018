#!/usr/bin/env bash
# `make image`: the image from the Dockerfile, with podman. Where Docker's registry cannot be
# reached (IMAGE_BASE unset), on the local Debian base that container/base.sh makes; PyTorch's
# CPU build from /opt/wheels when a wheel of it lies there, else from PyTorch's own index.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-revue}
if [ -z "${IMAGE_BASE:-}" ]; then
    IMAGE_BASE=localhost/revue-base:bookworm
    BASE=$IMAGE_BASE container/base.sh
fi
args=(--build-arg "BASE=$IMAGE_BASE")
wheels=${TORCH_WHEELS:-/opt/wheels}
if compgen -G "$wheels/torch-2.13.0+cpu-*.whl" >/dev/null; then
    args+=(--volume "$wheels:/wheels:ro" --build-arg "TORCH_FROM=--find-links /wheels")
fi
# A proxy that re-signs TLS is trusted through the host's bundle, during the build only.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    args+=(--volume /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro
        --build-arg PIP_CERT=/run/host-ca.crt)
fi
# chroot isolation and the host's network: what builds inside this kind of sandbox (no nested
# namespaces for networking); the docker format keeps the HEALTHCHECK (OCI images have none).
# BUILD_ARGS: more options, e.g. --no-cache
podman build --isolation chroot --network host --format docker "${args[@]}" ${BUILD_ARGS:-} \
    -t "$IMAGE" .
# No prune here: the build stage's image is untagged, and pruning it loses the cache (each
# build then installed the dependencies again: 3.5 min instead of seconds for a code change).
# `podman image prune` frees the disk of earlier builds when wanted.
