"""The know-your-rights knowledge base (`content/rights.yml`) and topic lookup by keywords.

Every topic has its answer and keywords in all five languages; the review state of a
language comes from `review_by_language` (my/km/lo: machine drafts), like the text catalogue,
and showing an unreviewed answer is logged the same way (topic and language only). A topic's
own `review_<lang>: {state, by, date}` line (written by `saphan texts import` when a
translator reviews one answer) overrides the file-wide record for that answer."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from content import CONTENT_DIR
from content.catalogue import REVIEW_STATES, CatalogueError, Review, fill_facts, text
from content.keywords import normalise
from saphan.language import LANGUAGES

RIGHTS_FILE = CONTENT_DIR / "rights.yml"
RIGHTS_LANGUAGES = LANGUAGES
#: The catalogue's logger of unreviewed texts shown to a person.
log = logging.getLogger("saphan.texts.unreviewed")
#: Words of a question that asks which rights exist without naming a subject ("What are my
#: rights?", "สิทธิของฉันมีอะไรบ้าง"): "rights", pronouns, question words, particles, "migrant
#: worker", in the five languages (my/km/lo from the training data's phrasings).
GENERIC_WORDS = (
    "rights", "right", "my", "what", "which", "are", "is", "do", "does", "i", "have", "has",
    "we", "our", "me", "tell", "about", "the", "a", "an", "as", "of", "in", "here", "thailand",
    "migrant", "migrants", "worker", "workers", "know", "want", "to", "can", "you", "please",
    "pls", "list", "all", "show", "there", "any", "legal", "labour", "labor", "and", "get",
    "สิทธิ์", "สิทธิ", "ของ", "ฉัน", "ผม", "หนู", "ดิฉัน", "เรา", "มี", "อะไร", "บ้าง", "คือ",
    "ครับ", "ค่ะ", "คะ", "จ้า", "นะ", "ไหม", "มั้ย", "อยาก", "รู้", "ถาม", "ขอ", "เกี่ยวกับ",
    "แรงงาน", "ต่างด้าว", "ข้ามชาติ", "ประเทศไทย", "ในไทย", "บอก", "หน่อย", "ได้", "เป็น",
    "อย่างไร", "ยังไง", "ทาง", "กฎหมาย",
    "အခွင့်အရေး", "ကျွန်တော့်", "ကျွန်တော်", "ကျွန်မ", "ငါ့", "ငါ", "မှာ", "ဘာ", "တွေ",
    "ရှိ", "သလဲ", "လဲ", "များ", "ရွှေ့ပြောင်း", "အလုပ်သမား", "ရဲ့", "၏", "သိချင်", "ပါ",
    "တယ်", "ကို", "ဥပဒေ",
    "សិទ្ធិ", "ខ្ញុំ", "របស់", "មាន", "អ្វី", "ខ្លះ", "តើ", "កម្មករ", "ចំណាកស្រុក", "អ្នក",
    "យើង", "ជា", "ទេ", "បាន", "ដែល", "ចង់", "ដឹង", "ច្បាប់",
    "ສິດ", "ຂອງ", "ຂ້ອຍ", "ຂ້າພະເຈົ້າ", "ເຮົາ", "ມີ", "ຫຍັງ", "ແດ່", "ແຮງງານ", "ຂ້າມຊາດ",
    "ຕ່າງດ້າວ", "ແມ່ນ", "ຢາກ", "ຮູ້", "ບໍ່", "ໄດ້", "ແນວໃດ", "ກົດໝາຍ",
)
REQUIRED_TOPICS = ("minimum_wage", "documents", "working_hours", "recruitment_fees",
                   "changing_employer", "sick_leave", "severance", "how_to_complain")


class RightsError(ValueError):
    """The knowledge base is malformed."""


@dataclass(frozen=True)
class RightsAnswer:
    topic: str
    answer: dict[str, str]
    source: str
    last_reviewed: str
    verified: bool
    note: str | None
    keywords: tuple[str, ...]  # normalised, all languages
    #: Review state per language ("reviewed" unless `review_by_language` says otherwise).
    review: dict[str, str]

    def answer_in(self, language: str) -> str:
        """The answer in `language`; an unreviewed one is shown and logged."""
        if self.review[language] != "reviewed":
            log.info("unreviewed text shown: rights.%s [%s] (%s)", self.topic, language,
                     self.review[language])
        return self.answer[language]


def _topic(name: str, raw: dict, records: dict[str, Review]) -> RightsAnswer:
    records = {**records, **_records(
        {lang: raw[f"review_{lang}"] for lang in RIGHTS_LANGUAGES if f"review_{lang}" in raw},
        f"topic {name!r}")}
    review = {lang: records[lang].state if lang in records else "reviewed"
              for lang in RIGHTS_LANGUAGES}
    answer = raw.get("answer") or {}
    keywords = raw.get("keywords") or {}
    missing = [lang for lang in RIGHTS_LANGUAGES if not answer.get(lang) or not keywords.get(lang)]
    if missing or not raw.get("source") or not raw.get("last_reviewed") or "verified" not in raw:
        raise RightsError(f"topic {name!r}: needs answer+keywords in {missing or 'all'}, "
                          "source, last_reviewed and verified")
    if raw["verified"] is False and not raw.get("note"):
        raise RightsError(f"topic {name!r}: unverified answers need a note")
    words = tuple(normalise(w) for lang in RIGHTS_LANGUAGES for w in keywords[lang])
    try:  # hotline numbers are placeholders filled from the directory
        answer = {lang: fill_facts(value, f"topic {name!r} ({lang})")
                  for lang, value in answer.items()}
    except CatalogueError as error:
        raise RightsError(str(error)) from None
    return RightsAnswer(name, dict(answer), str(raw["source"]), str(raw["last_reviewed"]),
                        bool(raw["verified"]), raw.get("note"), words, review)


def _records(raw: object, where: str) -> dict[str, Review]:
    """Review records per language (the catalogue's states); a language without one is
    reviewed."""
    if not isinstance(raw, dict) or not set(raw) <= set(RIGHTS_LANGUAGES):
        raise RightsError(f"{where}: review_by_language: a mapping of language codes")
    records = {}
    for lang, record in raw.items():
        if (not isinstance(record, dict) or record.get("state") not in REVIEW_STATES
                or not record.get("by") or not record.get("date")):
            raise RightsError(f"{where}: review of {lang}: needs state, by and date")
        records[lang] = Review(record["state"], str(record["by"]), str(record["date"]))
    return records


def answer_sources(path: Path = RIGHTS_FILE
                   ) -> dict[str, tuple[dict[str, str], dict[str, Review]]]:
    """Per topic, for translators: the answers as written (placeholders unfilled) and the
    review record of each language that has one (the others are reviewed)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    shared = _records(data.get("review_by_language") or {}, str(path))
    sources = {}
    for name, raw in (data.get("topics") or {}).items():
        own = _records({lang: raw[f"review_{lang}"] for lang in RIGHTS_LANGUAGES
                        if f"review_{lang}" in raw}, f"topic {name!r}")
        sources[name] = (dict(raw.get("answer") or {}), {**shared, **own})
    return sources


def read_rights(path: Path = RIGHTS_FILE) -> dict[str, RightsAnswer]:
    """Load and check a knowledge base file (uncached: `load_rights` is the cached one)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    records = _records(data.get("review_by_language") or {}, str(path))
    topics = {name: _topic(name, raw, records)
              for name, raw in (data.get("topics") or {}).items()}
    missing = [t for t in REQUIRED_TOPICS if t not in topics]
    if missing:
        raise RightsError(f"{path}: missing topics {missing}")
    return topics


@lru_cache
def load_rights(path: Path = RIGHTS_FILE) -> dict[str, RightsAnswer]:
    return read_rights(path)


def find_topic(question: str | None, topics: dict[str, RightsAnswer] | None = None
               ) -> RightsAnswer | None:
    """The topic whose longest keyword occurs in `question` (None when nothing matches)."""
    if not question:
        return None
    clean = normalise(question)
    best: tuple[int, RightsAnswer] | None = None
    for topic in (topics or load_rights()).values():
        for word in topic.keywords:
            if _contains(clean, word) and (best is None or len(word) > best[0]):
                best = (len(word), topic)
    return best[1] if best else None


def is_generic(question: str | None) -> bool:
    """Whether `question` only asks which rights exist, naming no subject: nothing but
    `GENERIC_WORDS`, punctuation and digits is left once they are taken out. Word lists, not
    the NLU, because the question is already `ask_rights` and no entity names a missing
    subject; taking words out (Thai, Burmese, Khmer and Lao are written without spaces) and
    looking for a letter left over works alike in the five languages. A rights question with
    any other word ("rights of my child") names a subject: no topic matching it is unknown."""
    left = normalise(question or "")
    for word in _GENERIC:
        left = (re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", left) if word.isascii()
                else left.replace(word, " "))
    return bool(question and question.strip()) and not any(
        unicodedata.category(c).startswith("L") for c in left)


#: `GENERIC_WORDS` normalised, longest first (a word inside a longer one goes after it).
_GENERIC = sorted({normalise(w) for w in GENERIC_WORDS}, key=len, reverse=True)


def _contains(text: str, word: str) -> bool:
    if word.isascii():
        return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None
    return word in text


def topic_buttons(language: str, entity: str) -> list[dict[str, str]]:
    """One button per topic, labelled in `language` (text `bot.rights_topic_<topic>`, ≤ 20
    characters for LINE), whose payload names the topic as `entity`: a tap gives that topic's
    answer in any language, without the NLU."""
    return [{"title": text("bot", f"rights_topic_{name}", language),
             "payload": f'/ask_rights{{"{entity}":"{name}"}}'} for name in load_rights()]
