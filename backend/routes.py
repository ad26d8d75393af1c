"""Every domain's route handlers, in one list for the app factory."""

from backend.attendance.routes import ROUTES as ATTENDANCE
from backend.cctv.routes import ROUTES as CCTV
from backend.faces.routes import ROUTES as FACES
from backend.org.routes import ROUTES as ORG
from backend.permits.routes import ROUTES as PERMITS
from backend.push.routes import ROUTES as PUSH

ROUTES = [*ORG, *ATTENDANCE, *FACES, *PERMITS, *PUSH, *CCTV]
