"""How long a test waits before it calls something hung, stated once for the whole suite.

A deadline in a test catches a hang; it never measures speed (that is bench/'s work). The same
suite ran 3-5x slower beside a second ``make test`` on 2 cores than on a quiet machine, and the
bot fuzz once waited 41 s for a heartbeat's answer, so the waits are minutes, not seconds: a
test that passes only when the machine is quick is a wrong test. ``REVUE_TEST_HANG`` raises
it on an even slower machine. pytest-timeout (``timeout`` in pyproject.toml) stops a whole test
that hangs anyway.
"""

from __future__ import annotations

import os

HANG = float(os.environ.get("REVUE_TEST_HANG", "300"))  # seconds: one wait for one thing
