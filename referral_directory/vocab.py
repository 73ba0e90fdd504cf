"""Allowed values shared with the NLU contract (one place for each list)."""

from __future__ import annotations

from saphan.language import LANGUAGES as SAPHAN_LANGUAGES

# `service_type` entity values of the NLU contract (issue 3).
SERVICE_TYPES: tuple[str, ...] = (
    "shelter",
    "legal_aid",
    "medical",
    "labour_complaint",
    "embassy",
    "hotline",
    "interpreter",
    "repatriation",
)

# Languages a service may speak: the NLU's `language` values plus a few common in Thailand.
LANGUAGES: tuple[str, ...] = (*SAPHAN_LANGUAGES, "vi", "zh", "ms", "shn", "kar")

# How sure we are that an entry's details are correct.
CONFIDENCE_LEVELS: tuple[str, ...] = ("high", "medium-high", "medium", "low")

# Time zone of opening hours and of "open now".
TIMEZONE = "Asia/Bangkok"

# Shown next to every sample (unverified) entry, on every surface.
SAMPLE_NOTICE: dict[str, str] = {
    "en": "Sample entry: details are not verified. Call 1300 to confirm before going.",
    "th": "ข้อมูลตัวอย่าง ยังไม่ได้ตรวจสอบ โปรดโทร 1300 เพื่อยืนยันก่อนเดินทาง",
}
