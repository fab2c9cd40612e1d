"""The web app (``glutesense serve``): record with the phone, upload app exports, questionnaire,
report, diary and accounts. FastAPI + Jinja2 + vendored HTMX; SQLAlchemy 2 + Alembic.

Phones only expose motion sensors to secure contexts (https or localhost). On a LAN, serve
with a self-signed certificate (``--ssl-certfile``/``--ssl-keyfile``) or behind a reverse
proxy that terminates TLS; see ``docs/web.md``.
"""

from .app import Settings, create_app

__all__ = ["create_app", "Settings"]
