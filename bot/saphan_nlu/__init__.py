"""Saphan's custom Rasa NLU components (run inside the Rasa 3.6 venv).

Rasa-free logic lives in `segment` and `gazetteer` (unit-tested from the app venv);
the Rasa graph components (`thai_tokenizer`, `featurizers`, `lookup_entities`,
`language_detector`) wrap it. This file imports nothing so either venv can import it.
"""
