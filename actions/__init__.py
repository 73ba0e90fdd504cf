"""Custom Rasa actions (rasa-sdk action server): `python -m rasa_sdk --actions actions`."""
