"""Facts a person already stated in the message that opens the self-report (issue 19 pt 5).

"They took my passport and didn't pay me" answers two of the report's questions; asking them
again tells the person they were not heard. `stated_facts(text)` finds, by phrase patterns in
Thai, English and Thai typed in Latin letters, the report answers that the message states as
"yes": documents taken, wages withheld, a debt. Only these three: the others (free to leave,
threats) are danger answers that send the person to the emergency flow, which a pattern must
not decide. A negated statement ("they didn't take my passport", "gave it back", "no debt")
fills nothing, so the question is asked as before. Myanmar, Khmer and Lao: not yet (the
questions are asked).
"""

from __future__ import annotations

import re

#: The report slots a stated fact can answer, in the order the form asks them.
FACT_SLOTS = ("documents_taken", "wages_withheld", "debt")

_DOC = (r"(?:passports?|pp|pass port|documents?|docs|papers?|work ?permit|id ?card|pink ?card"
        r"|พาสปอร์ต|พาสปอต|พาสสปอร์ต|หนังสือเดินทาง|เอกสาร|บัตรชมพู|บัตรประจำตัว|ใบอนุญาตทำงาน"
        r"|บัตรต่างด้าว|บัตร)")
_TAKE = (r"(?:took|take|takes|taken|taking|keeps?|kept|keeping|holds?|held|holding|confiscat\w*"
         r"|seiz\w*|grabbed|stole|yued|yuet|yud|keb|kep|ยึด|เก็บ|ริบ|เอา\S{0,8}ไป|กักไว้|ถือไว้)")
_HOLDER = r"(?:boss|employer|agent|broker|company|owner|they|he|she|nai ?jang|นายจ้าง|นายหน้า)"

PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "documents_taken": (
        re.compile(_TAKE + r"[^.?!\n]{0,25}?" + _DOC, re.I),
        re.compile(_DOC + r"[^.?!\n]{0,20}?(?:ถูกยึด|โดนยึด|is taken|was taken|were taken|"
                   r"is kept|was kept|is held|was held|confiscated|อยู่กับนายจ้าง|"
                   r"อยู่ที่นายจ้าง|อยู่กับนายหน้า|with (?:the |my )?(?:boss|employer|agent))",
                   re.I),
        re.compile(_HOLDER + r"\s+(?:still\s+)?(?:has|have|got)\s+(?:my|our|all)\s+" + _DOC,
                   re.I),
    ),
    "wages_withheld": (
        re.compile(r"(?:didn'?t|did not|don'?t|doesn'?t|does not|do not|never|not|no|haven'?t|"
                   r"have not|hasn'?t|has not|won'?t|will not|wont)\s+(?:been\s+|yet\s+)?"
                   r"(?:pay|paid|paying|pays|give (?:me |us )?(?:my |our |the )?"
                   r"(?:salary|wages?|money))\b", re.I),
        re.compile(r"\b(?:unpaid|no (?:salary|wages?|pay)|without (?:pay|salary|wages?)|"
                   r"withh[eo]ld\w*\s+(?:my |our |the )?(?:salary|wages?|pay)|"
                   r"owes? (?:me|us) (?:money|salary|wages?|\d))", re.I),
        re.compile(r"(?:ไม่(?:ยอม)?จ่าย(?:เงิน|ค่าแรง|ค่าจ้าง)|ยังไม่จ่าย|ไม่ได้(?:รับ)?(?:เงินเดือน|ค่าแรง|"
                   r"ค่าจ้าง|เงิน)|ค้าง(?:ค่าแรง|ค่าจ้าง|เงินเดือน|จ่าย)|ไม่ให้เงิน|เบี้ยวค่าแรง|"
                   r"โกงค่าแรง|ไม่จ่าย)"),
        re.compile(r"\bmai (?:jai|jaai|chai|dai) (?:ngern|ngoen|ngen|ngun|kha ?rang|"
                   r"kha ?jang)\b", re.I),
    ),
    "debt": (
        re.compile(r"\b(?:i|we|she|he|you)\s+(?:still\s+|must\s+|have to\s+)?owe\b|\bdebts?\b|"
                   r"\bpay (?:it )?back\b|\brepay\w*\b", re.I),
        re.compile(r"(?:หนี้|ใช้คืน|จ่ายคืน)"),
        re.compile(r"\b(?:pen|tid|chai|mee) (?:nee|ni)\b", re.I),
    ),
}
#: Words just before a match that turn it into a denial ("they didn't take my passport").
_NEGATION_BEFORE = re.compile(
    r"(?:\b(?:not|never|no|didn'?t|don'?t|doesn'?t|did not|does not|do not|haven'?t|hasn'?t|"
    r"mai)\s*|ไม่ได้\s*|ไม่\s*|ไม่มี\s*)$", re.I)
#: Phrases after which a stated fact no longer holds ("gave my passport back", "paid now").
_UNDONE = {
    "documents_taken": re.compile(r"\b(?:back|returned|give it back)\b|คืน(?:แล้ว|ให้)", re.I),
    "wages_withheld": re.compile(r"(?:จ่ายแล้ว|\bpaid (?:now|already|me back)\b)", re.I),
    "debt": re.compile(r"(?:\bno (?:more )?debts?\b|\bdebt[- ]free\b|ไม่มีหนี้|หมดหนี้|"
                       r"ไม่ได้เป็นหนี้|\bdon'?t owe\b|\bdo not owe\b)", re.I),
}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"[.?!\n]+", text) if s.strip()]


def _states(slot: str, sentence: str) -> bool:
    if _UNDONE[slot].search(sentence):
        return False
    for pattern in PATTERNS[slot]:
        for match in pattern.finditer(sentence):
            # a negation right before the phrase denies it, except for the wage patterns,
            # whose negation is part of the phrase ("did not pay")
            before = sentence[max(0, match.start() - 12):match.start()]
            if slot != "wages_withheld" and _NEGATION_BEFORE.search(before):
                continue
            return True
    return False


def stated_facts(text: str | None) -> dict[str, str]:
    """Report answers the message states: {slot: "yes"} for each fact of FACT_SLOTS found.
    A button payload ("/report_exploitation") states nothing."""
    if not text or text.startswith("/"):
        return {}
    sentences = _sentences(text)
    return {slot: "yes" for slot in FACT_SLOTS
            if any(_states(slot, sentence) for sentence in sentences)}
