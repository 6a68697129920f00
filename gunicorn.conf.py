"""gunicorn's settings for a plain `gunicorn wsgi:app` run from the project's root.

gunicorn reads ./gunicorn.conf.py by default, so this serves exactly as `kinabase-m365 serve`
and `make run` do: the settings are `kinabase_m365.server.gunicorn_settings()` (gthread workers,
`WEB_CONCURRENCY` processes of `GUNICORN_THREADS` threads, keep-alive, the request-line limit
and the metrics hook). Command-line options still override them (`gunicorn -w 4 wsgi:app`).
"""

from kinabase_m365.server import gunicorn_settings

globals().update(gunicorn_settings())
