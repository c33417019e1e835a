"""Logging in, in German and in French, with the language switcher and a wrong password."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in

pytestmark = pytest.mark.e2e


def test_nurse_logs_in_in_german(e2e_server, page):
    log_in(page, e2e_server.url, "pflege")
    expect(page).to_have_url(e2e_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Petra Pflege")
    expect(page.get_by_role("heading", name="Meine Zuweisungen")).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("Demo")


def test_nurse_logs_in_in_french(e2e_server, browser):
    context = browser.new_context(locale="fr-CH", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(e2e_server.url + "/login")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
        page.get_by_label("Nom d’utilisateur").fill("soins")
        page.get_by_label("Mot de passe").fill("passerelle-demo")
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue, Sophie Soins")
        expect(page.get_by_text("Infirmier·ère · Spitex Démo Jura bernois")).to_be_visible()
    finally:
        context.close()


def test_language_switcher_changes_language_and_remembers_it(e2e_server, browser):
    context = browser.new_context(locale="de-CH")
    try:
        page = context.new_page()
        page.goto(e2e_server.url + "/login")
        expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
        page.get_by_role("button", name="Français").click()
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
        expect(page.get_by_role("button", name="Français")).to_have_attribute("aria-pressed", "true")
        # A logged-in person's choice is saved with their account and follows them.
        page.get_by_label("Nom d’utilisateur").fill("koordination")
        page.get_by_label("Mot de passe").fill("passerelle-demo")
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Karin Koordination")
        page.get_by_role("button", name="Français").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue, Karin Koordination")
        expect(page).to_have_url(e2e_server.url + "/")
    finally:
        context.close()
    fresh = browser.new_context(locale="de-CH")
    try:
        page = fresh.new_page()
        page.goto(e2e_server.url + "/login")
        page.locator("#username").fill("koordination")
        page.locator("#password").fill("passerelle-demo")
        page.locator("form.stack button[type=submit]").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue, Karin Koordination")
    finally:
        fresh.close()


def test_wrong_password_says_so_and_keeps_the_username(e2e_server, page):
    log_in(page, e2e_server.url, "pflege", "not-the-password")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "Benutzername oder Passwort ist falsch. Bitte prüfen Sie beides und versuchen Sie es erneut."
    )
    expect(page.locator("#username")).to_have_value("pflege")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password")).to_be_focused()
    expect(page.locator("#password")).to_have_value("")


def test_logout_returns_to_login(e2e_server, page):
    log_in(page, e2e_server.url, "analyse")
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(e2e_server.url + "/login")
    page.goto(e2e_server.url + "/")
    expect(page).to_have_url(e2e_server.url + "/login?next=/")
