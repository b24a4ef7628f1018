#!/usr/bin/env bash
# `make constraints`: container/constraints.txt from the virtual environment's packages, as the
# test suite ran with them (the image installs these versions, not the newest of the day).
set -euo pipefail
cd "$(dirname "$0")/.."
{
    echo "# Every package's version, as tested (make constraints): the image installs these, not"
    echo "# whatever is newest on the day it is built. torch is pinned in pyproject.toml."
    .venv/bin/pip freeze --exclude-editable 2>/dev/null | grep -v -i -E '^(torch|revue-bot)==|^-e |@ file'
} >container/constraints.txt
echo "container/constraints.txt: $(grep -c '==' container/constraints.txt) packages"
