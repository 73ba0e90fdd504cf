"""Referral directory: organisations and services people are referred to, and how to find them.

Modules: `vocab` (allowed values), `gazetteer` (77 provinces), `models` (tables), `records`
(validated import/export rows), `hours` (opening hours), `io` (CSV/YAML import and export),
`bundled` (shipped data), `search` (the one search function), `api` and `cli`.
"""
