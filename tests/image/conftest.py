"""Fixtures of the image tests: the image (built by ``make image``) and a fresh /data volume."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest

from tests.image.podman import PodmanFailed, podman


@pytest.fixture(scope="session")
def image() -> str:
    name = os.environ.get("REVUE_IMAGE", "revue")
    if shutil.which("podman") is None:
        pytest.fail("podman is missing: apt-get install podman runc debootstrap (README)")
    try:
        podman("image", "inspect", name, "--format", "{{.Id}}")
    except PodmanFailed:
        pytest.fail(f"no image {name!r}: `make image` builds it (make image-test does both)")
    return name


@pytest.fixture
def volume() -> Iterator[str]:
    name = f"revue-test-{uuid.uuid4().hex[:8]}"
    podman("volume", "create", name)
    yield name
    podman("volume", "rm", "--force", name)
