"""pytest-bdd step definitions, grouped by domain; conftest.py imports every module here."""
