"""Import every feature's tables so SQLModel.metadata knows them all (Alembic, tests)."""

from sqlmodel import SQLModel

from backend.accounts import models as _accounts  # noqa: F401
from backend.audit import models as _audit  # noqa: F401
from backend.clients import models as _clients  # noqa: F401
from backend.directory import models as _directory  # noqa: F401
from backend.push import models as _push  # noqa: F401
from backend.referrals import models as _referrals  # noqa: F401
from backend.reports import models as _reports  # noqa: F401
from backend.screening import models as _screening  # noqa: F401
from backend.security import ratelimit as _ratelimit  # noqa: F401
from backend.selfcheck import models as _selfcheck  # noqa: F401
from backend.sync import models as _sync  # noqa: F401

metadata = SQLModel.metadata
