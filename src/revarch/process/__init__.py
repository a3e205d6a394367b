"""Sales process architecture: the process definition and the stage analytics.

Every analysis takes a ``Workspace`` and keyword options and returns a typed
result with ``to_dict()`` (the JSON the CLI prints) and ``table`` (pandas).
"""

from revarch.process.derived import ensure_derived
from revarch.process.funnel import FunnelResult, compute_funnel
from revarch.process.listing import (
    FunnelOpportunities,
    TransitionMoves,
    list_funnel_opportunities,
    list_transition_moves,
)
from revarch.process.stalls import StallsResult, compute_stalls
from revarch.process.transitions import TransitionsResult, compute_transitions
from revarch.process.trend import TrendResult, compute_trend
from revarch.process.velocity import VelocityResult, compute_velocity

__all__ = [
    "FunnelOpportunities",
    "FunnelResult",
    "StallsResult",
    "TransitionMoves",
    "TransitionsResult",
    "TrendResult",
    "VelocityResult",
    "compute_funnel",
    "compute_stalls",
    "compute_transitions",
    "compute_trend",
    "compute_velocity",
    "ensure_derived",
    "list_funnel_opportunities",
    "list_transition_moves",
]
