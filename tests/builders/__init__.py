"""Test-side file and signal builders shared by several test modules.

Each module here builds valid files of one format from its specification (or
test signals from an independent generator), so readers, the fuzz corpus and
the detectors can be exercised without shipping third-party data.
"""
