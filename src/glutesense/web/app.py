"""The web app: FastAPI JSON API (DESIGN §4.5) and the browser pages, over one storage layer.

Security (formats.md §4): argon2id passwords (pwdlib); a signed session cookie
(HttpOnly, SameSite=Lax, Secure under HTTPS) holding only the user id and a
CSRF token; a CSRF check on every browser write; Bearer tokens for scripts
(stored as SHA-256); another user's object answers 404; uploads capped while
streaming; failed logins rate-limited; ``Content-Security-Policy: default-src
'self'``; no stack trace ever reaches a user; logs carry ids and statuses,
never signals or answers.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import secrets
import uuid
import zipfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from starlette.middleware.sessions import SessionMiddleware

from .db import ApiToken, RecordingRow, User, make_engine, migrate, sessions, utcnow
from .security import (USERNAME_RE, LoginLimiter, csrf_ok, hash_password, new_csrf, new_token,
                       token_digest, verify_password)
from .storage import UploadTooLarge, safe_suffix, save_stream
from .worker import Worker

__all__ = ["Settings", "create_app"]

log = logging.getLogger("glutesense.web")
_HERE = Path(__file__).parent
CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Server settings.

    Attributes
    ----------
    data_dir : Path
        Uploads, the SQLite database and the session secret live here.
    database_url : str or None
        SQLAlchemy URL; default ``sqlite:///<data_dir>/glutesense.db`` (WAL).
    max_upload_bytes : int
        Upload cap, counted while streaming (default 50 MB).
    secure_cookies : bool
        Mark the session cookie Secure (set when serving HTTPS).
    worker_threads : int
        Background analysis threads (0: no worker, e.g. in tests that drive it).
    login_max_failures, login_window_s
        Failed-login rate limit.
    """

    data_dir: Path
    database_url: str | None = None
    max_upload_bytes: int = 50 * 1024 * 1024
    secure_cookies: bool = False
    worker_threads: int = 1
    login_max_failures: int = 5
    login_window_s: float = 300.0


class Credentials(BaseModel):
    """Username and password."""

    username: str = Field(pattern=USERNAME_RE)
    password: str = Field(min_length=8, max_length=256)


class Login(BaseModel):
    """Login credentials (no strength rules: a wrong password is simply wrong)."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class _TooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"upload larger than {limit // (1024 * 1024)} MB")


class _BodyLimit:
    """ASGI middleware: refuse request bodies above the cap, counting bytes as they stream in."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        if declared > self.max_bytes:
            resp = JSONResponse({"detail": _TooLarge(self.max_bytes).detail}, status_code=413)
            return await resp(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return msg

        await self.app(scope, limited, send)


def _secret(data_dir: Path) -> str:
    path = data_dir / "session_secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _row_json(row: RecordingRow) -> dict[str, Any]:
    rep = row.report or {}
    mech = rep.get("mechanisms") or {}
    return {"id": row.id, "created": row.created.isoformat(), "updated": row.updated.isoformat(),
            "filename": row.filename, "size_bytes": row.size_bytes, "status": row.status,
            "reason": row.reason, "source": row.source,
            "heart_rate_bpm": (mech.get("pulse") or {}).get("heart_rate_bpm"),
            "twitch_rate_per_min": (mech.get("twitch") or {}).get("rate_per_min"),
            "triage_level": (rep.get("triage") or {}).get("level")}


def create_app(settings: Settings) -> FastAPI:
    """Build the app for *settings* (migrates the database, starts the worker on startup)."""
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    uploads = data_dir / "uploads"
    url = settings.database_url or f"sqlite:///{data_dir / 'glutesense.db'}"
    engine = make_engine(url)
    migrate(engine)
    Session = sessions(engine)
    worker = Worker(Session, threads=max(settings.worker_threads, 1))
    limiter = LoginLimiter(settings.login_max_failures, settings.login_window_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.worker_threads > 0:
            worker.start()
        yield
        if settings.worker_threads > 0:
            worker.stop()
        engine.dispose()

    app = FastAPI(title="glutesense", version=_version(), lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.settings, app.state.Session, app.state.worker = settings, Session, worker
    app.add_middleware(SessionMiddleware, secret_key=_secret(data_dir), same_site="lax",
                       https_only=settings.secure_cookies, session_cookie="glutesense_session",
                       max_age=14 * 24 * 3600)
    app.add_middleware(_BodyLimit, max_bytes=settings.max_upload_bytes)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    templates = Jinja2Templates(directory=_HERE / "templates")

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse({"detail": f"{where}: {first.get('msg', 'invalid input')}"},
                            status_code=422)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.error("internal error on %s %s: %s", request.method, request.url.path,
                  type(exc).__name__)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    # ------------------------------------------------------------------ auth helpers
    def current_user(request: Request) -> User | None:
        auth = request.headers.get("authorization", "")
        with Session() as s:
            if auth.lower().startswith("bearer "):
                tok = s.execute(select(ApiToken).where(
                    ApiToken.token_sha256 == token_digest(auth[7:].strip()))).scalar_one_or_none()
                if tok is None:
                    return None
                request.state.via = "token"
                return s.get(User, tok.user_id)
            uid = request.session.get("uid")
            if uid is None:
                return None
            request.state.via = "session"
            return s.get(User, uid)

    async def _csrf_token_from(request: Request) -> str | None:
        token = request.headers.get("x-csrf-token")
        if token is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            token = form.get("csrf_token")
        return token

    async def require_user(request: Request) -> User:
        user = current_user(request)
        if user is None:
            raise HTTPException(401, "authentication required", {"WWW-Authenticate": "Bearer"})
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.state.via == "session":
            if not csrf_ok(request.session.get("csrf"), await _csrf_token_from(request)):
                raise HTTPException(403, "missing or wrong CSRF token")
        return user

    def own_row(s, rid: str, user: User) -> RecordingRow:
        row = s.get(RecordingRow, rid)
        if row is None or row.user_id != user.id:
            raise HTTPException(404, "no such recording")
        return row

    def login_keys(request: Request, username: str) -> tuple[str, str]:
        host = request.client.host if request.client else "?"
        return f"ip:{host}", f"user:{username.lower()}"

    def check_login(request: Request, creds: Login) -> User:
        keys = login_keys(request, creds.username)
        wait = limiter.blocked(*keys)
        if wait:
            raise HTTPException(429, "too many failed logins; try again later",
                                {"Retry-After": str(int(wait) + 1)})
        with Session() as s:
            user = s.execute(select(User).where(User.username == creds.username)).scalar_one_or_none()
        if user is None or not verify_password(creds.password, user.password_hash):
            limiter.failed(*keys)
            raise HTTPException(401, "wrong username or password")
        limiter.succeeded(*keys)
        return user

    def create_user(creds: Credentials) -> User:
        with Session.begin() as s:
            if s.execute(select(User).where(func.lower(User.username) == creds.username.lower())
                         ).scalar_one_or_none():
                raise HTTPException(409, "username taken")
            user = User(username=creds.username, password_hash=hash_password(creds.password))
            s.add(user)
            s.flush()
            s.expunge(user)
        log.info("user %s created", user.id)
        return user

    async def store_upload(request: Request, user: User, *, source: str,
                           answers: dict[str, Any] | None = None) -> RecordingRow:
        from ..errors import ParameterError
        from ..triage import parse_answers

        form = await request.form(max_files=1, max_fields=60)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(400, "multipart field 'file' is required")
        raw_answers = form.get("answers")
        if answers is None and isinstance(raw_answers, str) and raw_answers.strip():
            try:
                answers = parse_answers(json.loads(raw_answers)).known()
            except json.JSONDecodeError:
                raise HTTPException(422, "answers: not valid JSON") from None
            except ParameterError as exc:
                raise HTTPException(422, exc.message) from None

        async def chunks():
            while chunk := await upload.read(1 << 20):
                yield chunk

        try:
            path, sha, size = await save_stream(chunks(), uploads / user_folder(user),
                                                max_bytes=settings.max_upload_bytes,
                                                suffix=safe_suffix(upload.filename or ""))
        except UploadTooLarge:
            raise _TooLarge(settings.max_upload_bytes) from None
        if size == 0:
            path.unlink(missing_ok=True)
            raise HTTPException(400, "the file is empty")
        row = RecordingRow(id=str(uuid.uuid4()), user_id=user.id,
                           filename=Path(upload.filename or "recording").name[:255],
                           size_bytes=size, sha256=sha, storage_path=str(path), status="queued",
                           answers=answers, source=source, created=utcnow(), updated=utcnow())
        with Session.begin() as s:
            s.add(row)
            s.flush()
            s.expunge(row)
        log.info("recording %s stored (%d bytes) for user %s", row.id, size, user.id)
        worker.notify()
        return row

    def user_folder(user: User) -> str:
        return f"u{user.id}"

    def delete_row(s, row: RecordingRow) -> None:
        path = Path(row.storage_path)
        s.delete(row)
        s.flush()
        still_used = s.execute(select(func.count()).select_from(RecordingRow).where(
            RecordingRow.storage_path == row.storage_path)).scalar_one()
        if not still_used:
            path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ API
    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": _version()}

    @app.post("/api/users", status_code=201)
    def api_create_user(creds: Credentials) -> dict[str, Any]:
        user = create_user(creds)
        return {"id": user.id, "username": user.username}

    @app.post("/api/tokens")
    def api_token(creds: Login, request: Request) -> dict[str, str]:
        user = check_login(request, creds)
        token = new_token()
        with Session.begin() as s:
            s.add(ApiToken(user_id=user.id, token_sha256=token_digest(token)))
        return {"token": token}

    @app.post("/api/recordings", status_code=201)
    async def api_upload(request: Request, user: User = Depends(require_user)) -> dict[str, str]:
        row = await store_upload(request, user, source="upload")
        return {"id": row.id, "status": row.status}

    @app.get("/api/recordings")
    def api_list(user: User = Depends(require_user)) -> list[dict[str, Any]]:
        with Session() as s:
            rows = s.execute(select(RecordingRow).where(RecordingRow.user_id == user.id)
                             .order_by(RecordingRow.created.desc())).scalars().all()
            return [_row_json(r) for r in rows]

    @app.get("/api/recordings/{rid}")
    def api_get(rid: str, user: User = Depends(require_user)) -> dict[str, Any]:
        with Session() as s:
            return _row_json(own_row(s, rid, user))

    @app.get("/api/recordings/{rid}/report")
    def api_report(rid: str, user: User = Depends(require_user)) -> dict[str, Any]:
        with Session() as s:
            row = own_row(s, rid, user)
            if row.status != "done":
                raise HTTPException(409, f"no report: analysis is {row.status}"
                                    + (f" ({row.reason})" if row.reason else ""))
            return row.report

    @app.delete("/api/recordings/{rid}", status_code=204)
    def api_delete(rid: str, user: User = Depends(require_user)) -> Response:
        with Session.begin() as s:
            delete_row(s, own_row(s, rid, user))
        return Response(status_code=204)

    @app.get("/api/account/export")
    def api_export(user: User = Depends(require_user)) -> Response:
        return export_zip(user)

    @app.delete("/api/account", status_code=204)
    def api_delete_account(user: User = Depends(require_user)) -> Response:
        delete_account(user)
        return Response(status_code=204)

    def export_zip(user: User) -> Response:
        buf = io.BytesIO()
        with Session() as s, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            rows = s.execute(select(RecordingRow).where(RecordingRow.user_id == user.id)).scalars().all()
            z.writestr("account.json", json.dumps({"username": user.username,
                                                   "created": user.created.isoformat()}, indent=1))
            for r in rows:
                z.writestr(f"recordings/{r.id}/metadata.json", json.dumps(
                    {**_row_json(r), "answers": r.answers, "sha256": r.sha256}, indent=1))
                if r.report:
                    z.writestr(f"recordings/{r.id}/report.json", json.dumps(r.report, indent=1))
                if Path(r.storage_path).exists():
                    z.write(r.storage_path, f"recordings/{r.id}/original/{r.filename}")
        return Response(buf.getvalue(), media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="glutesense-{user.username}.zip"'})

    def delete_account(user: User) -> None:
        with Session.begin() as s:
            for r in s.execute(select(RecordingRow).where(RecordingRow.user_id == user.id)).scalars():
                delete_row(s, r)
            s.delete(s.get(User, user.id))
        log.info("user %s deleted", user.id)

    # ------------------------------------------------------------------ pages
    from .pages import add_pages

    add_pages(app, templates, Session=Session, current_user=current_user, require_user=require_user,
              own_row=own_row, check_login=check_login, create_user=create_user,
              store_upload=store_upload, export_zip=export_zip, delete_account=delete_account,
              delete_row=delete_row, new_csrf=new_csrf, report_csp=REPORT_CSP)
    return app


def _version() -> str:
    from .._version import __version__

    return __version__
