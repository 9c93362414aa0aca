"""The knowledge manager's admin flow in real Chromium: log in, upload a Markdown
publication with metadata, check the preview, commit, find it by search, remove it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import ADMIN_TOKEN, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOKEN = ADMIN_TOKEN
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "tryghed-og-energi.md"
TITLE = "Tryghed og energi i almene boligområder"
QUESTION = "varmepumper i Viborg"


@pytest.fixture
def admin_page(browser, admin_server):
    # A 401 for the wrong token is expected ("Failed to load resource"); script and CSP
    # errors are not.
    context, pg, errors = watched_page(
        browser, admin_server, console_error=lambda text: "Failed to load resource" not in text
    )
    yield pg
    context.close()
    assert not errors, errors


def unlabelled_fields(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll(
            'main input:not([type=hidden]), main select, main textarea')]
            .filter(el => el.labels.length === 0).map(el => el.name || el.id)"""
    )


def test_log_in_upload_preview_commit_search_and_remove(admin_page, artifacts):
    page = admin_page
    page.goto("/admin")
    assert "/admin/login" in page.url
    assert unlabelled_fields(page) == []
    page.screenshot(path=artifacts / "admin-login.png", full_page=True)
    page.get_by_label("Adgangsnøgle").fill("not-the-token-0123456789")
    page.get_by_role("button", name="Log ind").click()
    expect(page.locator("#login-error")).to_contain_text("Adgangsnøglen er forkert")
    page.get_by_label("Adgangsnøgle").fill(TOKEN)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url("**/admin")
    assert unlabelled_fields(page) == []
    page.screenshot(path=artifacts / "admin-list.png", full_page=True)

    page.get_by_label("Fil", exact=True).set_input_files(str(FIXTURE))
    page.get_by_label("Udgiver").fill("Landsbyggefonden")
    page.get_by_label("Udgivelsesår").fill("2024")
    page.get_by_label("Udgave").fill("2. udgave")
    page.get_by_label("Webadresse").fill("https://example.org/tryghed-og-energi")
    page.get_by_label("Rettighedsnote").fill("Må deles med kildeangivelse")
    page.get_by_label("Erstatter").select_option(label="Værdiskabende gentagelser (2023)")
    page.get_by_role("button", name="Vis forhåndsvisning").click()
    page.wait_for_url("**/admin/upload/*")

    themes = page.locator(".preview-themes li").all_inner_texts()
    assert themes == ["Tryghed", "Energi"]
    cases = page.locator(".preview-cases tbody tr")
    assert cases.count() == 3
    row = page.locator(".preview-cases tr", has_text="Lys på stierne i Gellerup")
    assert "Brabrand Boligforening" in row.inner_text()
    assert page.locator("#preview-passages").inner_text().strip().isdigit()
    page.screenshot(path=artifacts / "admin-preview.png", full_page=True)

    page.get_by_role("button", name="Gem og indeksér").click()
    # ingest and a new snapshot: the answer page can take a while on a busy machine
    expect(page.locator("main")).to_contain_text("kan nu findes i søgningen", timeout=120_000)
    page.screenshot(path=artifacts / "admin-committed.png", full_page=True)

    page.goto(f"/?q={QUESTION}")
    assert TITLE in page.locator("main").inner_text()

    page.goto("/admin")
    page.get_by_role("link", name=f"Fjern {TITLE}").click()
    page.get_by_role("button", name="Ja, fjern publikationen").click()
    expect(page.locator("main")).to_contain_text("er fjernet", timeout=120_000)
    page.screenshot(path=artifacts / "admin-removed.png", full_page=True)
    page.goto(f"/?q={QUESTION}")
    assert TITLE not in page.locator("main").inner_text()


def test_focus_is_visible_on_admin_fields(admin_page):
    page = admin_page
    page.goto("/admin/login")
    page.keyboard.press("Tab")  # the skip link first
    page.get_by_label("Adgangsnøgle").focus()
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none" and outline[1] != "0px", outline
