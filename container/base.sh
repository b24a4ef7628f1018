#!/usr/bin/env bash
# The local base image, for machines that cannot pull from Docker's registry: a minimal Debian
# bookworm (its python3 is 3.11) made by debootstrap from Debian's own mirror and imported into
# podman as $BASE. Skipped when podman already has it. Needs root (debootstrap does).
set -euo pipefail
BASE=${BASE:-localhost/revue-base:bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if podman image exists "$BASE"; then
    echo "base image $BASE: already there"
    exit 0
fi
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null || {
        echo "$tool is missing: apt-get install podman runc debootstrap"
        exit 1
    }
done
root=$(mktemp -d /var/tmp/revue-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base image $BASE: debootstrap bookworm from $MIRROR (a few minutes)"
# Debian's archive key checks what comes over plain http (debootstrap would go on without it).
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || {
    echo "$keyring is missing: apt-get install debian-archive-keyring"
    exit 1
}
debootstrap --keyring="$keyring" --variant=minbase bookworm "$root" "$MIRROR" >"$root.log" 2>&1 || {
    tail -20 "$root.log"
    exit 1
}
rm -f "$root.log"
# what apt leaves behind is not part of an image
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
echo "base image $BASE: imported ($(podman image inspect "$BASE" --format '{{.Size}}') bytes)"
