"""Free-text screening notes, encrypted at rest with Fernet (key: SAPHAN_SCREENING_NOTES_KEY)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from saphan.settings import Settings

MAX_NOTES = 2000


class NotesKeyError(RuntimeError):
    """The notes key is missing or malformed, or does not open the stored notes."""


def _fernet(settings: Settings) -> Fernet:
    key = settings.screening_notes_key.get_secret_value()
    if not key:
        raise NotesKeyError("SAPHAN_SCREENING_NOTES_KEY is not set; notes cannot be saved")
    try:
        return Fernet(key.encode())
    except ValueError:
        raise NotesKeyError(
            "SAPHAN_SCREENING_NOTES_KEY is not a Fernet key (32 url-safe base64 bytes)"
        ) from None


def encrypt_notes(text: str, settings: Settings) -> str:
    text = text.strip()
    if not text or len(text) > MAX_NOTES:
        raise ValueError(f"notes: 1 to {MAX_NOTES} characters")
    return _fernet(settings).encrypt(text.encode()).decode()


def decrypt_notes(token: str, settings: Settings) -> str:
    try:
        return _fernet(settings).decrypt(token.encode()).decode()
    except InvalidToken:
        raise NotesKeyError("the notes key does not open these notes") from None
