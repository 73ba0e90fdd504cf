# Python 3.11 side: gateway and action server (same image, different command).
# The base is pinned by digest; PYTHON_IMAGE lets a local build use a stand-in of the same
# Debian and Python minor version (scripts/compose_test.sh, where no registry can be reached).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91
FROM ${PYTHON_IMAGE}
# Extra pip options of a local build (e.g. --no-index --find-links /wheels); empty = the index.
ARG PIP_INSTALL_OPTS=""
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# Production packages only (no test tools), each checked against its locked hash.
COPY requirements/app-prod.lock requirements/app-prod.lock
RUN python -m pip install --no-cache-dir --require-hashes $PIP_INSTALL_OPTS -r requirements/app-prod.lock
COPY . /app
# Editable: the code finds its content/, bot/ and migrations beside itself (saphan/paths.py).
RUN python -m pip install --no-cache-dir --no-deps --no-build-isolation $PIP_INSTALL_OPTS -e . \
 && mkdir -p /app/var && chown 1001 /app/var
# Production unless told otherwise: default or weak secrets stop the start (saphan/production.py).
ENV SAPHAN_ENVIRONMENT=production
# PyThaiNLP makes its data folder at import (under HOME by default, not writable here).
ENV PYTHAINLP_DATA_DIR=/tmp/pythainlp-data
USER 1001
