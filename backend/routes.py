"""Every domain's route handlers, in one list for the app factory."""

from backend.attendance.routes import ROUTES as ATTENDANCE
from backend.faces.routes import ROUTES as FACES
from backend.org.routes import ROUTES as ORG

ROUTES = [*ORG, *ATTENDANCE, *FACES]
