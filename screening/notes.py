"""Free-text screening notes, encrypted at rest under the app's key list (`saphan.crypto`,
`SAPHAN_ENCRYPTION_KEYS`; notes made under the former `SAPHAN_SCREENING_NOTES_KEY` still open
while that key is set, until `saphan keys rotate` re-encrypts them)."""

from __future__ import annotations

from saphan.crypto import DecryptionError, EncryptionKeyError, decrypt, encrypt
from saphan.settings import Settings

MAX_NOTES = 2000


class NotesKeyError(RuntimeError):
    """The keys are missing or malformed, or do not open the stored notes."""


def encrypt_notes(text: str, settings: Settings) -> str:
    text = text.strip()
    if not text or len(text) > MAX_NOTES:
        raise ValueError(f"notes: 1 to {MAX_NOTES} characters")
    try:
        return encrypt(text, settings)
    except EncryptionKeyError as exc:
        raise NotesKeyError(f"notes cannot be saved: {exc}") from None


def decrypt_notes(token: str, settings: Settings) -> str:
    try:
        return decrypt(token, settings)
    except (EncryptionKeyError, DecryptionError):
        raise NotesKeyError("no configured key opens these notes") from None
