class ApiError(Exception):
    """An error answered as `{"code", "message"}` with `status`."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(code: str, message: str) -> dict:
    return {"code": code, "message": message}
