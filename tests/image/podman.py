"""Containers of the image under test, run as this kind of machine allows: podman with the runc
runtime (crun fails on its cgroups) and limits it can grant (it cannot raise nofile or nproc)."""

from __future__ import annotations

import socket
import subprocess
import uuid
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fake_discord import FakeDiscord

RUN = ["--runtime", "runc", "run", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


class PodmanFailed(AssertionError):
    """A podman command failed; the message has its output."""


def podman(*args: str, timeout: float = 900) -> str:
    """``podman ARGS``' standard output; ``PodmanFailed`` with its error output otherwise."""
    done = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise PodmanFailed(f"podman {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def revue(image: str, *command: str, volume: str | None = None, **how: str) -> str:
    """A one-off container, with no network at all unless ``network="host"``: ``revue COMMAND``
    (or ``COMMAND`` with another ``entrypoint``, "" for none; as ``user``), /data on ``volume``
    and /data/feeds on ``feeds``; what it printed."""
    options = ["--rm", "--network", how.get("network", "none"), "--no-healthcheck"]
    if volume:
        options += ["--volume", f"{volume}:/data"]
    if "feeds" in how:
        options += ["--volume", f"{how['feeds']}:/data/feeds"]
    if "entrypoint" in how:
        options += ["--entrypoint", how["entrypoint"]]
    if "user" in how:
        options += ["--user", how["user"]]
    return podman(*RUN, *options, image, *command)


def bot_env(fake: FakeDiscord, metrics_port: int, **more: str) -> dict[str, str]:
    """What a containerised bot needs to reach ``fake`` on the host's loopback and serve its
    metrics there, and ``more`` (REVUE_… settings)."""
    return {
        "DISCORD_TOKEN": "fake-token",
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "REVUE_METRICS_PORT": str(metrics_port),
        "REVUE_METRICS_HOST": "127.0.0.1",
        **more,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Container:
    """``revue bot`` in a detached container on the host's network (to reach the fake Discord
    on loopback), removed on exit; its log is printed then, for a failing test's report."""

    def __init__(self, image: str, volume: str, env: dict[str, str]) -> None:
        self.name = f"revue-test-{uuid.uuid4().hex[:8]}"
        self.args = [*RUN, "--detach", "--name", self.name, "--network", "host"]
        self.args += ["--volume", f"{volume}:/data"]
        for key, value in env.items():
            self.args += ["--env", f"{key}={value}"]
        self.args.append(image)

    def __enter__(self) -> Container:
        podman(*self.args)
        return self

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", "exec", self.name, *command], capture_output=True, text=True, check=False
        )

    def stop(self) -> int:
        """``docker stop``: SIGTERM, then SIGKILL after 10 s; the exit code."""
        podman("stop", "--time", "10", self.name)
        return int(podman("inspect", self.name, "--format", "{{.State.ExitCode}}").strip())

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        logs = subprocess.run(["podman", "logs", self.name], capture_output=True, text=True)
        print(f"--- podman logs {self.name}\n{logs.stdout}{logs.stderr}")
        subprocess.run(["podman", "rm", "--force", self.name], capture_output=True, check=False)
