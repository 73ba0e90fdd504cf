"""Officer screening engine: ILO/EC trafficking indicators as data, scoring, adaptive order.

Pure Python (no Rasa, no gateway). Screening is not identification: results are reasons to
refer, never verdicts.

- `data/`: questionnaire.yml (indicators, context questions), rules.yml (combination rule,
  thresholds, wording), next_steps.yml (NRM steps), htcds.yml (export mapping).
- `loader`: load + validate the data (`default_screening()`); errors name file, item, field.
- `scoring`: `score(data, context, answers)` -> `ScreeningResult`; `describe()` for officers.
- `adaptive`: `AdaptivePlanner.next_item()`: the next question, None when the result is fixed.
- `session`: `ScreeningSession`: the conversation (answer, back, pause/resume JSON, cancel).
- `next_steps`: `next_steps_for(category, province)`; `htcds`: CSV / JSON export.
"""
