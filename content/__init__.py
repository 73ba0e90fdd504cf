"""User-facing content as data: the text catalogue, the rights knowledge base, emergency keywords.

The YAML files here are the one place for what the bot says; the modules load and validate them
(stdlib + PyYAML only, importable from both the app and the Rasa virtual environments).
"""

from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parent
