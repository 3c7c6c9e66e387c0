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


# ACLED event_type / sub_event_type for each of our types, for exports to ACLED-shaped tools.
ACLED_EVENT = {
    IncidentType.SHELLING: ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    IncidentType.AIR_DRONE_STRIKE: ("Explosions/Remote violence", "Air/drone strike"),
    IncidentType.MISSILE_STRIKE: ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    IncidentType.ARMED_CLASH: ("Battles", "Armed clash"),
    IncidentType.ATTACK_ON_CIVILIANS: ("Violence against civilians", "Attack"),
    IncidentType.ATTACK_ON_HEALTH_FACILITY: ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    IncidentType.MASS_GRAVE: ("Strategic developments", "Other"),
    IncidentType.DETENTION_SITE: ("Violence against civilians", "Abduction/forced disappearance"),
    IncidentType.OTHER: ("Strategic developments", "Other"),
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
    OCCUPIED = "occupied", _("occupied")
    ACTIVE_HOSTILITIES = "active_hostilities", _("active hostilities")


class Reliability(models.TextChoices):
    """The Admiralty scale's source reliability, as humanitarian information managers use it."""

    A = "a", _("A — completely reliable")
    B = "b", _("B — usually reliable")
    C = "c", _("C — fairly reliable")
    D = "d", _("D — not usually reliable")
    E = "e", _("E — unreliable")
    F = "f", _("F — reliability cannot be judged")


class ChangeType(models.TextChoices):
    """What the change feed (/api/v1/changes/) reports on; designations and area status come later."""

    INCIDENT = "incident", _("incident")
    ORDER = "order", _("evacuation order")
    POPULATION_COUNT = "population_count", _("population count")
    SOURCE = "source", _("source")


class Audience(models.TextChoices):
    """Who may read an object, before or after a change (reports.selectors.audience_of)."""

    NOBODY = "nobody", _("nobody: it does not exist")
    RESTRICTED = "restricted", _("coordinators, and its organization if it has one")
    EVERYONE = "everyone", _("every role")
