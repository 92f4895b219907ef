from ..studies.conftest import study  # noqa: F401  (the same study fixture)
