def error_body(code: str, message: str) -> dict:
    """The JSON of every API error: `{"code": "...", "message": "..."}`."""
    return {"code": code, "message": message}
