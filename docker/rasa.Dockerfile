# Rasa server with Saphan's custom NLU components (PyThaiNLP tokenizer, language detection).
FROM rasa/rasa:3.6.21
USER root
COPY requirements/rasa.lock /tmp/rasa.lock
# The base image already has Rasa; add only what the custom components need, at the locked version.
RUN grep -i '^pythainlp==' /tmp/rasa.lock | xargs pip install --no-cache-dir
COPY bot /app/bot
COPY saphan/__init__.py saphan/language.py /app/saphan/
# The emergency safety-net component reads its keyword list at start-up.
COPY content/__init__.py content/keywords.py content/emergency_keywords.yml /app/content/
ENV PYTHONPATH=/app/bot:/app
USER 1001
