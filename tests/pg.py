"""A real PostgreSQL with pgvector for the tests and benchmarks, on a TCP port of 127.0.0.1.

The server is the one the ``pgserver`` package ships (PostgreSQL 16.2, pgvector 0.6.2, pinned in
``pyproject.toml``), started here with its own ``initdb`` and ``pg_ctl`` in a temporary
directory: no Docker and no system service. ``pgserver.get_server`` itself listens only on a
Unix socket, and the bots of the multi-process test reach the database over TCP, as bots on
other machines would.

PostgreSQL refuses to run as root: as root (CI's containers), the server runs as the
unprivileged ``pgserver`` user that package creates for the same reason.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

SYSTEM_USER = "pgserver"


def _bin(name: str) -> str:
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class TemporaryPostgres:
    """One server in a temporary directory; ``database()`` gives each test an empty database."""

    directory: Path
    port: int
    user: str | None

    @classmethod
    def start(cls) -> TemporaryPostgres:
        directory = Path(tempfile.mkdtemp(prefix="revue-pg-"))
        user = None
        if os.geteuid() == 0:
            from pgserver._commands import POSTGRES_BIN_PATH
            from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

            ensure_user_exists(SYSTEM_USER)
            user = SYSTEM_USER
            shutil.chown(directory, user)
            # The server's user must reach the binaries in the virtual environment, which may
            # lie under a private folder (a clone in /root): its parents get o+rx, as
            # pgserver's own launcher does.
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
        server = cls(directory, _free_port(), user)
        # pg_ctl starts a daemon: stop it when this process exits, even on Ctrl-C mid-session
        # (a second ``remove`` finds it stopped and the folder gone).
        atexit.register(server.remove)
        server._run(
            _bin("initdb"), "-D", str(server.pgdata), "-U", "postgres",
            "--auth=trust", "--encoding=utf8", "--no-sync",
        )  # fmt: skip
        server.restart()
        return server

    @property
    def pgdata(self) -> Path:
        return self.directory / "pgdata"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """The URL of a new, empty database of this server."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"create database {name}")
        return self.url(name)

    def stop(self, mode: str = "fast") -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-m", mode, "stop", check=False)

    def restart(self) -> None:
        """Start (again after ``stop``: the same port and data)."""
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.directory} "
            # A test server: durability is not what is tested, speed is wanted.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            _bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "60",
            "-l", str(self.directory / "log"), "-o", options, "start",
        )  # fmt: skip

    def remove(self) -> None:
        """Stop the server and delete its folder (once: the exit hook finds nothing left)."""
        atexit.unregister(self.remove)
        if not self.directory.exists():
            return
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, *argv: str, check: bool = True) -> None:
        done = subprocess.run(
            argv, user=self.user, capture_output=True, text=True, timeout=120, cwd=self.directory
        )
        if check and done.returncode != 0:
            log = self.directory / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed: {done.stderr.strip()}\n{tail}")
