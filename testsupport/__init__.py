"""Test infrastructure shared by the test suite, the benchmarks and the reliability harness.

Not shipped: it is outside `[tool.setuptools.packages.find] include`, and the architecture
tests fail if shipped code imports it. Only `testsupport.cases` (fixtures) needs pytest.
"""
