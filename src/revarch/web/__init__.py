"""The web app behind ``revarch serve``: every page with its JSON twin.

``create_app(config)`` builds the FastAPI application; ``revarch serve`` runs
it with uvicorn. Routes call the same public functions as the CLI and never
compute a number themselves.
"""

from revarch.web.app import create_app
from revarch.web.config import WebConfig

__all__ = ["WebConfig", "create_app"]
