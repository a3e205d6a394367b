"""Sales leadership: forecasts and their accuracy, pipeline inspection, 1-on-1s."""

from revarch.leadership.forecasts import (
    ForecastAccuracy,
    compute_forecast_accuracy,
    import_forecasts,
    list_forecasts,
    submit_forecast,
)
from revarch.leadership.inspection import (
    InspectionResult,
    answer_question,
    compute_inspection,
)
from revarch.leadership.one_on_one import build_one_on_one

__all__ = [
    "ForecastAccuracy",
    "InspectionResult",
    "answer_question",
    "build_one_on_one",
    "compute_forecast_accuracy",
    "compute_inspection",
    "import_forecasts",
    "list_forecasts",
    "submit_forecast",
]
