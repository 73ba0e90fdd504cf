"""The message mix of simulated LINE users: Thai and English, greetings, help requests and
service searches (weights are relative)."""

from __future__ import annotations

import random

MIX: list[tuple[str, int]] = [
    ("สวัสดีครับ", 3),
    ("hello", 3),
    ("ช่วยด้วย นายจ้างยึดหนังสือเดินทางของฉัน", 2),
    ("my employer took my passport and I cannot leave", 2),
    ("หาที่พักพิงในเชียงใหม่", 2),
    ("find a shelter in Bangkok", 2),
    ("legal aid near Mae Sot", 1),
    ("ต้องการล่ามภาษาพม่า", 1),
    ("I was not paid for three months", 1),
    ("ขอบคุณค่ะ", 1),
]


def pick(rng: random.Random) -> str:
    texts, weights = zip(*MIX, strict=True)
    return rng.choices(texts, weights=weights)[0]
