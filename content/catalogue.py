"""The one text catalogue: every text users and caseworkers see, `content/texts/<namespace>.yml`.

Namespaces: bot (the migrant conversations), gateway (its own messages and rich-menu labels),
cases (hand-off messages, caseworker alerts), screening (officer conversation), dashboard
(with dashboard_admin, dashboard_referrals, dashboard_nrm and dashboard_directory: agencies and
accounts, hand-overs between agencies, the NRM pathway, the referral directory; the dashboard's
templates see them merged).

Why a plain YAML catalogue with this strict loader rather than gettext/Babel or Fluent: our texts
are keyed messages (not English source strings), several languages are partial on purpose
(my/km/lo hold only the short texts and fall back to English), some texts are one bilingual
string for everybody (LINE alerts, rich-menu labels), hotline numbers are facts filled in from
the directory, and each text carries a review state. gettext would need one PO file per
namespace and language plus msgid conventions and a compile step, and has no place for the
review record or the fallback rule; Fluent adds a runtime dependency and its own syntax and
would still need our fallback, facts and review rules on top. The files are plain UTF-8 YAML
that any editor or translation tool reads, and this loader (PyYAML only, importable from every
virtual environment) checks everything below.

File format, one file per namespace::

    namespace: bot
    languages:            # the required set: `all` = every key, a list = at least these keys
      th: all
      en: all
      my: [emergency, ask_safe_now]
    default: th           # answer language for an unknown or missing language
    fallback: en          # language used when a partial language lacks a key
    includes: [numbers]   # texts other texts of the namespace may include as {numbers}
    review: {state: reviewed, by: "...", date: "2026-11-23"}  # every text unless overridden
    review_by_language: {my: {state: machine_draft, by: "...", date: "..."}}
    english_only:         # keys my/km/lo readers get in English (fallback), each with its reason
      menu_officer_x: "officer-facing: officers read Thai or English"
    texts:
      greeting: {th: "...", en: "...", review: {state: draft, by: "...", date: "..."}}
      thanks: {th: "...", my: "...", review_my: {state: reviewed, by: "...", date: "..."}}
      alert: {all: "..."}   # one (bilingual) text for every language

Placeholders `{name}`: a name in `facts.yml` is a hotline number from
`referral_directory/data/hotlines.yaml` (texts never write numbers); a name that is another key
listed under `includes` inserts that text of the namespace; any other name is filled by the
caller. Content kept outside the catalogue (rights answers, screening next steps) fills its
hotline placeholders with `fill_facts`.

A language whose set is `all` needs every key except the `english_only` ones (which th and en
still need). `review` in a text is its record in every language, `review_<lang>` in one
language (written by `saphan texts import`). Showing a text that is not `reviewed` to a user is
logged (logger `saphan.texts.unreviewed`: namespace, key and language only).

Checked at load (`CatalogueError`, naming file and key): an unknown language, a missing key in
a language's required set, an `english_only` key without a reason, an empty text, a
placeholder set that differs between languages of a text, a `hotline_*` placeholder that is
no fact, an include cycle, a hotline number written into a text, a malformed review record.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from content import CONTENT_DIR
from saphan.language import DEFAULT_LANGUAGE, LANGUAGES

log = logging.getLogger("saphan.texts.unreviewed")
TEXTS_DIR = CONTENT_DIR / "texts"
HOTLINES_FILE = CONTENT_DIR.parent / "referral_directory" / "data" / "hotlines.yaml"
NAMESPACES = ("bot", "gateway", "cases", "screening", "dashboard", "dashboard_admin",
              "dashboard_referrals", "dashboard_nrm", "dashboard_directory")
#: Namespaces whose texts reach migrants (the others are read by officers and caseworkers).
PERSON_NAMESPACES = ("bot", "gateway", "cases")
#: Languages every namespace holds in full; `english_only` keys may skip the others.
BASE_LANGUAGES = ("th", "en")
REVIEW_STATES = ("machine_draft", "draft", "reviewed")
ALL = "all"
FACT_PREFIX = "hotline_"  # placeholders named so must be facts of facts.yml
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CatalogueError(ValueError):
    """A catalogue file breaks a rule of the module docstring."""


@dataclass(frozen=True)
class Review:
    """Who reviewed a text and when; `machine_draft`/`draft` texts still need a native speaker."""

    state: str
    by: str
    date: str


@dataclass(frozen=True)
class Namespace:
    name: str
    required: dict[str, tuple[str, ...] | None]  # language -> required keys (None = all)
    default: str
    fallback: str | None
    texts: dict[str, dict[str, str]]  # key -> language (or ALL) -> template
    includes: frozenset[str]
    reviews: dict[tuple[str, str], Review] = field(repr=False)  # (key, language) -> review
    english_only: dict[str, str] = field(default_factory=dict)  # key -> why English is enough

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.required)

    def language_or_default(self, language: str | None) -> str:
        return language if language in self.required else self.default

    def shown_language(self, key: str, language: str | None) -> str:
        """The language the text `key` is shown in for a reader of `language`."""
        by_language = self.texts.get(key) or {}
        lang = self.language_or_default(language)
        if ALL in by_language or lang in by_language:
            return lang
        return self.fallback if self.fallback in by_language else self.default

    def template(self, key: str, language: str | None) -> str:
        by_language = self.texts.get(key)
        if by_language is None:
            raise KeyError(f"no text {self.name}.{key}")
        if ALL in by_language:
            return by_language[ALL]
        lang = self.language_or_default(language)
        found = by_language.get(lang) or (by_language.get(self.fallback) if self.fallback else None)
        return found or by_language[self.default]


@dataclass(frozen=True)
class Catalogue:
    namespaces: dict[str, Namespace]
    facts: dict[str, str]  # placeholder -> value (hotline numbers)
    hotline_numbers: frozenset[str] = frozenset()  # every number of the directory's hotlines

    def namespace(self, name: str) -> Namespace:
        try:
            return self.namespaces[name]
        except KeyError:
            raise KeyError(f"no text namespace {name!r}") from None

    def render(self, namespace: str, key: str, language: str | None,
               values: Mapping[str, object], _depth: int = 0) -> str:
        space = self.namespace(namespace)
        template = space.template(key, language)
        return template.format_map(_Fields(self, space, language, values, _depth))


class _Fields(dict):
    """Placeholder values: the caller's, then facts, then included texts. Without caller values a
    placeholder nobody fills stays as written (callers that only want the template)."""

    def __init__(self, catalogue: Catalogue, space: Namespace, language: str | None,
                 values: Mapping[str, object], depth: int) -> None:
        super().__init__(values)
        self.catalogue, self.space, self.language, self.depth = catalogue, space, language, depth
        self.strict = bool(values)

    def __missing__(self, name: str) -> object:
        if name in self.catalogue.facts:
            return self.catalogue.facts[name]
        if name in self.space.includes and self.depth < 5:
            return self.catalogue.render(self.space.name, name, self.language, dict(self),
                                         self.depth + 1)
        if self.strict:
            raise KeyError(name)
        return "{" + name + "}"


def _written_number(value: str, numbers: set[str] | frozenset[str]) -> str | None:
    return next((n for n in sorted(numbers)
                 if re.search(rf"(?<!\d){re.escape(n)}(?!\d)", value)), None)


def placeholders(template: str) -> set[str]:
    """The names of the `{placeholders}` in a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _review(raw: Any, where: str, inherited: Review | None = None) -> Review:
    if raw is None and inherited is not None:
        return inherited
    if not isinstance(raw, dict) or set(raw) != {"state", "by", "date"}:
        raise CatalogueError(f"{where}: review needs exactly state, by, date")
    state, by, on = raw["state"], raw["by"], str(raw["date"])
    if state not in REVIEW_STATES or not isinstance(by, str) or not by.strip() \
            or not DATE.fullmatch(on):
        raise CatalogueError(f"{where}: review state one of {REVIEW_STATES}, by a name, "
                             f"date YYYY-MM-DD (got {raw})")
    return Review(state, by, on)


def _language(lang: object, where: str) -> str:
    if lang not in LANGUAGES:
        raise CatalogueError(f"{where}: unknown language {lang!r} (one of {', '.join(LANGUAGES)})")
    return str(lang)


def _namespace(path: Path, hotline_numbers: set[str]) -> Namespace:
    where = str(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    name = data.get("namespace")
    if name != path.stem:
        raise CatalogueError(f"{where}: 'namespace' must be {path.stem!r}")
    raw_languages, texts = data.get("languages"), data.get("texts")
    if not isinstance(raw_languages, dict) or not raw_languages or not isinstance(texts, dict):
        raise CatalogueError(f"{where}: needs 'languages' and 'texts'")
    required: dict[str, tuple[str, ...] | None] = {}
    for lang, keys in raw_languages.items():
        _language(lang, f"{where} languages")
        if keys != ALL and not (isinstance(keys, list) and keys):
            raise CatalogueError(f"{where}: language {lang!r} needs 'all' or a list of keys")
        required[lang] = None if keys == ALL else tuple(keys)
    full = [lang for lang, keys in required.items() if keys is None]
    default = data.get("default", DEFAULT_LANGUAGE)
    fallback = data.get("fallback")
    if default not in full or (fallback is not None and fallback not in full):
        raise CatalogueError(f"{where}: default/fallback must be languages with 'all' keys")
    if fallback is None and len(full) < len(required):
        raise CatalogueError(f"{where}: partial languages need a 'fallback'")
    file_review = _review(data.get("review"), f"{where} review")
    english_only = data.get("english_only") or {}
    if not isinstance(english_only, dict) or not all(
            isinstance(why, str) and why.strip() for why in english_only.values()):
        raise CatalogueError(f"{where}: english_only maps each key to its reason")
    by_language = {_language(lang, f"{where} review_by_language"):
                   _review(raw, f"{where} review_by_language.{lang}")
                   for lang, raw in (data.get("review_by_language") or {}).items()}

    parsed: dict[str, dict[str, str]] = {}
    reviews: dict[tuple[str, str], Review] = {}
    for key, entry in texts.items():
        at = f"{where} text {key!r}"
        if not isinstance(entry, dict):
            raise CatalogueError(f"{at}: needs a mapping of language to text")
        entry = dict(entry)
        text_review = entry.pop("review", None)
        language_reviews = {str(k)[len("review_"):]: entry.pop(k) for k in list(entry)
                            if str(k).startswith("review_")}
        for lang in language_reviews:
            _language(lang, f"{at} review_{lang}")
        if ALL in entry and len(entry) > 1:
            raise CatalogueError(f"{at}: 'all' excludes per-language texts")
        for lang, value in entry.items():
            if lang != ALL and lang not in required:
                _language(lang, at)  # not a language at all
                raise CatalogueError(f"{at}: unknown language {lang!r} for namespace {name}")
            if not isinstance(value, str) or not value.strip():
                raise CatalogueError(f"{at}: empty text in {lang!r}")
            number = _written_number(value, hotline_numbers)
            if number:
                raise CatalogueError(f"{at} ({lang}): hotline number {number} written into "
                                     "the text; use its placeholder from facts.yml")
            try:
                placeholders(value)
            except ValueError as error:
                raise CatalogueError(f"{at} ({lang}): {error}") from None
        shapes = {lang: placeholders(value) for lang, value in entry.items()}
        if len({frozenset(names) for names in shapes.values()}) > 1:
            raise CatalogueError(f"{at}: placeholders differ between languages {shapes}")
        if ALL not in entry:
            missing = [lang for lang in full if lang not in entry
                       and (key not in english_only or lang in BASE_LANGUAGES)]
            if missing:
                raise CatalogueError(f"{at}: missing in {missing}")
        parsed[key] = entry
        for lang in (required if ALL in entry else entry):
            inherited = _review(text_review, at, by_language.get(lang, file_review))
            reviews[(key, lang)] = _review(language_reviews.get(lang), f"{at} review_{lang}",
                                           inherited)

    for lang, keys in required.items():
        for key in keys or ():
            if key not in parsed:
                raise CatalogueError(f"{where}: {lang!r} requires unknown key {key!r}")
            if lang not in parsed[key] and ALL not in parsed[key]:
                raise CatalogueError(f"{where} text {key!r}: missing in [{lang!r}]")
    includes = data.get("includes") or []
    if not isinstance(includes, list) or not set(includes) <= set(parsed):
        raise CatalogueError(f"{where}: 'includes' must list keys of the namespace")
    if not set(english_only) <= set(parsed):
        raise CatalogueError(f"{where}: english_only names unknown keys "
                             f"{sorted(set(english_only) - set(parsed))}")
    space = Namespace(str(name), required, default, fallback, parsed, frozenset(includes),
                      reviews, {str(k): str(v) for k, v in english_only.items()})
    _check_includes(space, where)
    return space


def _check_includes(space: Namespace, where: str) -> None:
    def visit(key: str, path: tuple[str, ...]) -> None:
        for value in space.texts[key].values():
            for name in placeholders(value) & space.includes:
                if name in path:
                    raise CatalogueError(f"{where}: include cycle {' -> '.join((*path, name))}")
                visit(name, (*path, name))

    for key in space.texts:
        visit(key, (key,))


def _facts(directory: Path, hotlines_file: Path) -> tuple[dict[str, str], set[str]]:
    services = yaml.safe_load(hotlines_file.read_text(encoding="utf-8"))["services"]
    by_id = {service["id"]: service for service in services}
    numbers = {str(phone) for service in services for phone in service.get("phones") or ()}
    data = yaml.safe_load((directory / "facts.yml").read_text(encoding="utf-8")) or {}
    facts = {}
    for name, hotline_id in (data.get("hotlines") or {}).items():
        if hotline_id not in by_id or not by_id[hotline_id].get("phones"):
            raise CatalogueError(f"facts.yml: {name} names unknown hotline {hotline_id!r}")
        facts[name] = str(by_id[hotline_id]["phones"][0])
    return facts, numbers


def load_catalogue(directory: Path = TEXTS_DIR, hotlines_file: Path = HOTLINES_FILE,
                   namespaces: tuple[str, ...] = NAMESPACES) -> Catalogue:
    """Read and check every namespace file; raises `CatalogueError` on the first broken rule."""
    facts, numbers = _facts(directory, hotlines_file)
    loaded = {}
    for name in namespaces:
        path = directory / f"{name}.yml"
        if not path.is_file():
            raise CatalogueError(f"{path}: missing")
        loaded[name] = _namespace(path, numbers)
    for space in loaded.values():
        clash = set(space.texts) & set(facts)
        if clash:
            raise CatalogueError(f"{space.name}: keys {sorted(clash)} shadow facts.yml")
        for key, by_language in space.texts.items():
            unknown = {name for value in by_language.values() for name in placeholders(value)
                       if name.startswith(FACT_PREFIX) and name not in facts}
            if unknown:
                raise CatalogueError(f"{space.name}.yml text {key!r}: unknown fact(s) "
                                     f"{sorted(unknown)}; facts.yml has {sorted(facts)}")
    return Catalogue(loaded, facts, frozenset(numbers))


@lru_cache
def catalogue() -> Catalogue:
    """The shipped catalogue, loaded and checked once per process."""
    return load_catalogue()


def validate() -> None:
    """Load the catalogue at start-up so a broken file stops the process with a clear error."""
    catalogue()


def text(namespace: str, key: str, language: str | None, /, **values: object) -> str:
    """The text `key` of `namespace` in `language` with its placeholders filled (an unknown
    language gets the namespace's default, a key a partial language lacks its fallback).
    A person-facing text that is not reviewed is shown all the same (a draft beats a language
    the reader cannot read) and logged for the operator: namespace, key and language, never
    the text or the person."""
    loaded = catalogue()
    if namespace in PERSON_NAMESPACES:
        space = loaded.namespace(namespace)
        shown = space.shown_language(key, language)
        record = space.reviews.get((key, shown))
        if record is not None and record.state != "reviewed":
            log.info("unreviewed text shown: %s.%s [%s] (%s)", namespace, key, shown,
                     record.state)
    return loaded.render(namespace, key, language, values)


def fill_facts(template: str, where: str) -> str:
    """A text kept outside the catalogue (e.g. a rights answer) with its fact placeholders
    ({hotline_labour}, …) filled; raises `CatalogueError` naming `where` if it writes a
    hotline number itself. Other braces stay as written."""
    loaded = catalogue()
    number = _written_number(template, loaded.hotline_numbers)
    if number:
        raise CatalogueError(f"{where}: hotline number {number} written into the text; "
                             "use its placeholder from content/texts/facts.yml")
    return template.format_map(_Fields(loaded, _NO_NAMESPACE, None, {}, 0))


_NO_NAMESPACE = Namespace("", {}, DEFAULT_LANGUAGE, None, {}, frozenset(), {})


def has_text(namespace: str, key: str) -> bool:
    return key in catalogue().namespace(namespace).texts


def texts(namespace: str, language: str | None) -> dict[str, str]:
    """Every text of `namespace` in `language` (for templates)."""
    return dict(_texts(namespace, language_or_default(namespace, language)))


@lru_cache(maxsize=32)
def _texts(namespace: str, language: str) -> dict[str, str]:
    space = catalogue().namespace(namespace)
    return {key: text(namespace, key, language) for key in space.texts}


def languages(namespace: str) -> tuple[str, ...]:
    """The languages `namespace` answers in (its required set, partial languages included)."""
    return catalogue().namespace(namespace).languages


def full_languages(namespace: str) -> tuple[str, ...]:
    """The languages that hold every text of `namespace`."""
    space = catalogue().namespace(namespace)
    return tuple(lang for lang, keys in space.required.items() if keys is None)


def language_or_default(namespace: str, language: str | None) -> str:
    """`language` when `namespace` answers in it, else the namespace's default."""
    return catalogue().namespace(namespace).language_or_default(language)


def review(namespace: str, key: str, language: str) -> Review:
    """The review state of one text in one language."""
    return catalogue().namespace(namespace).reviews[(key, language)]
