"""ASGI entry point, for servers such as uvicorn (the default web role uses WSGI, see web_server.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
application = get_asgi_application()
