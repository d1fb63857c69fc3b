"""Members for the benchmark, made through the real forms and the real confirmation email."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie

import httpx

from bench.services import MailSink

SESSION_COOKIE = "mu_session"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A client that keeps the session cookie itself, so its value can be handed to wrk."""

    def __init__(self, base_url: str, session: str = "") -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30.0, follow_redirects=False)
        self.session = session

    @property
    def cookie(self) -> str:
        return f"{SESSION_COOKIE}={self.session}" if self.session else ""

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {"Accept-Encoding": "identity", **(headers or {})}
        if self.session:
            sent["Cookie"] = self.cookie
        response = self.client.request(method, path, headers=sent, data=data)
        self.client.cookies.clear()
        for header in response.headers.get_list("set-cookie"):
            morsel = SimpleCookie(header).get(SESSION_COOKIE)
            if morsel is not None:
                self.session = morsel.value
        return response

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.request("GET", path, headers)

    def csrf_token(self, path: str) -> str:
        match = CSRF.search(self.get(path).text)
        if match is None:
            raise RuntimeError(f"no CSRF token in {path}")
        return match.group(1)

    def post_form(self, path: str, data: dict[str, str]) -> httpx.Response:
        token = self.csrf_token(path)
        return self.request("POST", path, data={**data, "csrf_token": token})

    def close(self) -> None:
        self.client.close()


@dataclass(frozen=True)
class Member:
    email: str
    key: str
    cookie: str
    csrf_token: str

    @property
    def session(self) -> str:
        """The signed value of the session cookie."""
        return self.cookie.split("=", 1)[1]


def confirmed_member(base_url: str, mail: MailSink) -> Member:
    """Signs up, reads the access key and the link in the sign-up email, follows the link (which
    logs in) and reads a page to drop its flash."""
    browser = Browser(base_url)
    try:
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
        welcome = browser.post_form("/auth/signup", {"email": email})
        if welcome.status_code != 200:
            raise RuntimeError(f"sign-up failed: {welcome.status_code} {welcome.text[:500]}")
        letter = mail.signup_email(email)
        confirmed = browser.get(letter.link)
        if confirmed.status_code != 303:
            raise RuntimeError(f"confirmation answered {confirmed.status_code}")
        token = browser.csrf_token("/album/")
        return Member(email, letter.key, browser.cookie, token)
    finally:
        browser.close()


def guest_form(base_url: str, path: str) -> tuple[str, str]:
    """A guest's session cookie and the CSRF token of the form at `path`."""
    browser = Browser(base_url)
    try:
        token = browser.csrf_token(path)
        return browser.cookie, token
    finally:
        browser.close()
