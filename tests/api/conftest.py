# The rewards fixtures (an account with two advocates) serve the API tests too.
from ..rewards.conftest import account, account_and_advocates, advocates  # noqa: F401
