# BiliRec: a slim Python 3.11 image that runs `python -m bot` as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MALLOC_ARENA_MAX=2 \
    BILIREC_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY bilibili ./bilibili
COPY recommender ./recommender
COPY models ./models
COPY storage ./storage
RUN pip install . \
    && useradd --create-home --uid 10001 bilirec \
    && mkdir -p /data && chown bilirec:bilirec /data

USER bilirec
VOLUME ["/data"]
CMD ["python", "-m", "bot"]
