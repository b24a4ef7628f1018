# Revue: the Discord bot by default; `docker run … revue revue ask "…"` for the CLI.
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV PYTHON=python3.11 \
    TORCH_INDEX=https://download.pytorch.org/whl/cpu \
    REVUE_MODEL_CACHE=/opt/revue/models \
    REVUE_DATA_DIR=/data \
    HF_HUB_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    PATH=/app/.venv/bin:$PATH

# Dependencies first (cached while only the code changes); the same `make install` as everywhere.
COPY pyproject.toml Makefile README.md ./
COPY index/__init__.py index/__init__.py
COPY bot/__init__.py bot/__init__.py
COPY index/ index/
COPY bot/ bot/
RUN make install && rm -rf /root/.cache/pip
COPY corpus/ corpus/

VOLUME ["/data"]
CMD ["revue", "bot"]
