"""Custom Rasa actions (rasa-sdk action server): `python -m rasa_sdk --actions actions`.

rasa-sdk imports every module here and registers each concrete `Action` subclass under its
`name()`; every form question (`action_ask_<slot>`) is one generic action (`form_questions`)."""

from actions.guard import install

install()
