"""The talent system: skill catalog, assessments, gaps and tiers, screening, plans."""

from revarch.talent.assessments import import_assessments
from revarch.talent.catalog import Catalog
from revarch.talent.gaps import GapReport, compute_gaps
from revarch.talent.perception import PerceptionReport, compute_perception
from revarch.talent.plans import SellerProfile, seller_profile
from revarch.talent.progress import ProgressReport, compute_progress
from revarch.talent.screening import ScreenReport, screen_candidates
from revarch.talent.team import TeamFilter

__all__ = [
    "Catalog",
    "GapReport",
    "PerceptionReport",
    "ProgressReport",
    "ScreenReport",
    "SellerProfile",
    "TeamFilter",
    "compute_gaps",
    "compute_perception",
    "compute_progress",
    "import_assessments",
    "screen_candidates",
    "seller_profile",
]
