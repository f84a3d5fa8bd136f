"""Error pages in the site's shell, each with the request's id to quote; a 500 rolls the
transaction back (Flask has logged it, with the same id: lms/errors/logs.py)."""

from flask import Blueprint, render_template
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError

from ..extensions import db
from .logs import request_id

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: ("Something was wrong with that request", "The page could not use what your browser sent. Go back, reload the page and try again."),
    403: ("You do not have permission to see this page", "If you think you should, ask your Safeguarding Lead or an administrator."),
    404: ("Page not found", "If you typed the address, check it is correct. If you followed a link, it may have expired or been used already."),
    405: ("That action is not allowed here", "Go back and use the buttons on the page."),
    409: ("That could not be done", "Someone or something changed it first. Go back, reload the page and try again."),
    413: ("The file or form is too large", "Choose a smaller file and try again."),
    429: ("Too many attempts", "For your security, please wait 15 minutes before you try again."),
    500: ("Sorry, something went wrong", "The problem has been logged. Please try again in a few minutes."),
}


def render_error(code: int, detail: str | None = None):
    title, body = MESSAGES[code]
    if request_ctx.url_adapter is None:
        # The request named a host this server does not answer for: no page links can be built.
        return (
            f"{title}. This server does not answer for that address. (Reference {request_id()})\n",
            code,
            {"Content-Type": "text/plain; charset=utf-8"},
        )
    return render_template(
        "errors/error.html", code=code, title=title, body=detail or body, request_id=request_id()
    ), code


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    return render_error(
        400, "Your form had expired or was sent from elsewhere, so nothing was saved. Go back, reload the page and try again."
    )


@bp.app_errorhandler(500)
def server_error(error):
    db.session.rollback()
    return render_error(500)


def _register(code: int) -> None:
    bp.app_errorhandler(code)(lambda error: render_error(code))


for _code in (400, 403, 404, 405, 409, 413, 429):
    _register(_code)
