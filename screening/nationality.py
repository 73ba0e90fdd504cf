"""The screening's nationality answer (a free-text context question) read as one code of a
closed list, so that statistics count codes and never the text an officer typed.

The list holds the countries most migrants screened in Thailand come from, and stateless
people; an answer naming none of them is "other", an empty or "unknown" one "unknown". Names
are matched in Thai, English and the scripts of Myanmar, Khmer and Lao (whole answer first,
then a name inside it when only one country is named). The names shown for the codes are the
catalogue's `nationality_<code>` texts (dashboard)."""

from __future__ import annotations

import re

from screening.explain import THAI

#: code -> names that mean it (lower case; Thai's from `screening.explain.THAI`).
NAMES: dict[str, tuple[str, ...]] = {
    "th": (*sorted(THAI), "ประเทศไทย", "ထိုင်း", "ថៃ", "ໄທ"),
    "mm": ("myanmar", "burma", "burmese", "พม่า", "เมียนมา", "เมียนมาร์", "မြန်မာ", "ဗမာ",
           "ភូមា", "ມຽນມາ", "ພະມ້າ"),
    "kh": ("cambodia", "cambodian", "khmer", "กัมพูชา", "เขมร", "ကမ္ဘောဒီးယား", "កម្ពុជា",
           "ខ្មែរ", "ກຳປູເຈຍ", "ຂະແມ"),
    "la": ("lao", "laos", "lao pdr", "laotian", "ลาว", "สปป.ลาว", "လာအို", "ឡាវ", "ລາວ"),
    "vn": ("vietnam", "viet nam", "vietnamese", "เวียดนาม", "ဗီယက်နမ်", "វៀតណាម", "ຫວຽດນາມ"),
    "cn": ("china", "chinese", "จีน", "တရုတ်", "ចិន", "ຈີນ"),
    "stateless": ("stateless", "no nationality", "ไร้สัญชาติ", "ไม่มีสัญชาติ", "บุคคลไร้สัญชาติ"),
}
UNKNOWN_WORDS = ("", "-", "?", "unknown", "not known", "n/a", "ไม่ทราบ", "ไม่รู้", "ไม่แน่ใจ")
#: Every code `nationality_code` returns, in the order tables list them.
CODES = (*NAMES, "other", "unknown")
_EXACT = {name: code for code, names in NAMES.items() for name in names}
_NOISE = re.compile(r"^(สัญชาติ|ชาว|คน|ประเทศ|nationality:?)\s*")


def nationality_code(answer: object) -> str:
    """The code of a nationality answer ("Myanmar", "พม่า", "คนลาว" ...): one of `CODES`."""
    if not isinstance(answer, str):
        return "unknown"
    text = " ".join(answer.casefold().split())
    if text in UNKNOWN_WORDS:
        return "unknown"
    bare = _NOISE.sub("", text)
    for candidate in (text, bare):
        if candidate in _EXACT:
            return _EXACT[candidate]
    named = {code for name, code in _EXACT.items() if name in bare}
    return named.pop() if len(named) == 1 else "other"
