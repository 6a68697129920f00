"""The application shell: settings, the Flask app factory, the database session and the CLI."""

from kinabase_m365.app import create_app

__all__ = ["create_app"]
