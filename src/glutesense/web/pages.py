"""Browser pages (Jinja2 + vendored HTMX + a plain-JS recorder), over the same operations as the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from .db import RecordingRow

__all__ = ["add_pages", "answers_from_form"]

_MECH_TEXT = [
    ("twitch", "Twitches", "Single motor units in the gluteal muscles fire on their own "
     "(fasciculations). More common after exercise, with caffeine, stress, or low potassium or magnesium."),
    ("postural", "Sway and after-movement", "Your balance system corrects all the time while you "
     "stand, and soft tissue keeps moving for a moment after walking or dancing."),
    ("pulse", "Pulse", "Each heartbeat pushes blood through the gluteal arteries and makes your whole "
     "body recoil a little (ballistocardiogram)."),
    ("nerve", "Nerve", "A squeezed or irritated nerve in the lower back or buttock can fire in bursts, "
     "for example after long sitting."),
    ("vibration", "Vibration", "Car seats, loud bass and washing machines shake you from outside."),
]


def answers_from_form(form: Any) -> dict[str, Any]:
    """Questionnaire answers from form fields ``q_<key>``; empty means unknown."""
    from ..triage import Answers

    out: dict[str, Any] = {}
    for key, field in Answers.model_fields.items():
        raw = form.get(f"q_{key}")
        if raw is None or str(raw).strip() == "":
            continue
        raw = str(raw).strip()
        ann = str(field.annotation)
        try:
            if "bool" in ann:
                out[key] = raw == "yes"
            elif "int" in ann:
                out[key] = int(raw)
            elif "float" in ann:
                out[key] = float(raw.replace(",", "."))
            else:
                out[key] = raw
        except ValueError:
            raise HTTPException(422, f"answers: {key!r} must be a number") from None
    return out


def _question_fields() -> list[dict[str, Any]]:
    import typing

    from ..triage import QUESTIONS, Answers

    fields = []
    for key, question in QUESTIONS.items():
        ann = Answers.model_fields[key].annotation
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        lit = next((a for a in args if typing.get_origin(a) is typing.Literal), None)
        if lit is not None:
            fields.append({"key": key, "q": question, "kind": "choice", "choices": typing.get_args(lit)})
        elif bool in args:
            fields.append({"key": key, "q": question, "kind": "choice", "choices": ("yes", "no")})
        else:
            fields.append({"key": key, "q": question, "kind": "number"})
    return fields


def add_pages(app: FastAPI, templates, *, Session, current_user, require_user, own_row,
              check_login, create_user, store_upload, export_zip, delete_account, delete_row,
              new_csrf, report_csp) -> None:
    """Register the HTML routes on *app*."""
    from pydantic import ValidationError

    from .app import Credentials, Login

    def page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        if "csrf" not in request.session:
            request.session["csrf"] = new_csrf()
        user = current_user(request)
        return templates.TemplateResponse(request, name, {"user": user, "csrf": request.session["csrf"],
                                                          **ctx}, status_code=status_code)

    def login_required(request: Request):
        user = current_user(request)
        if user is None:
            raise HTTPException(303, headers={"Location": "/login"})
        return user

    async def checked_form(request: Request):
        from .security import csrf_ok

        form = await request.form()
        if not csrf_ok(request.session.get("csrf"), form.get("csrf_token")):
            raise HTTPException(403, "missing or wrong CSRF token")
        return form

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):
        from .examples import example_figures

        return page(request, "home.html", mechanisms=_MECH_TEXT, examples=example_figures())

    @app.get("/signup", response_class=HTMLResponse)
    def signup_form(request: Request):
        return page(request, "auth.html", mode="signup")

    @app.post("/signup")
    async def signup(request: Request):
        form = await checked_form(request)
        try:
            creds = Credentials(username=str(form.get("username", "")),
                                password=str(form.get("password", "")))
        except ValidationError:
            return page(request, "auth.html", 422, mode="signup",
                        error="Use 3–64 letters, digits, dots, dashes or underscores for the "
                              "username, and at least 8 characters for the password.")
        try:
            user = create_user(creds)
        except HTTPException as exc:
            return page(request, "auth.html", exc.status_code, mode="signup", error=exc.detail)
        request.session.clear()
        request.session.update({"uid": user.id, "csrf": new_csrf()})
        return RedirectResponse("/record", status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request):
        return page(request, "auth.html", mode="login")

    @app.post("/login")
    async def login(request: Request):
        form = await checked_form(request)
        try:
            creds = Login(username=str(form.get("username", "")),
                          password=str(form.get("password", "")))
            user = check_login(request, creds)
        except ValidationError:
            return page(request, "auth.html", 401, mode="login", error="Wrong username or password.")
        except HTTPException as exc:
            msg = ("Too many failed attempts. Wait a few minutes." if exc.status_code == 429
                   else "Wrong username or password.")
            return page(request, "auth.html", exc.status_code, mode="login", error=msg)
        request.session.clear()
        request.session.update({"uid": user.id, "csrf": new_csrf()})
        return RedirectResponse("/diary", status_code=303)

    @app.post("/logout")
    async def logout(request: Request):
        await checked_form(request)
        request.session.clear()
        return RedirectResponse("/", status_code=303)

    @app.get("/record", response_class=HTMLResponse)
    def record(request: Request):
        login_required(request)
        return page(request, "record.html", questions=_question_fields())

    @app.get("/upload", response_class=HTMLResponse)
    def upload_form(request: Request):
        login_required(request)
        return page(request, "upload.html", questions=_question_fields())

    @app.post("/upload")
    async def upload(request: Request):
        from ..errors import ParameterError
        from ..triage import parse_answers

        user = login_required(request)
        form = await checked_form(request)
        try:
            answers = parse_answers(answers_from_form(form)).known()
        except ParameterError as exc:
            raise HTTPException(422, exc.message) from None
        row = await store_upload(request, user, source="upload", answers=answers)
        return RedirectResponse(f"/recordings/{row.id}", status_code=303)

    @app.get("/questionnaire", response_class=HTMLResponse)
    def questionnaire(request: Request):
        return page(request, "questionnaire.html", questions=_question_fields(), result=None)

    @app.post("/questionnaire", response_class=HTMLResponse)
    async def questionnaire_post(request: Request):
        from ..errors import ParameterError
        from ..reporting.text import HEADLINES
        from ..triage import triage

        form = await checked_form(request)
        try:
            result = triage(answers_from_form(form))
        except ParameterError as exc:
            raise HTTPException(422, exc.message) from None
        return page(request, "questionnaire.html", questions=_question_fields(), result=result,
                    headline=HEADLINES[result.level])

    def _row(request: Request, rid: str) -> RecordingRow:
        user = login_required(request)
        with Session() as s:
            row = own_row(s, rid, user)
            s.expunge(row)
        return row

    @app.get("/recordings/{rid}", response_class=HTMLResponse)
    def report_page(request: Request, rid: str):
        from ..reporting.html import mechanism_rows
        from ..reporting.text import HEADLINES, limits_sentence, summary_sentences

        row = _row(request, rid)
        ctx: dict[str, Any] = {"row": row}
        if row.status == "done" and row.report:
            rep = row.report
            ctx.update(sentences=summary_sentences(rep), rows=mechanism_rows(rep),
                       limits=limits_sentence(rep), triage=rep.get("triage") or {},
                       headline=HEADLINES.get((rep.get("triage") or {}).get("level"), ""),
                       figures=_figures(rep, row))
        return page(request, "report.html", **ctx)

    def _figures(rep: dict, row: RecordingRow) -> list[dict[str, str]]:
        from ..errors import GlutesenseError
        from ..io import read
        from ..reporting.html import figures

        try:
            rec = read(row.storage_path)
        except GlutesenseError:
            rec = None
        return figures(rep, rec)

    @app.get("/recordings/{rid}/report.{fmt}")
    def report_download(request: Request, rid: str, fmt: str):
        import json as _json
        import tempfile

        row = _row(request, rid)
        if row.status != "done" or not row.report:
            raise HTTPException(409, f"no report: analysis is {row.status}")
        stem = Path(row.filename).stem or "recording"
        disp = {"Content-Disposition": f'attachment; filename="{stem}-report.{fmt}"'}
        if fmt == "json":
            return Response(_json.dumps(row.report, indent=1), media_type="application/json",
                            headers=disp)
        from ..errors import GlutesenseError
        from ..io import read

        try:
            rec = read(row.storage_path)
        except GlutesenseError:
            rec = None
        if fmt == "html":
            from ..reporting.html import render_html

            return Response(render_html(row.report, rec), media_type="text/html",
                            headers={**disp, "Content-Security-Policy": report_csp})
        if fmt == "pdf":
            from ..reporting.pdf import write_pdf

            with tempfile.TemporaryDirectory() as d:
                p = write_pdf(row.report, Path(d) / "r.pdf", rec)
                data = p.read_bytes()
            return Response(data, media_type="application/pdf", headers=disp)
        raise HTTPException(404, "unknown report format")

    @app.get("/recordings/{rid}/status", response_class=HTMLResponse)
    def report_status(request: Request, rid: str):
        row = _row(request, rid)
        if row.status in ("done", "failed"):
            return HTMLResponse("", headers={"HX-Refresh": "true"})
        return HTMLResponse(f'<p id="status" class="status" hx-get="/recordings/{row.id}/status" '
                            f'hx-trigger="every 2s" hx-swap="outerHTML">Analysing ({row.status})…</p>')

    @app.post("/recordings/{rid}/delete")
    async def report_delete(request: Request, rid: str):
        user = login_required(request)
        await checked_form(request)
        with Session.begin() as s:
            delete_row(s, own_row(s, rid, user))
        return RedirectResponse("/diary", status_code=303)

    @app.get("/diary", response_class=HTMLResponse)
    def diary(request: Request):
        from .app import _row_json

        user = login_required(request)
        with Session() as s:
            rows = s.execute(select(RecordingRow).where(RecordingRow.user_id == user.id)
                             .order_by(RecordingRow.created.desc())).scalars().all()
            items = [_row_json(r) for r in rows]
        return page(request, "diary.html", items=items)

    @app.get("/diary/trend.png")
    def diary_trend(request: Request):
        import io

        from ..viz.diary import plot_trends

        user = login_required(request)
        with Session() as s:
            rows = s.execute(select(RecordingRow).where(RecordingRow.user_id == user.id,
                                                        RecordingRow.status == "done")
                             .order_by(RecordingRow.created)).scalars().all()
            pts = [(r.created, (r.report or {}).get("mechanisms", {})) for r in rows]
        fig = plot_trends(pts)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return Response(buf.getvalue(), media_type="image/png",
                        headers={"Cache-Control": "no-store"})

    @app.get("/account", response_class=HTMLResponse)
    def account(request: Request):
        login_required(request)
        return page(request, "account.html")

    @app.post("/account/export")
    async def account_export(request: Request):
        user = login_required(request)
        await checked_form(request)
        return export_zip(user)

    @app.post("/account/delete")
    async def account_delete(request: Request):
        user = login_required(request)
        form = await checked_form(request)
        if form.get("confirm") != user.username:
            return page(request, "account.html", 422,
                        error="Type your username to confirm that everything should be deleted.")
        delete_account(user)
        request.session.clear()
        return RedirectResponse("/", status_code=303)
