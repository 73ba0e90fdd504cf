# Python 3.11 side: gateway and action server (same image, different command).
FROM python:3.11-slim
WORKDIR /app
COPY requirements/app.lock requirements/app.lock
RUN pip install --no-cache-dir -r requirements/app.lock
COPY . /app
RUN pip install --no-cache-dir --no-deps -e .
# Production unless told otherwise: default or weak secrets stop the start (saphan/production.py).
ENV SAPHAN_ENVIRONMENT=production
USER 1001
