from ..offers.conftest import offer_factory, program, provider  # noqa: F401  (the same fixtures)
from ..rewards.conftest import account, account_and_advocates, advocates  # noqa: F401
from ..studies.conftest import study  # noqa: F401
