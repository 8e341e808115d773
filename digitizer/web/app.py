"""The workspace's pages: sign-in, sign-out and the review queue.

Starlette with Jinja2 templates (autoescaped: OCR text, file names and CSV values are shown
as text, never as markup) on the same store and audit chain as the command line. Every
page but the sign-in needs a session; signing in and out are audit entries under the
account's name, as every decision made here will be.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from digitizer.config import Layout
from digitizer.review.actions import Reviewer
from digitizer.review.queue import ReviewDocument, load_document, queue
from digitizer.store import Store
from digitizer.store.accounts import sign_in
from digitizer.store.audit import append
from digitizer.store.lookup import search
from digitizer.store.models import Document, Unit
from digitizer.understanding.schema import load_schemas
from digitizer.understanding.validate import load_province_codes
from digitizer.web.i18n import DEFAULT, LANGUAGES, gettext_for
from digitizer.web.lookup_page import understand_query
from digitizer.web.problems import in_language
from digitizer.web.review_pages import DOCUMENT_ID, item_rows, page_png
from digitizer.web.security import (
    LoginThrottle,
    csrf_ok,
    csrf_token,
    security_headers,
)

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
SESSION_HOURS = 8
_SLOW_DOWN_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class WebSettings:
    store_url: str
    secret: str  # signs the session cookie (kept in the home's keys/, never in code)
    layout: Layout


def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(("html",), default=True),
        extensions=("jinja2.ext.i18n",),
    )


def _lang(request: Request) -> str:
    lang = request.session.get("lang") or request.query_params.get("lang") or DEFAULT
    return lang if lang in LANGUAGES else DEFAULT


def _local(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (no "//host", no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/review"
    return target


class Pages:
    """The routes, sharing the store, the templates and the sign-in throttle."""

    def __init__(self, settings: WebSettings) -> None:
        self.store = Store(settings.store_url)
        self.env = _env()
        self.throttle = LoginThrottle()
        self.layout = settings.layout
        self.schemas = load_schemas(settings.layout.schemas_dir)
        self.province_codes = load_province_codes()

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        lang = _lang(request)
        gettext: Callable[[str], str] = gettext_for(lang)
        template = self.env.get_template(name)
        html = template.render(
            _=gettext,
            lang=lang,
            user=request.session.get("user"),
            csrf=csrf_token(request.session),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    # ----------------------------------------------------------------- sign-in

    async def login_form(self, request: Request) -> Response:
        return self.render(request, "login.html", next=_local(request.query_params.get("next")))

    async def login(self, request: Request) -> Response:
        form = await request.form()
        name = str(form.get("username", "")).strip().lower()[:64]
        password = str(form.get("password", ""))
        target = _local(str(form.get("next", "")))
        if not csrf_ok(request.session, form.get("csrf")):
            return self.render(request, "login.html", 400, error="form_expired", next=target)
        address = request.client.host if request.client else "-"
        keys = (f"name:{name}", f"address:{address}")
        if self.throttle.blocked(*keys):
            await asyncio.sleep(_SLOW_DOWN_SECONDS)
            return self.render(request, "login.html", 429, error="too_many", next=target)
        with self.store.session() as s, s.begin():
            who = sign_in(s, name, password)
            if who is not None:
                append(s, actor=who.name, action="login", new_value=who.role)
        if who is None:
            self.throttle.failed(*keys)
            log.info("a sign-in failed (from %s)", address)
            return self.render(request, "login.html", 401, error="wrong", next=target)
        self.throttle.succeeded(*keys)
        request.session.clear()  # a new session: nothing from before the sign-in carries on
        request.session.update({"user": who.name, "role": who.role, "lang": _lang(request)})
        return RedirectResponse(target, status_code=303)

    async def logout(self, request: Request) -> Response:
        form = await request.form()
        user = request.session.get("user")
        if user and csrf_ok(request.session, form.get("csrf")):
            with self.store.session() as s, s.begin():
                append(s, actor=str(user), action="logout")
            request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # ----------------------------------------------------------------- pages

    def _signed_in(self, request: Request) -> Response | None:
        if request.session.get("user"):
            return None
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    async def home(self, request: Request) -> Response:
        return self._signed_in(request) or RedirectResponse("/review", status_code=303)

    async def review(self, request: Request) -> Response:
        refused = self._signed_in(request)
        if refused is not None:
            return refused
        with self.store.session() as s:
            rows = s.execute(
                select(Document.id, Document.doc_type, Document.created_at, Unit.code)
                .outerjoin(Unit, Unit.id == Document.unit_id)
                .where(Document.status == "needs_review")
                .order_by(Document.created_at, Document.id)
                .limit(500)
            ).all()
        waiting = [
            {"id": r[0], "type": r[1], "date": r[2].strftime("%d/%m/%Y"), "unit": r[3] or ""}
            for r in rows
        ]
        return self.render(request, "review.html", waiting=waiting)

    # ----------------------------------------------------------------- one document

    def _document(self, request: Request) -> ReviewDocument | None:
        doc_id = request.path_params["doc_id"]
        if not DOCUMENT_ID.fullmatch(doc_id):  # a URL never reaches the store unchecked
            return None
        with self.store.session() as s:
            return load_document(s, self.schemas, doc_id)

    async def document(self, request: Request) -> Response:
        refused = self._signed_in(request)
        if refused is not None:
            return refused
        doc = self._document(request)
        if doc is None:
            return self.render(request, "missing.html", 404)
        gettext = gettext_for(_lang(request))
        pdf = self.layout.resolve(doc.output_path)
        return self.render(
            request,
            "document.html",
            doc=doc,
            items=item_rows(doc, gettext),
            pdf_missing=not pdf.is_file(),
            problems=[in_language(p, gettext) for p in request.query_params.getlist("problem")],
        )

    async def page_image(self, request: Request) -> Response:
        refused = self._signed_in(request)
        if refused is not None:
            return Response(status_code=403)
        doc = self._document(request)
        page_no = int(request.path_params["page"])
        if doc is None or not 0 <= page_no < len(doc.pages):
            return Response(status_code=404)
        pdf = self.layout.resolve(doc.output_path)
        if not pdf.is_file():
            return Response(status_code=404)
        wanted = request.query_params.get("field")
        item = next((i for i in doc.items if i.name == wanted), None)
        png = await asyncio.to_thread(page_png, pdf, doc, page_no, item)
        return Response(png, media_type="image/png")

    async def decide(self, request: Request) -> Response:
        refused = self._signed_in(request)
        if refused is not None:
            return refused
        form = await request.form()
        doc = self._document(request)
        name = request.path_params["name"]
        if doc is None or all(i.name != name for i in doc.items):
            return self.render(request, "missing.html", 404)
        if not csrf_ok(request.session, form.get("csrf")):
            return RedirectResponse(f"/review/{doc.id}", status_code=303)
        reviewer = Reviewer(
            self.store, self.schemas, str(request.session["user"]), self.province_codes
        )
        seen = str(form.get("seen", "")) or None
        if form.get("action") == "accept" and seen is not None:
            outcome = await asyncio.to_thread(reviewer.accept, doc.id, name, seen)
        else:
            typed = str(form.get("value", "")).strip()[:500]
            outcome = await asyncio.to_thread(reviewer.correct, doc.id, name, typed, seen)
        if not outcome.saved:
            query = urlencode([("problem", p) for p in outcome.problems])
            return RedirectResponse(f"/review/{doc.id}?{query}", status_code=303)
        if outcome.registered:  # nothing left: the next document waiting opens
            waiting = await asyncio.to_thread(queue, self.store)
            target = f"/review/{waiting[0]}" if waiting else "/review"
            return RedirectResponse(target, status_code=303)
        return RedirectResponse(f"/review/{doc.id}", status_code=303)

    async def lookup(self, request: Request) -> Response:
        refused = self._signed_in(request)
        if refused is not None:
            return refused
        typed = request.query_params.get("q", "")
        query = understand_query(typed)
        found: list[dict[str, object]] = []
        if not query.empty():
            with self.store.session() as s:
                hits = await asyncio.to_thread(search, s, self.schemas, query)
                if not hits and query.name:  # a few words that name nobody: words of a text
                    words = replace(query, name=None, text=query.name)
                    hits = await asyncio.to_thread(search, s, self.schemas, words)
            found = [
                {
                    "id": h.document_id,
                    "type": h.doc_type,
                    "key": h.key_value or "",
                    "unit": h.unit_name or h.unit_code or "",
                    "date": h.created_at.strftime("%d/%m/%Y"),
                    "status": h.status,
                }
                for h in hits
            ]
        return self.render(request, "lookup.html", q=typed, found=found, searched=not query.empty())


def create_app(settings: WebSettings) -> Starlette:
    pages = Pages(settings)
    routes = [
        Route("/", pages.home),
        Route("/login", pages.login_form, methods=["GET"]),
        Route("/login", pages.login, methods=["POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/review", pages.review),
        Route("/lookup", pages.lookup),
        Route("/review/{doc_id}", pages.document),
        Route("/review/{doc_id}/page/{page:int}.png", pages.page_image),
        Route("/review/{doc_id}/field/{name}", pages.decide, methods=["POST"]),
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(BaseHTTPMiddleware, dispatch=security_headers),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret,
            session_cookie="digitizer_session",
            max_age=SESSION_HOURS * 3600,
            same_site="strict",
            https_only=False,  # loopback; behind the office's proxy the proxy adds TLS
        ),
    ]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.pages = pages
    return app
