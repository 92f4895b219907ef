"""About 200 XSS payloads in every name, message and upload people can write, rendered by
headless Chromium on the pages that show them: 0 scripts may run.

Every payload calls `window.__xss(n)` (n its number) if it runs; an init script defines that
function and reports each call, and any dialog counts too. The browser context bypasses the
Content-Security-Policy, so the test proves the escaping itself, not only that CSP blocked a
script. After each page the DOM is also searched for what an injection would leave behind
without running yet (an `on…` handler attribute, a `javascript:` URL, a `srcdoc`), and for
"XSS49", which template syntax like `XSS{{7*7}}` would print if anything evaluated it.
"""

import csv
import datetime
import io
import itertools

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from core.models import OutboundEmail
from core.money import Money
from incentives import tokens
from incentives.services import incentives_send
from incentives.views.send import PREVIEW_SESSION_KEY
from offers import services as offers
from offers.demo import walk_to
from offers.models import IncentiveProgram, IncentiveType, LinkTemplate, Offer, ProviderProfile
from offers.transitions import Party, Status
from rewards.models import Redemption
from rewards.services import Actor as RewardActor
from rewards.services import advocate_create, reward_account_create, reward_create
from studies.models import Participant, Study, StudyParticipant
from studies.services import study_create, study_participant_add
from tenancy.models import Organization, User

CALL = "window.__xss(N)"
VECTORS = [
    "<script>CALL</script>",
    "<img src=x onerror=CALL>",
    "<IMG SRC=x OnErRoR=CALL>",
    "<img/src=x/onerror=CALL>",
    '<img src=x onerror="&#119;indow.__xss(N)">',
    "<svg onload=CALL>",
    "<svg><script>CALL</script></svg>",
    "<svg><animate onbegin=CALL attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=CALL>",
    '<iframe srcdoc="<script>parent.__xss(N)</script>"></iframe>',
    '<iframe src="javascript:parent.__xss(N)"></iframe>',
    "<body onload=CALL>",
    "<details open ontoggle=CALL>",
    "<input autofocus onfocus=CALL>",
    "<video><source onerror=CALL></video>",
    "<audio src=x onerror=CALL>",
    "<marquee onstart=CALL>x</marquee>",
    "<link rel=stylesheet href=x onerror=CALL>",
    '<a href="javascript:CALL">link</a>',
    '<form action="javascript:CALL"><button>go</button></form>',
    '<object data="javascript:CALL"></object>',
    "<scr<script>ipt>CALL</scr</script>ipt>",
    '<noscript><p title="</noscript><img src=x onerror=CALL>">',
    '<div hx-get="/" hx-trigger="load" hx-on::after-request="CALL">htmx</div>',
    "javascript:CALL",
    "{{constructor.constructor('CALL')()}}",
    "${CALL}",
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=CALL )//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=CALL//>\\x3e",
]
TEMPLATE_SYNTAX = ["XSS{{7*7}}", "XSS${7*7}", "XSS#{7*7}", "XSS{% templatetag openvariable %}", "XSS{7*7}", "XSS<%= 7*7 %>"]
BREAKOUTS = ["", '">', "'>", "</textarea>", "</title>", "</script>", "-->"]


def make_payloads() -> list[str]:
    """Each vector after each breakout (plain text, an attribute, a textarea, a title, a
    script, a comment), each numbered, then template syntax on its own."""
    combined = [breakout + vector for breakout in BREAKOUTS for vector in VECTORS]
    return [
        p.replace("CALL", f"window.__xss({k})").replace("__xss(N)", f"__xss({k})") for k, p in enumerate(combined, start=1)
    ] + TEMPLATE_SYNTAX


PAYLOADS = make_payloads()

# What an injection would leave in the DOM even before it runs.
FIND_INJECTIONS = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const v = a.value.trim().toLowerCase();
      if (a.name.startsWith('on') || a.name === 'srcdoc' || a.name.startsWith('hx-on')
          || (['href', 'src', 'action', 'formaction', 'data'].includes(a.name) && v.startsWith('javascript:'))) {
        found.push(el.tagName + ' ' + a.name + '=' + a.value.slice(0, 60));
      }
    }
  }
  return found;
}"""


# Resolves once the page has settled: no htmx request in flight, and a control image that fails
# to load, started last, has had its error handler run, so the page's own images (and any
# onerror/onload an injected attribute carried) have had their turn. No fixed wait.
SETTLED = """() => new Promise((done) => {
  const idle = () => document.querySelector('.htmx-request') ? setTimeout(idle, 10) : control();
  const control = () => {
    const image = new Image();
    image.onerror = image.onload = () => requestAnimationFrame(() => done(true));
    image.src = '/static/__xss-control-missing.png?' + Math.random();
  };
  idle();
})"""


def chunks(payloads, limit):
    """Payloads joined by spaces into strings of at most `limit` characters."""
    out, current = [], ""
    for payload in payloads:
        if current and len(current) + 1 + len(payload) > limit:
            out.append(current)
            current = ""
        current = f"{current} {payload}".strip()
    return out + [current] if current else out


def csv_text(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def hostile(demo):
    """Acme's demo data plus the payloads in every field that people write."""
    acme = Organization.objects.get(slug="acme")
    owner = User.objects.get(email="owner@acme.test")
    provider_user = User.objects.get(email="provider@acme.test")
    budget = Study.objects.for_org(acme).first().budget
    names = [p for p in PAYLOADS if len(p) <= 200]
    world = {"org": acme, "owner": owner}

    # Studies: names and descriptions.
    world["studies"] = [
        study_create(
            organization=acme, name=name, description=description, budget=budget,
            amount=Money(100, budget.currency), actor=owner,
        )
        for name, description in zip(chunks(PAYLOADS, 200), chunks(PAYLOADS, 2000) * 50)
    ]
    study = world["study"] = world["studies"][0]
    # Participants: half added one by one, half left for the CSV upload in the browser.
    half = len(names) // 2
    for i, name in enumerate(names[:half]):
        study_participant_add(
            study=study, actor=owner, name=name, email=f"one{i}@example.test",
            status=StudyParticipant.Status.INCENTIVE_NOT_SENT,
        )
    world["participants_csv"] = csv_text(
        ["name", "email"], [(name, f"csv{i}@example.test") for i, name in enumerate(names[half:])]
    )
    # The thank-you message and subject, sent to the first half.
    message = "\n".join(PAYLOADS)
    sent = incentives_send(
        study=study,
        participant_ids=Participant.objects.for_org(acme).filter(email__startswith="one").values_list("pk", flat=True),
        amount=Money(100, budget.currency), subject=names[0], message=message, actor=owner,
    )
    world["claim_tokens"] = [tokens.claim_token(incentive.token_nonce) for incentive in sent[:3]]
    world["preview"] = {"study": study.pk, "name": names[1], "amount": 100, "subject": names[2], "message": message}

    # Offers: the provider's name, recipients' names, messages both ways, counter terms, notes.
    ProviderProfile.objects.for_org(acme).update(display_name=names[3], description=message)
    program = IncentiveProgram.objects.for_org(acme).first()
    expires = datetime.date.today() + datetime.timedelta(days=20)

    numbers = itertools.count(1)

    # Offer messages and notes hold at most 5,000 characters: the payloads in messages that fit.
    parts, part = [], []
    for payload in PAYLOADS:
        if part and len("\n".join([*part, payload])) > 5_000:
            parts.append("\n".join(part))
            part = []
        part.append(payload)
    parts.append("\n".join(part))

    def offer(name, send=True, text=parts[0]):
        return offers.offer_create(
            organization=acme, actor=provider_user, send=send, program=program, delivery=Offer.Delivery.EMAIL,
            value=Money(2500, "USD"), incentive_type=IncentiveType.GIFT_CARD, recipient_name=name,
            recipient_email=f"r{next(numbers)}@example.test", message=text, expires_on=expires,
        )

    world["offers"] = [offer(name, text=parts[i % len(parts)]) for i, name in enumerate(chunks(PAYLOADS, 200))]
    world["offers"] += [offer(names[4], text=text) for text in parts[len(world["offers"]):]]
    talk = world["talk"] = world["offers"][0]
    member = talk.members.get()
    world["member_token"] = member.token
    for i, payload in enumerate(PAYLOADS):
        # Odd ones from the provider, even ones from the recipient.
        sender = {"user": provider_user} if i % 2 else {"member": member}
        offers.message_post(offer=talk, body=payload, **sender)
    offers.offer_transition(
        offer=talk, to_status=Status.COUNTER, actor_kind=Party.RECIPIENT, member=member,
        terms=Money(3000, "USD"), note=parts[0],
    )
    # Acknowledged offers (the widget) and distributions.
    world["acknowledged"] = []
    for text in chunks(PAYLOADS, 500):
        done = walk_to(offer(names[5], send=False, text=""), Status.COMPLETED, provider_user)
        if not world["acknowledged"]:
            for payload in PAYLOADS:
                offers.distribution_record(
                    offer=done, actor=provider_user, amount=Money(1, "USD"), distributed_on=datetime.date.today(),
                    method="gift_card", reference=payload[:200], note=payload,
                )
        done = offers.offer_transition(
            offer=done, to_status=Status.ACKNOWLEDGED, actor_kind=Party.RECIPIENT, member=done.members.first(),
            note=text, acknowledgement_name=text[:100],
        )
        world["acknowledged"].append(done)
    # Link templates.
    for name in chunks(PAYLOADS, 200):
        offers.link_template_save(
            organization=acme, name=name, program=program, message=message, incentive_type=IncentiveType.GIFT_CARD,
            currency="USD", amount_minor=1000, max_members=1, expiry_days=30,
        )
    # Rewards: account and participant (advocate) names, and the bulk upload's notes.
    world["accounts"] = []
    for i, name in enumerate(chunks(PAYLOADS, 200)):
        account = reward_account_create(organization=acme, name=name, external_id=f"XSS-{i}")
        advocate = advocate_create(account=account, name=name, email=f"adv{i}@example.test")
        reward_create(
            account=account, amount=Money(10_000, "USD"), source_event=name,
            event_at=datetime.datetime.now(datetime.UTC), actor=RewardActor.web(owner), advocate=advocate,
        )
        world["accounts"].append((account, advocate))
    # Good rows carry the payloads as notes; bad rows carry them where the error message quotes them.
    world["bulk_csv"] = csv_text(
        ["account_external_id", "amount", "note"],
        [("XSS-0", "0.01", payload[:500]) for payload in PAYLOADS]
        + [(payload[:100], payload[:20], "") for payload in PAYLOADS],
    )
    world["bad_participants_csv"] = csv_text(["name", "email"], [(name, name) for name in names])
    return world


@pytest.fixture
def xss_page(browser, live_server):
    """A page whose context ignores the CSP, with window.__xss and dialogs recorded."""
    context = browser.new_context(bypass_csp=True)
    executed = []
    context.expose_function("__xssReport", lambda n: executed.append(n))
    context.add_init_script("window.__xss = (n) => window.__xssReport(n);")
    page = context.new_page()
    page.on("dialog", lambda dialog: (executed.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.executed = executed
    yield page
    context.close()


def upload(name: str, text: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def log_in(page, base, email):
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("demo12345")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_no_payload_runs_on_any_page(xss_page, live_server, hostile, capsys):
    page, base, world = xss_page, live_server.url, hostile
    visited, left_behind = [], []

    def check(label):
        page.evaluate(SETTLED)
        for frame in page.frames:
            left_behind.extend(f"{label}: {found}" for found in frame.evaluate(FIND_INJECTIONS))
            if "XSS49" in frame.content():
                left_behind.append(f"{label}: template syntax evaluated")
        visited.append(label)

    def visit(path, pages=1):
        for number in range(1, pages + 1):
            url = f"{base}{path}" + (f"{'&' if '?' in path else '?'}page={number}" if pages > 1 else "")
            response = page.goto(url)
            assert response.status < 400, f"{url}: {response.status}"
            check(url)

    log_in(page, base, "owner@acme.test")
    study = world["study"]

    # The check can fail: an injected handler that does run is seen, by the same wait.
    page.evaluate("""() => { document.body.insertAdjacentHTML('beforeend', '<img id=canary src=x onerror="__xss(`canary`)">'); }""")
    page.evaluate(SETTLED)
    for _ in range(100):  # the exposed function reports asynchronously: poll for it, up to 5 s
        if "canary" in page.executed:
            break
        page.wait_for_timeout(50)
    assert "canary" in page.executed, page.executed
    page.executed.remove("canary")
    page.evaluate("() => document.getElementById('canary').remove()")

    # The CSV uploads, through the browser: participants, and bulk redemption notes (preview, then apply).
    page.goto(f"{base}/studies/{study.pk}/")
    page.get_by_label("CSV file").set_input_files(files=[upload("people.csv", world["participants_csv"])])
    page.get_by_role("button", name="Upload CSV").click()
    page.wait_for_load_state()
    check("participants CSV upload")
    page.get_by_label("CSV file").set_input_files(files=[upload("bad.csv", world["bad_participants_csv"])])
    page.get_by_role("button", name="Upload CSV").click()
    page.wait_for_load_state()
    check("participants CSV upload refused, each bad row quoted")
    assert StudyParticipant.objects.for_org(world["org"]).filter(study=study, participant__email__startswith="csv").exists()
    page.goto(f"{base}/rewards/bulk/")
    page.locator("input[type=file]").set_input_files(files=[upload("bulk.csv", world["bulk_csv"])])
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    check("bulk redemption preview")
    page.locator("form:has(input[name=csv_text]) button[type=submit]").click()
    page.wait_for_load_state()
    check("bulk redemption applied")
    assert Redemption.objects.for_org(world["org"]).filter(note=PAYLOADS[0]).exists()

    # Studies, participants, the send preview, the outbox.
    visit("/studies/", pages=len(world["studies"]) // 50 + 1)
    for each in world["studies"][:10]:
        visit(f"/studies/{each.pk}/")
        visit(f"/studies/{each.pk}/edit/")
    for group in ("done", "invited", "sent"):
        visit(f"/studies/{study.pk}/panel/?group={group}")
    # The wizard keeps the draft it previews in the session: put the hostile draft there.
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies(base)}
    session = SessionStore(cookies[settings.SESSION_COOKIE_NAME])
    session[PREVIEW_SESSION_KEY] = world["preview"]
    session.save()
    visit(f"/studies/{study.pk}/send/preview.html")
    visit("/incentives/recipients/", pages=3)
    visit("/outbox/", pages=3)
    for email in OutboundEmail.objects.for_org(world["org"]).order_by("-pk")[:5]:
        visit(f"/outbox/{email.pk}/")
        visit(f"/outbox/{email.pk}/html/")

    # Offers: the list, details, messages, distributions, members, widget pages, link templates.
    visit("/provider/incentive-offers/", pages=len(world["offers"]) // 25 + 2)
    talk = world["talk"]
    for path in ("", "edit/", "messages/", "members/"):
        visit(f"/provider/incentive-offers/{talk.pk}/{path}")
    for each in world["offers"][1:6]:
        visit(f"/provider/incentive-offers/{each.pk}/")
    first_ack = world["acknowledged"][0]
    visit(f"/provider/incentive-offers/{first_ack.pk}/distributions/")
    for each in world["acknowledged"]:
        each.refresh_from_db()
        visit(f"/provider/incentive-offers/{each.pk}/")
        visit(f"/provider/incentive-offers/{each.pk}/widget/")
        visit(f"/widget/{each.widget_token}/")
    visit("/provider/incentive-offers/link-templates/", pages=3)
    for template in LinkTemplate.objects.for_org(world["org"]).order_by("-pk")[:3]:
        visit(f"/provider/incentive-offers/link-templates/{template.pk}/")
    visit("/provider/profile/")
    visit("/provider/programs/")

    # Rewards: accounts and participants.
    visit("/rewards/", pages=len(world["accounts"]) // 25 + 1)
    for _, advocate in world["accounts"][:5]:
        visit(f"/rewards/participants/{advocate.pk}/")

    # Public pages, logged out: the claim page, the recipient's offer page and its messages.
    page.context.clear_cookies()
    for token in world["claim_tokens"]:
        visit(f"/claim/{token}/")
    visit(f"/offer/{world['member_token']}/")
    visit(f"/offer/{world['member_token']}/messages/")

    with capsys.disabled():
        print(f"\n[xss] {len(PAYLOADS)} payloads × {len(visited)} pages, {len(page.executed)} executed, "
              f"{len(left_behind)} live injections left in the DOM")
    assert page.executed == []
    assert left_behind == []
