"""Every domain's route handlers, in one list for the app factory."""

from backend.attendance.routes import ROUTES as ATTENDANCE
from backend.attestations.routes import ROUTES as ATTESTATIONS
from backend.board.routes import ROUTES as BOARD
from backend.cctv.routes import ROUTES as CCTV
from backend.devices.routes import ROUTES as DEVICES
from backend.faces.routes import ROUTES as FACES
from backend.geofence.routes import ROUTES as GEOFENCE
from backend.gerai.routes import ROUTES as GERAI
from backend.imports.routes import ROUTES as IMPORTS
from backend.kiosk.routes import ROUTES as KIOSK
from backend.org.routes import ROUTES as ORG
from backend.permits.routes import ROUTES as PERMITS
from backend.push.routes import ROUTES as PUSH
from backend.ratings.routes import ROUTES as RATINGS

ROUTES = [
    *ORG,
    *ATTENDANCE,
    *FACES,
    *PERMITS,
    *ATTESTATIONS,
    *PUSH,
    *IMPORTS,
    *GERAI,
    *RATINGS,
    *BOARD,
    *CCTV,
    *GEOFENCE,
    *KIOSK,
    *DEVICES,
]
