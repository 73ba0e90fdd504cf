# Rasa server with Saphan's custom NLU components (PyThaiNLP tokenizer, language detection),
# started by the project's launcher (saphan/rasa_launch.py: `rasa run` with its speed-up).
# The base is pinned by digest; PYTHON_IMAGE lets a local build use a stand-in of the same
# Debian and Python minor version (scripts/compose_test.sh, where no registry can be reached).
ARG PYTHON_IMAGE=python:3.10-slim-bookworm@sha256:68d914ec641a0b69267ce65184d000a2bc3a9ee2590ab702b82250ab2385735a
FROM ${PYTHON_IMAGE}
# Extra pip options of a local build (e.g. --no-index --find-links /wheels); empty = the index.
ARG PIP_INSTALL_OPTS=""
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# Rasa and the components' packages at the versions the tests run (requirements/rasa.lock),
# each checked against its locked hash.
COPY requirements/rasa-prod.lock requirements/rasa-prod.lock
RUN python -m pip install --no-cache-dir --require-hashes $PIP_INSTALL_OPTS -r requirements/rasa-prod.lock
COPY bot /app/bot
COPY saphan/__init__.py saphan/language.py saphan/rasa_launch.py /app/saphan/
# The emergency safety-net component reads its keyword list at start-up.
COPY content/__init__.py content/keywords.py content/emergency_keywords.yml /app/content/
# As saphan/rasa_model.py sets them for a local Rasa; HOME: Rasa and PyThaiNLP write small
# files there (the root file system is not the user's).
ENV PYTHONPATH=/app/bot:/app TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 HOME=/tmp PYTHAINLP_DATA_DIR=/tmp/pythainlp-data
USER 1001
ENTRYPOINT ["python", "-m", "saphan.rasa_launch"]
CMD ["run", "--help"]
