"""Issue 16's walk of the rewards page, in French: the seed is impact.com's French help page.

The browser asks for French (`Accept-Language: fr-FR`, Playwright's locale); every label, button,
confirm question and message is the French catalogue's, and amounts are written the French way
("20,00 $US"). JavaScript `\\s` matches the no-break spaces Babel and Intl put in amounts.
"""

import re

import pytest
from playwright.sync_api import expect


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR"}


@pytest.fixture
def se_connecter(page, live_server):
    def go(email, password="demo12345"):
        page.goto(f"{live_server.url}/login/")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(lambda url: "/login/" not in url)

    return go


def test_the_seed_walk_in_french(page, live_server, demo, se_connecter, csp_violations):
    se_connecter("owner@acme.test")

    # A program with a 14-day pending period.
    page.get_by_role("link", name="Récompenses").first.click()
    page.get_by_role("link", name="Programmes").click()
    page.get_by_label(re.compile(r"^Nom\b")).fill("Parrainage de printemps")
    page.get_by_label(re.compile(r"^Montant\b")).fill("20.00")
    page.get_by_label("Période d’attente (jours)").fill("14")
    page.get_by_role("button", name="Créer le programme").click()
    expect(page.get_by_text("Programme « Parrainage de printemps » créé.")).to_be_visible()
    expect(page.locator("tr", has_text="Parrainage de printemps")).to_contain_text("14 jours")

    # A reward given to Dan Brooks, of the two-member Contoso account: pending for 14 days.
    page.get_by_role("link", name="Participants").click()
    page.get_by_role("link", name="Dan Brooks").click()
    page.locator("#give-reward summary").click()
    page.get_by_label("Programme").select_option(label="Parrainage de printemps")
    page.get_by_label("Ce qui l’a rapportée").fill("Parrainage : Zoé s’est inscrite")
    page.locator("#give-reward button[type=submit]").click()
    expect(page.get_by_text(re.compile(
        r"20,00\s\$US attribués à Dan Brooks \(Parrainage de printemps\) ; elle est en attente jusqu’au 20"
    ))).to_be_visible()
    row = page.locator("tr", has_text="Zoé s’est inscrite")
    expect(row).to_contain_text("Période d’attente jusqu’au")
    expect(row).to_contain_text("programme Parrainage de printemps")
    expect(row).to_contain_text("annulable jusqu’au")

    # Released early the documented way: cancel, then un-cancel (both asked first).
    row.get_by_role("button", name="Annuler la récompense").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text(re.compile(r"Annuler cette récompense de 20,00\s\$US \? Son montant quitte le compte\."))
    dialog.get_by_role("button", name="Oui, annuler la récompense").click()
    expect(page.get_by_text(re.compile(r"La récompense de 20,00\s\$US pour Parrainage : Zoé s’est inscrite est annulée\."))).to_be_visible()
    row = page.locator("tr", has_text="Zoé s’est inscrite")
    row.get_by_role("button", name="Lever l’annulation de la récompense").click()
    expect(dialog).to_contain_text("Son montant revient sur le compte")
    dialog.get_by_role("button", name="Oui, lever l’annulation").click()
    expect(page.get_by_text("La récompense est rétablie ; elle est disponible.")).to_be_visible()

    # A partial redemption from Dan's profile is seen on Eve Martin's, the account's other member.
    row = page.locator("tr", has_text="Zoé s’est inscrite")
    row.get_by_label("Montant à échanger (USD)").fill("5.00")
    row.get_by_role("button", name="Échanger", exact=True).click()
    expect(dialog).to_contain_text(re.compile(r"Échanger 5,00\s\$US de cette récompense \? Il restera 15,00\s\$US\."))
    dialog.get_by_role("button", name=re.compile(r"^Échanger 5,00\s\$US$")).click()
    expect(page.get_by_text(re.compile(r"5,00\s\$US échangés ; il reste 15,00\s\$US sur cette récompense\."))).to_be_visible()
    page.get_by_role("link", name="Eve Martin").click()
    expect(page.get_by_role("heading", name="Eve Martin")).to_be_visible()
    expect(page.locator("tr", has_text="Zoé s’est inscrite")).to_contain_text(re.compile(r"15,00\s\$US"))
    expect(page.get_by_text("Les heures sont indiquées dans le fuseau")).to_be_visible()

    # A bulk file from French Excel: semicolons, a decimal comma, Windows-1252, a duplicate row.
    page.get_by_role("link", name="Récompenses").first.click()
    page.get_by_role("link", name="Échange en masse").click()
    csv = "account_external_id;reward_external_id;amount;currency;note\nACC-1002;;1,00;USD;décembre\nACC-1002;;1,00;USD;décembre\n"
    page.get_by_label("Fichier CSV").set_input_files(files=[{"name": "échanges.csv", "mimeType": "text/csv", "buffer": csv.encode("cp1252")}])
    page.get_by_role("button", name="Aperçu").click()
    rows = page.locator("#bulk-rows")
    expect(rows).to_contain_text("Contoso Ltd")
    expect(rows).to_contain_text("Identique à la ligne 2 ; non appliquée sauf si vous la cochez.")
    expect(page.get_by_text("1 ligne est identique à une ligne précédente ; elle n’est appliquée que si vous la cochez.")).to_be_visible()
    page.get_by_role("button", name="Appliquer 1 ligne valide et les doublons cochés").click()
    warning = page.locator(".flash-warning")
    expect(warning).to_contain_text("1 ligne(s) appliquée(s) sur 2. Non appliquées : ligne 3 : Identique à la ligne 2")

    # A reward whose event is over two years old can't be cancelled; its row says why, in French.
    page.get_by_role("link", name="Récompenses").first.click()
    page.get_by_role("link", name="Chloe Kim").click()
    old = page.locator("tr", has_text="Loyalty anniversary")
    expect(old).to_contain_text("ne peut être annulée que dans les deux ans suivant son événement")
    expect(old.get_by_role("button", name="Annuler la récompense")).to_have_count(0)
    assert csp_violations == []


def test_the_switcher_in_the_user_menu_turns_the_page_to_english_and_stays_on_it(page, live_server, demo, se_connecter):
    se_connecter("viewer@acme.test")
    page.goto(f"{live_server.url}/rewards/programs/")
    expect(page).to_have_title(re.compile("^Programmes de récompenses"))
    page.locator(".app-header details.dropdown > summary").click()
    page.get_by_label("Langue").select_option("en")
    page.wait_for_url(re.compile(r"/rewards/programs/$"))
    expect(page).to_have_title(re.compile("^Reward programs"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # Saved as the viewer's setting: it wins over the browser's French from now on.
    page.goto(f"{live_server.url}/rewards/")
    expect(page.get_by_role("link", name="Participants")).to_be_visible()
    expect(page.get_by_text("Log out")).to_be_attached()
