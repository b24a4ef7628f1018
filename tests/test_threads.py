"""REVUE_THREADS: several bot processes on one machine share its cores instead of each
starting a thread per core (docs/benchmarks.md, "Processes asking at once")."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROBE = """
import torch
from index.models import Models
from index.settings import Settings
Models(Settings()).embedder.encode_queries(["test"])
print(torch.get_num_threads())
"""


@pytest.mark.model  # loads the real model, in a process of its own (torch's threads are global)
@pytest.mark.parametrize("threads", ["1", "3"])
def test_the_model_computes_with_the_threads_it_is_given(threads):
    env = {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    env["REVUE_THREADS"] = threads
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) == int(threads)
