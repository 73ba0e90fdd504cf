"""Recorded audio clips of the person-facing questions (`data/audio.yml`), a data slot that
a deploying organisation fills: none are bundled, and with the slot empty nothing is sent.

A clip names a question id, a language and an HTTPS URL with its duration (LINE audio
messages need both). Loading checks every clip against the questionnaire and the
forced-criminality module and fails with the file and the clip's place.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from screening.criminality import load_criminality
from screening.errors import ScreeningDataError
from screening.loader import DATA_DIR, ScreeningData, default_screening, load_model

AUDIO_FILE = DATA_DIR / "audio.yml"
MAX_DURATION_MS = 5 * 60 * 1000


class Clip(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    lang: Literal["th", "en", "my", "km", "lo"]
    url: str = Field(pattern=r"^https://\S+$", max_length=2000)
    duration_ms: int = Field(ge=1, le=MAX_DURATION_MS)


class AudioClips(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    clips: tuple[Clip, ...] = ()

    @model_validator(mode="after")
    def _one_per_question_and_language(self) -> AudioClips:
        seen: set[tuple[str, str]] = set()
        for index, clip in enumerate(self.clips):
            key = (clip.question, clip.lang)
            if key in seen:
                raise ValueError(f"clips[{index}] (question {clip.question!r}): a second clip "
                                 f"in {clip.lang!r}")
            seen.add(key)
        return self

    def clip(self, question: str, lang: str) -> Clip | None:
        """The recording of `question` in `lang`, if the deploying organisation provided one."""
        return next((c for c in self.clips if c.question == question and c.lang == lang), None)


def load_clips(path: Path = AUDIO_FILE, data: ScreeningData | None = None) -> AudioClips:
    """Load and check the clips; every question must exist."""
    clips = load_model(path, AudioClips)
    data = data or default_screening()
    known = ({q.id for q in data.questionnaire.context} | {i.id for i in data.questionnaire.items}
             | {i.id for i in load_criminality().items})
    for index, clip in enumerate(clips.clips):
        if clip.question not in known:
            raise ScreeningDataError(f"{path}: clips[{index}] (question {clip.question!r}): "
                                     "no such question in the questionnaire or module")
    return clips


@cache
def default_clips() -> AudioClips:
    """The deployment's clips (loaded once)."""
    return load_clips()
