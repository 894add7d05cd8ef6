"""The web tests of admissions use the site fixture of tests/web (one database per test)."""

from tests.web.conftest import _cheap_password_hashing, site  # noqa: F401
