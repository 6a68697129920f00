"""The application shell: settings, the Flask app factory, the database session and the CLI.

Nothing is imported here: `kinabase_m365.app.create_app` builds the service, and the shell that
features may use (`settings`, `database`, `runtime`) is imported module by module, so that
importing one of them never pulls in the factory and, through it, every feature.
"""
