"""The admin's permission groups, one per role: what each role needs, declared once.

A staff user's role (its Membership) decides what the access policy lets it see and do; the
group of that role gives it the model permissions the admin asks for, so an administrator
creating a coordinator picks an organization and a role on the user's page and nothing else.
`membership_set` keeps a user in the group of its role only.

The groups are kept equal to this declaration after every `migrate` (permissions exist only
once migrate has created them, so a data migration alone could not grant the permissions of
models added later). A deployment that wants other permissions makes groups of its own.

What the declaration leaves out on purpose:
- deleting incidents, orders and sources: a report is rejected or disputed, an order lifted;
  the history of both is part of the areas' status. Only administrators (superusers) delete.
- the status policy and the engine's bookkeeping (runs, dirty marks): administrators only,
  since a policy change re-judges every area.
- citations and order targets: the admin's inlines take the permissions of their fact.
"""

from django.utils.translation import gettext_lazy as _

from evactrack.access.choices import Role

# Everything a role reads in the admin; the access policy still filters rows (a viewer sees
# verified incidents and its own organization's, as in the API).
READ = {
    "reports": ("incident", "evacuationorder", "populationcount", "controldesignation", "source"),
    "locations": ("area", "areaalias"),
    "status": ("areastatus", "statuschange"),
}
# (app label, model name) → the actions beyond "view" each role has on it.
PARTNER_WRITES = {("reports", "incident"): ("add", "change"), ("reports", "source"): ("add", "change")}
COORDINATOR_WRITES = {
    **PARTNER_WRITES,
    ("reports", "evacuationorder"): ("add", "change"),
    ("reports", "populationcount"): ("add", "change", "delete"),
    ("reports", "controldesignation"): ("add", "change", "delete"),
    ("locations", "area"): ("change",),
    ("locations", "areaalias"): ("add", "change", "delete"),
}
ROLE_WRITES = {Role.VIEWER: {}, Role.PARTNER: PARTNER_WRITES, Role.COORDINATOR: COORDINATOR_WRITES}
# The group names staff see on the user page, translated there; stored in English.
GROUP_NAMES = {Role.VIEWER: "Viewer", Role.PARTNER: "Partner", Role.COORDINATOR: "Coordinator"}
GROUP_LABELS = {Role.VIEWER: _("Viewer"), Role.PARTNER: _("Partner"), Role.COORDINATOR: _("Coordinator")}


def role_permissions(role: str) -> set[tuple[str, str]]:
    """{(app label, codename)} of the role's group: "view" on what it reads, and its writes."""
    codenames = {(app, f"view_{model}") for app, models in READ.items() for model in models}
    for (app, model), actions in ROLE_WRITES.get(role, {}).items():
        codenames.update((app, f"{action}_{model}") for action in actions)
    return codenames
