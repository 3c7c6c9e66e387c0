"""Areas as partners see them: addressed by code, the parent given by its code too."""

from rest_framework import serializers

from locations.models import PATH_SEPARATOR, Area


def parent_code(path: str) -> str | None:
    codes = path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)
    return codes[-2] if len(codes) > 1 else None


def iso(value):
    return None if value is None else value.isoformat()


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(read_only=True, allow_null=True, help_text="Code of the parent area.")

    class Meta:
        model = Area
        fields = ["code", "pcode", "level", "category", "parent", "name_uk", "name_en", "latitude", "longitude",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, area):
        # Built by hand: the settlement list is the API's hottest path, and DRF's generic
        # field machinery costs more than the query. The declared fields above keep the schema.
        return {
            "code": area.code,
            "pcode": area.pcode,
            "level": area.level,
            "category": area.category,
            "parent": parent_code(area.path),
            "name_uk": area.name_uk,
            "name_en": area.name_en,
            "latitude": area.latitude,
            "longitude": area.longitude,
            "updated_at": iso(area.updated_at),
        }
