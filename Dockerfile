# BiliRec: a slim Python 3.11 image that runs `python -m bot` as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MALLOC_ARENA_MAX=2 \
    BILIREC_DATA_DIR=/data

# a CJK font, so that charts (matplotlib) draw Chinese zone names instead of empty boxes
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei fontconfig \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY bilibili ./bilibili
COPY recommender ./recommender
COPY models ./models
COPY storage ./storage
COPY domain ./domain
# byte code compiled here: PYTHONDONTWRITEBYTECODE would otherwise make every start compile the
# project's modules again (~0.1 s of a start-up)
RUN pip install . \
    && python -m compileall -q bot bilibili recommender models storage domain \
    && useradd --create-home --uid 10001 bilirec \
    && mkdir -p /data && chown bilirec:bilirec /data

USER bilirec
# matplotlib's font cache, built once here rather than on the first chart
RUN python -c "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"
VOLUME ["/data"]
# settings, data directory and database with its key (bot/healthcheck.py); no network
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "--check"]
CMD ["python", "-m", "bot"]
