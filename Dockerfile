# CNN Classroom in a container: docker build -t cnn-classroom . && docker run -p 8501:8501 cnn-classroom
# Full data sets: mount a folder with mnist.npz / cifar10_jpg.zip at /data (read-only is fine).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_CPP_MIN_LOG_LEVEL=3 \
    CNN_CLASSROOM_DATA=/data

# Run as an ordinary user: the app never needs root.
RUN useradd --create-home --uid 1000 classroom && mkdir -p /data && chown classroom /data
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=classroom:classroom app.py ./
COPY --chown=classroom:classroom .streamlit ./.streamlit
COPY --chown=classroom:classroom cnn_core ./cnn_core
COPY --chown=classroom:classroom ui ./ui
COPY --chown=classroom:classroom app_pages ./app_pages
COPY --chown=classroom:classroom assets ./assets

USER classroom
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
