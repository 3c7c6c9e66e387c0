"""Check constraints evaluated in Python, for validating thousands of rows before a bulk insert.

Django validates a CheckConstraint by sending `SELECT 1 WHERE <condition>` to the database:
one query (and several milliseconds of query compilation) per constraint per row. A
5,000-row import would spend minutes there. Our conditions use only a handful of lookups, so
they are evaluated here with SQL's three-valued logic (a CHECK passes unless it is FALSE;
NULL passes, as in Django's own validation). The database still enforces every constraint
at insert; this only finds the failing rows and names their fields up front.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import CheckConstraint, F, Q

_LOOKUPS = {"exact", "in", "isnull", "gt", "gte", "lt", "lte"}


class UnsupportedCondition(Exception):
    """The condition uses something this evaluator does not know; validate it with Django."""


def _and(results):
    if any(result is False for result in results):
        return False
    return None if any(result is None for result in results) else True


def _or(results):
    if any(result is True for result in results):
        return True
    return None if any(result is None for result in results) else False


def evaluate(condition, values: dict):
    """True, False or None (unknown) for a Q condition over `values` (field name → value)."""
    if isinstance(condition, Q):
        results = [evaluate(child, values) for child in condition.children]
        if condition.connector == Q.AND:
            result = _and(results)
        elif condition.connector == Q.OR:
            result = _or(results)
        else:
            raise UnsupportedCondition(condition.connector)
        return (None if result is None else not result) if condition.negated else result
    lookup, expected = condition
    parts = lookup.split("__")
    operator = parts.pop() if len(parts) > 1 and parts[-1] in _LOOKUPS else "exact"
    length = len(parts) == 2 and parts.pop() == "length"  # the Length transform, on text
    if len(parts) != 1 or parts[0] not in values:
        raise UnsupportedCondition(lookup)
    value = values[parts[0]]
    if length and value is not None:
        value = len(value)
    if isinstance(expected, F):
        if expected.name not in values:
            raise UnsupportedCondition(expected.name)
        expected = values[expected.name]
    elif hasattr(expected, "resolve_expression"):
        raise UnsupportedCondition(lookup)
    if operator == "isnull" or (operator == "exact" and expected is None):
        is_null = value is None
        return is_null if (expected is None or expected) else not is_null
    if value is None or expected is None:
        return None
    if operator == "exact":
        return value == expected
    if operator == "in":
        return value in list(expected)
    return {"gt": value > expected, "gte": value >= expected, "lt": value < expected, "lte": value <= expected}[
        operator
    ]


def check_constraint_errors(instance) -> dict[str, list[str]]:
    """The messages of every CheckConstraint of the instance's model that its values break."""
    model = type(instance)
    # Generated columns have no value before the database computes them; no constraint reads one.
    values = {
        field.name: getattr(instance, field.attname) for field in model._meta.concrete_fields if not field.generated
    }
    errors: dict[str, list[str]] = {}
    for constraint in model._meta.constraints:
        if not isinstance(constraint, CheckConstraint):
            continue
        if evaluate(constraint.condition, values) is False:
            field = getattr(constraint, "field", None) or NON_FIELD_ERRORS
            errors.setdefault(field, []).append(str(constraint.get_violation_error_message()))
    return errors
