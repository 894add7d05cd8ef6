"""Steps several browser tests take the same way: signing in, and the staff's round 1."""

from __future__ import annotations

from typing import Any


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    """Through the login form, as a user would; returns once the site has let the user in."""
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)


def publish_round_one(page: Any, seed: str, reason: str = "报名截止") -> None:
    """On the staff's admissions page: freeze the list (with its reason), announce the seed,
    draw, and publish round 1, each step once the page offers it."""
    page.fill("#freeze-reason", reason)
    page.click("form[action='/admissions/freeze'] button")
    page.wait_for_selector("#list-hash")
    page.fill("#seed", seed)
    page.click("form[action='/admissions/seed'] button")
    page.wait_for_selector("form[action='/admissions/draw']")
    page.click("form[action='/admissions/draw'] button")
    page.wait_for_selector("form[action='/admissions/publish']")
    page.click("form[action='/admissions/publish'] button")
    page.wait_for_load_state()
