"""Rasa-side plugins of Saphan (run inside the Rasa server, Python 3.10): a tracker store whose
turn cost does not grow with the conversation (`tracker_store`) and speed-ups applied at start
by `saphan/rasa_launch.py` (`speedups`). Not part of the trained model (no training input)."""
