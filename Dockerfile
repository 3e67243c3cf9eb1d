# Front-end libraries come from npm; Node never reaches the final image.
FROM python:3.11-slim-bookworm AS assets
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error


FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=kontum_review.settings.prod \
    WEB_CONCURRENCY=3

# Fonts with Vietnamese glyphs, Pango and HarfBuzz-Subset for WeasyPrint;
# poppler-utils reads PDFs back.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        fonts-liberation2 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        poppler-utils \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system app && useradd --system --gid app --home-dir /app app
WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

# Only the dist folders that STATICFILES_DIRS reads.
COPY --from=assets /app/node_modules/bootstrap/dist node_modules/bootstrap/dist
COPY --from=assets /app/node_modules/chart.js/dist node_modules/chart.js/dist
COPY --from=assets /app/node_modules/tom-select/dist node_modules/tom-select/dist
# Named paths rather than `COPY . .`: keeps .venv, .git and db.sqlite3 out.
COPY manage.py ./
COPY kontum_review kontum_review
COPY organizations organizations
COPY members members
COPY reviews reviews
COPY templates templates
COPY static static
COPY locale locale

# Production settings refuse to start without these, or with a weak key;
# collectstatic needs neither, so it gets a throwaway random key.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && mkdir -p media && chown app:app media

USER app
EXPOSE 8000
# Workers: WEB_CONCURRENCY, which gunicorn reads itself.
CMD ["gunicorn", "kontum_review.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
