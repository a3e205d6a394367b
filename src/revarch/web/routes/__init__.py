"""One router per resource; ``ROUTERS`` is the order the app includes them in."""

from revarch.web.routes import (
    dashboard,
    data,
    definition,
    diagnosis,
    leadership,
    login,
    process,
    questionnaire,
    sellers,
    talent,
)

ROUTERS = [
    login.router,
    dashboard.router,
    sellers.router,
    definition.router,
    process.router,
    talent.router,
    questionnaire.router,
    diagnosis.router,
    leadership.router,
    data.router,
]
