"""What the area tree tells other apps, which locations does not import."""

from django.dispatch import Signal

# Sent, inside the transaction that changed them, after areas moved under another parent or
# changed level (a reform of the codifier), with `paths`: the new paths of those areas. Apps
# that keep what lies above an area (reports: each incident's oblast and raion) bring it up
# to date for everything at and under these paths.
areas_regrouped = Signal()
