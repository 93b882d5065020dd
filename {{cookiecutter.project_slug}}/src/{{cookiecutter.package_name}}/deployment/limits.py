"""What one request to the prediction API may hold, and the guard that enforces the body size."""

from dataclasses import asdict, dataclass

from fastapi import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Limits:
    max_rows: int = 1000  # records in one table request
    max_files: int = 32  # images in one upload
    max_body_bytes: int = 10_000_000  # whole request body (413 above it)
    max_image_pixels: int = 25_000_000  # width x height of one decoded image

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class BodySizeLimit:
    """413 for a request body over `max_bytes`: at once when its Content-Length says so, otherwise as
    soon as the bytes received pass the limit (a chunked upload cannot declare its length)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def too_large(self, size: int, so_far: bool = False) -> str:
        received = f"{size:,} bytes{' so far' if so_far else ''}"
        return f"The request body ({received}) is over the limit of {self.max_bytes:,} bytes."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = JSONResponse({"detail": self.too_large(int(declared))}, status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # FastAPI passes HTTPExceptions raised while reading the body on unchanged.
                raise HTTPException(413, detail=self.too_large(received, so_far=True))
            return message

        await self.app(scope, counting_receive, send)
