"""Which language a message is written in, judged by its script (stdlib only).

Used by the Rasa NLU component `saphan_nlu.language_detector.LanguageDetector` (which adds
the result to every parse as `language`) and importable by the gateway and actions.

Rules: letters are counted per script: Thai, Lao, Myanmar (Burmese; Unicode and Zawgyi share
the block), Khmer and Latin. Any non-Latin script wins over Latin, because Thai messages mix
in English words ("boss ไม่จ่ายเงิน") while English messages contain no Thai; among non-Latin
scripts the most frequent one wins. A message with no letters (emoji, digits) has no language
(`None`): keep the language the conversation already uses.
"""

from __future__ import annotations

#: Language codes the bot can detect (ISO 639-1).
LANGUAGES: tuple[str, ...] = ("th", "en", "my", "km", "lo")

#: Unicode ranges (inclusive) of each script's letters and marks.
SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "th": ((0x0E00, 0x0E7F),),
    "lo": ((0x0E80, 0x0EFF),),
    "my": ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)),
    "km": ((0x1780, 0x17FF), (0x19E0, 0x19FF)),
}


def script_counts(text: str) -> dict[str, int]:
    """How many characters of `text` belong to each language's script."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for char in text:
        code = ord(char)
        if ("a" <= char <= "z") or ("A" <= char <= "Z"):
            counts["en"] += 1
            continue
        for lang, ranges in SCRIPT_RANGES.items():
            if any(lo <= code <= hi for lo, hi in ranges):
                counts[lang] += 1
                break
    return counts


def detect_language(text: str | None) -> str | None:
    """`th`, `en`, `my`, `km`, `lo`, or None when the text has no letters."""
    if not text:
        return None
    counts = script_counts(text)
    native = {lang: n for lang, n in counts.items() if lang != "en" and n > 0}
    if native:
        return max(native, key=lambda lang: (native[lang], lang == "th"))
    return "en" if counts["en"] else None
