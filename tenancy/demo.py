from .models import Membership, Organization, User

PASSWORD = "demo12345"
Role = Membership.Role

ORGANIZATIONS = {"acme": "Acme Research", "globex": "Globex Corporation"}
# The modules each organization uses: Globex has reward accounts and sends no offers.
MODULES = {"acme": {}, "globex": {"offers_enabled": False}}
PEOPLE = [
    # email, name, organization, role, what the login is for
    ("owner@acme.test", "Olivia Owner", "acme", Role.OWNER, "owner, Acme"),
    ("researcher@acme.test", "Riley Researcher", "acme", Role.RESEARCHER, "researcher, owns some studies"),
    ("viewer@acme.test", "Vic Viewer", "acme", Role.VIEWER, "viewer, read-only"),
    ("finance@acme.test", "Frankie Finance", "acme", Role.FINANCE, "finance: the Payouts page"),
    ("provider@acme.test", "Pat Provider", "acme", Role.ADMIN, "provider dashboard (admin)"),
    ("owner@globex.test", "Gina Globex", "globex", Role.OWNER, "owner, the other organization"),
]


def seed(demo, stdout):
    demo.password = PASSWORD
    demo.orgs = {
        slug: Organization.objects.get_or_create(slug=slug, defaults={"name": name, **MODULES[slug]})[0]
        for slug, name in ORGANIZATIONS.items()
    }
    # Whom participants contact, and the account SEPA payouts are paid from (a test IBAN).
    Organization.objects.filter(slug="acme", reply_to_email="").update(
        reply_to_email="research@acme.test", sepa_debtor_name="Acme Research",
        sepa_debtor_iban="DE89370400440532013000", sepa_debtor_bic="COBADEFFXXX",
    )
    demo.users = {}
    demo.logins = []
    for email, name, org, role, purpose in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, PASSWORD, name=name, is_staff=(role == Role.OWNER and org == "acme"), is_superuser=(role == Role.OWNER and org == "acme"))
        Membership.objects.get_or_create(user=user, organization=demo.orgs[org], defaults={"role": role})
        demo.users[email] = user
        demo.logins.append((email, purpose))
