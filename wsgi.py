"""Entry point for gunicorn (``gunicorn wsgi:app``) and ``flask --app wsgi``."""
from hub import create_app

app = create_app()
