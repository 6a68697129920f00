"""End-to-end tests of the admin console: Playwright driving Debian's Chromium against the
service under gunicorn on loopback, with the Microsoft emulators (see conftest.py)."""
