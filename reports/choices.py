"""Choices of the reports: incident taxonomy (mapped to ACLED), orders, counts, sources."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentType(models.TextChoices):
    SHELLING = "shelling", _("shelling or artillery")
    AIR_DRONE_STRIKE = "air_drone_strike", _("air or drone strike")
    MISSILE_STRIKE = "missile_strike", _("missile strike")
    ARMED_CLASH = "armed_clash", _("armed clash or ground assault")
    ATTACK_ON_CIVILIANS = "attack_on_civilians", _("attack on civilians")
    ATTACK_ON_HEALTH_FACILITY = "attack_on_health_facility", _("attack on a health facility")
    MASS_GRAVE = "mass_grave", _("mass grave discovered")
    DETENTION_SITE = "detention_site", _("torture or detention site discovered")
    OTHER = "other", _("other")


# Evidence of past violence: found now, done before. By default they do not raise a present-day
# level (the policy's hazard types leave them out); they are still named in the reasons.
EVIDENCE_TYPES = frozenset({IncidentType.MASS_GRAVE, IncidentType.DETENTION_SITE})


class IncidentKind(models.TextChoices):
    """A discrete event, or an ongoing pattern a source describes ("an increase in shelling")."""

    EVENT = "event", _("event")
    # Scored once per window that overlaps occurred_on..occurred_until, not once per day.
    PATTERN = "pattern", _("pattern over a period")


# ACLED's civilian_targeting column: this text, or empty.
ACLED_CIVILIAN_TARGETING = "Civilian targeting"

# ACLED event_type / sub_event_type / civilian_targeting for each of our types, for exports to
# ACLED-shaped tools (ACLED codebook, 2023 and later: civilian_targeting is its own column).
ACLED_EVENT = {
    IncidentType.SHELLING: ("Explosions/Remote violence", "Shelling/artillery/missile attack", ""),
    IncidentType.AIR_DRONE_STRIKE: ("Explosions/Remote violence", "Air/drone strike", ""),
    IncidentType.MISSILE_STRIKE: ("Explosions/Remote violence", "Shelling/artillery/missile attack", ""),
    IncidentType.ARMED_CLASH: ("Battles", "Armed clash", ""),
    IncidentType.ATTACK_ON_CIVILIANS: ("Violence against civilians", "Attack", ACLED_CIVILIAN_TARGETING),
    IncidentType.ATTACK_ON_HEALTH_FACILITY: ("Explosions/Remote violence", "Shelling/artillery/missile attack", ""),
    IncidentType.MASS_GRAVE: ("Strategic developments", "Other", ""),
    IncidentType.DETENTION_SITE: (
        "Violence against civilians",
        "Abduction/forced disappearance",
        ACLED_CIVILIAN_TARGETING,
    ),
    IncidentType.OTHER: ("Strategic developments", "Other", ""),
}

# The other way, for imports of ACLED's files (reports.acled): (event_type, sub_event_type) →
# our type. A sub-event type not listed here takes its event type's entry under "". Event types
# not listed at all (Protests, Riots, Strategic developments) are not violence we score: an
# import skips those rows and counts them.
ACLED_TO_TYPE = {
    ("Explosions/Remote violence", "Shelling/artillery/missile attack"): IncidentType.SHELLING,
    ("Explosions/Remote violence", "Air/drone strike"): IncidentType.AIR_DRONE_STRIKE,
    ("Explosions/Remote violence", "Remote explosive/landmine/IED"): IncidentType.OTHER,
    ("Explosions/Remote violence", "Grenade"): IncidentType.OTHER,
    ("Explosions/Remote violence", "Suicide bomb"): IncidentType.OTHER,
    ("Explosions/Remote violence", "Chemical weapon"): IncidentType.OTHER,
    ("Explosions/Remote violence", ""): IncidentType.OTHER,
    ("Battles", "Armed clash"): IncidentType.ARMED_CLASH,
    ("Battles", "Government regains territory"): IncidentType.ARMED_CLASH,
    ("Battles", "Non-state actor overtakes territory"): IncidentType.ARMED_CLASH,
    ("Battles", ""): IncidentType.ARMED_CLASH,
    ("Violence against civilians", "Attack"): IncidentType.ATTACK_ON_CIVILIANS,
    ("Violence against civilians", "Sexual violence"): IncidentType.ATTACK_ON_CIVILIANS,
    ("Violence against civilians", "Abduction/forced disappearance"): IncidentType.ATTACK_ON_CIVILIANS,
    ("Violence against civilians", ""): IncidentType.ATTACK_ON_CIVILIANS,
}


class GeoPrecision(models.TextChoices):
    """How precisely the place is known, as ACLED's geo_precision."""

    EXACT = "exact", _("exact location")
    NEAR = "near", _("near the named place")
    ADMIN_AREA = "admin_area", _("only the administrative area")


class VerificationState(models.TextChoices):
    REPORTED = "reported", _("reported")
    VERIFIED = "verified", _("verified")
    DISPUTED = "disputed", _("disputed")
    REJECTED = "rejected", _("rejected")


class FacilityType(models.TextChoices):
    HEALTH = "health", _("health facility")
    EDUCATION = "education", _("school or kindergarten")
    SHELTER = "shelter", _("shelter or collective centre")
    ADMINISTRATIVE = "administrative", _("administrative building")
    RESIDENTIAL = "residential", _("residential building")
    ENERGY_WATER = "energy_water", _("energy or water infrastructure")
    TRANSPORT = "transport", _("transport (railway, road, bridge)")
    OTHER = "other", _("other")


class OrderKind(models.TextChoices):
    MANDATORY = "mandatory", _("mandatory")
    RECOMMENDED = "recommended", _("recommended")


class PopulationGroup(models.TextChoices):
    """Who an order obliges or advises to leave, as Ukrainian orders name them."""

    EVERYONE = "everyone", _("everyone")
    CHILDREN_WITH_GUARDIANS = "children_with_guardians", _("children with their parents or guardians")
    FAMILIES_WITH_CHILDREN = "families_with_children", _("families with children")
    # Orders say "low-mobility groups" (маломобільні групи): people with disabilities among them.
    LIMITED_MOBILITY = "limited_mobility", _("people with limited mobility or disabilities")
    ELDERLY = "elderly", _("older people")
    # Hospitals, care homes, boarding schools: moved by the institution, not by households.
    INSTITUTIONS = "institutions", _("people in institutions (hospitals, care homes)")


class OrderState(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    LIFTED = "lifted", _("lifted")
    EXPIRED = "expired", _("expired")


class TargetScope(models.TextChoices):
    SUBTREE = "subtree", _("the area and everything under it")
    SINGLE = "single", _("this area only")
    # "Left-bank Kupiansk": the order's level applies to the area, but its people are subject
    # only in part, so their number is unknown unless the order states it.
    PART = "part", _("part of this area (say which in the note)")


class CountKind(models.TextChoices):
    BASELINE = "baseline", _("baseline (pre-war)")
    PRESENT = "present", _("present (remaining)")
    EVACUATED = "evacuated", _("evacuated")
    IDPS_HOSTED = "idps_hosted", _("internally displaced people hosted")


class CountMethod(models.TextChoices):
    CENSUS = "census", _("census or official statistics")
    REGISTRATION = "registration", _("registration")
    ESTIMATE = "estimate", _("estimate by authorities")
    MEDIA_REPORT = "media_report", _("media report")
    GAZETTEER = "gazetteer", _("gazetteer (GeoNames)")
    HEADCOUNT = "headcount", _("headcount on the ground")


class ControlKind(models.TextChoices):
    """The kinds of Ukraine's official list of territories where hostilities are (were) conducted
    or temporarily occupied (Order No. 309 of the Ministry of Reintegration, "Перелік територій,
    на яких ведуються (велися) бойові дії або тимчасово окупованих"), per hromada with dates.

    The labels' Ukrainian translations are the list's own wording. `occupied` and
    `active_hostilities` keep the values stored rows and partners have always read. Which level
    each kind gives is the policy's (evactrack.status.models.Policy), not this list's: the list
    is legal context (benefits, curfews, state services), not an evacuation call.
    """

    POSSIBLE_HOSTILITIES = "possible_hostilities", _("territory of possible hostilities")
    ACTIVE_HOSTILITIES = "active_hostilities", _("territory of active hostilities")
    ACTIVE_HOSTILITIES_E_RESOURCES = (
        "active_hostilities_e_resources",
        _("territory of active hostilities where state electronic information resources work"),
    )
    OCCUPIED = "occupied", _("temporarily occupied territory")
    # A section of the list in 2022 only.
    ENCIRCLED = "encircled", _("territory in encirclement (blockade)")


# The list's own wording of each kind: what an import of the list reads (reports.importing), and
# the labels' Ukrainian translations (locale/uk; a test checks they agree). Kept here and not only
# in the catalog, so an import reads it without compiled translations. Other wordings the list's
# editions used are in HOSTILITIES_KIND_WORDINGS.
CONTROL_KIND_OFFICIAL_NAMES = {
    ControlKind.POSSIBLE_HOSTILITIES: "території можливих бойових дій",
    ControlKind.ACTIVE_HOSTILITIES: "території активних бойових дій",
    ControlKind.ACTIVE_HOSTILITIES_E_RESOURCES: (
        "території активних бойових дій, на яких функціонують державні електронні інформаційні ресурси"
    ),
    ControlKind.OCCUPIED: "тимчасово окуповані території",
    ControlKind.ENCIRCLED: "території, які перебувають в оточенні (блокуванні)",
}


class Reliability(models.TextChoices):
    """The Admiralty scale's source reliability, as humanitarian information managers use it."""

    A = "a", _("A — completely reliable")
    B = "b", _("B — usually reliable")
    C = "c", _("C — fairly reliable")
    D = "d", _("D — not usually reliable")
    E = "e", _("E — unreliable")
    F = "f", _("F — reliability cannot be judged")


class ChangeType(models.TextChoices):
    """What the change feed (/api/v1/changes/) reports on."""

    INCIDENT = "incident", _("incident")
    ORDER = "order", _("evacuation order")
    POPULATION_COUNT = "population_count", _("population count")
    SOURCE = "source", _("source")
    DESIGNATION = "designation", _("control designation")
    # Keyed by the area's code; written by the status engine when a stored status changes.
    AREA_STATUS = "area_status", _("area status")


class Audience(models.TextChoices):
    """Who may read an object, before or after a change (reports.selectors.audience_of)."""

    NOBODY = "nobody", _("nobody: it does not exist")
    RESTRICTED = "restricted", _("coordinators, and its organization if it has one")
    EVERYONE = "everyone", _("every role")
