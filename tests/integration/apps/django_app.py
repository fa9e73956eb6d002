"""Django configured in code and set up in-process: `default` goes through Tombstone as an
ordinary role, `direct` goes straight to PostgreSQL as the superuser (migrations, checks)."""
import django
from django.conf import settings


def setup(proxy_port, pg_port, user="bob"):
    common = {"ENGINE": "django.db.backends.postgresql", "NAME": "postgres", "HOST": "127.0.0.1"}
    settings.configure(
        DEBUG=False,
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        INSTALLED_APPS=["apps.softapp"],
        DATABASES={
            "default": dict(common, USER=user, PORT=str(proxy_port)),
            "direct": dict(common, USER="postgres", PORT=str(pg_port)),
        },
    )
    django.setup()
