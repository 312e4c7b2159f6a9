"""HTTP pieces every service's FastAPI app shares: health, paging, errors, clean strings."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from reference_services.common.text import clean_text

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_ECHO_CHARS",
    "MAX_PAGE",
    "MAX_SIZE",
    "NOT_FOUND",
    "TOO_LARGE",
    "BodyLimit",
    "ErrorOut",
    "HealthOut",
    "Page",
    "PageQuery",
    "SizeQuery",
    "Text",
    "add_health",
    "add_read_routes",
    "echo",
    "new_app",
    "not_found",
    "unprocessable",
]

T = TypeVar("T")
MAX_PAGE = 100_000
MAX_SIZE = 500


def _clean(value: str) -> str:
    return clean_text(value, field="value")


#: A non-empty, printable string of at most 200 characters (control characters are refused
#: so nothing a client sends can break a PostgreSQL text column).
Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"),
    AfterValidator(_clean),
]

PageQuery = Annotated[int, Query(ge=0, le=MAX_PAGE, description="Zero-based page number.")]
SizeQuery = Annotated[int, Query(ge=1, le=MAX_SIZE, description="Items per page.")]


class ErrorOut(BaseModel):
    """An error that is not a validation error (e.g. 404)."""

    detail: str


class HealthOut(BaseModel):
    """``starting`` until the service was first ready, ``failing`` when it stops being so."""

    status: Literal["ok", "starting", "failing"]
    reason: str | None = None


class Page(BaseModel, Generic[T]):
    """One page of a list, newest first."""

    items: list[T]
    page: int = Field(ge=0)
    size: int = Field(ge=1)
    total: int = Field(ge=0, description="Items in all pages.")


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "Unknown id"}}


def not_found(what: str, ident: object) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": f"{what} {ident} not found"})


def unprocessable(location: tuple[str | int, ...], message: str, value: object) -> Exception:
    """A 422 in FastAPI's own validation-error shape, naming the field at ``location``."""
    return RequestValidationError(
        [{"loc": location, "msg": message, "type": "value_error", "input": value}]
    )


def new_app(service: str, description: str) -> FastAPI:
    """A FastAPI app whose operation ids are the route names (``post_order``, ``get_delivery``)."""
    app = FastAPI(
        title=f"accord reference: {service} service",
        version="1.0.0",
        description=description,
        generate_unique_id_function=lambda route: route.name,
    )
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(BodyLimit)
    return app


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, except that a body which is not JSON at all is the documented 400:
    there is no field to name, only the place where parsing failed. What the errors echo of
    the input is made JSON-safe and bounded (:func:`echo`): a number JSON cannot hold
    (``1e400``, ``NaN``) or a lone surrogate would otherwise make the error itself a 500."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if errors and all(error.get("type") == "json_invalid" for error in errors):
        where = errors[0].get("ctx", {}).get("error") or errors[0].get("msg", "")
        return JSONResponse({"detail": f"the body is not JSON: {echo(where)}"}, status_code=400)
    return JSONResponse({"detail": echo(jsonable_encoder(errors))}, status_code=422)


#: The longest text an error response echoes of what a client sent.
MAX_ECHO_CHARS = 200
#: The most items of a list or object an error response echoes.
MAX_ECHO_ITEMS = 20


def echo(value: Any, depth: int = 0) -> Any:
    """``value`` made safe to echo in a JSON error: strings escaped (a lone surrogate becomes
    ``\\ud800``) and cut to :data:`MAX_ECHO_CHARS`, numbers JSON cannot hold as text
    (``"inf"``, ``"nan"``), containers to :data:`MAX_ECHO_ITEMS` items and four levels."""
    if isinstance(value, str):
        text = value.encode("utf-8", "backslashreplace").decode("utf-8")
        if len(value) > MAX_ECHO_CHARS:
            return f"{text[:MAX_ECHO_CHARS]}... ({len(value)} characters)"
        return text
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth >= 4:
        return "..."
    if isinstance(value, dict):
        items = list(value.items())
        out = {echo(str(k)): echo(v, depth + 1) for k, v in items[:MAX_ECHO_ITEMS]}
        if len(items) > MAX_ECHO_ITEMS:
            out["..."] = f"{len(items) - MAX_ECHO_ITEMS} more"
        return out
    if isinstance(value, list | tuple):
        seq = [echo(v, depth + 1) for v in value[:MAX_ECHO_ITEMS]]
        if len(value) > MAX_ECHO_ITEMS:
            seq.append(f"... {len(value) - MAX_ECHO_ITEMS} more")
        return seq
    return echo(str(value), depth)


#: The largest request body the services read (an order of 100 lines is ~5 KiB).
MAX_BODY_BYTES = 64 * 1024
TOO_LARGE = f"the body is larger than {MAX_BODY_BYTES} bytes"


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` is a 413 ``{"detail": ...}``, by
    its Content-Length before anything is read, or as soon as what arrived passes it."""

    def __init__(self, app: Any, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await JSONResponse({"detail": TOO_LARGE}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI passes an HTTPException from reading the body on as it is.
                    raise HTTPException(status_code=413, detail=TOO_LARGE)
            return message

        await self.app(scope, limited, send)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors, but a 405 lists every method of the path in ``Allow``
    (Starlette would list only those of the first route matching the path)."""
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        methods: set[str] = set()
        for route in request.app.router.routes:
            if (
                isinstance(route, Route)
                and route.methods
                and route.path_regex.match(request.url.path)
            ):
                methods |= route.methods - {"HEAD"}
        headers["Allow"] = ", ".join(sorted(methods))
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


def add_health(app: FastAPI, ready: Callable[[], tuple[bool, str | None]]) -> None:
    """``GET /health``: 200 ``{"status": "ok"}`` when ready, else 503 with the reason and
    ``starting`` (never ready yet) or ``failing`` (was ready: e.g. the outbox stopped draining,
    the database went away)."""
    was_ready = False

    @app.get(
        "/health",
        response_model=HealthOut,
        response_model_exclude_none=True,
        responses={503: {"model": HealthOut, "description": "Not ready yet, or failing"}},
        tags=["health"],
    )
    def health() -> Any:
        nonlocal was_ready
        ok, reason = ready()
        if ok:
            was_ready = True
            return HealthOut(status="ok")
        status = "failing" if was_ready else "starting"
        return JSONResponse(status_code=503, content={"status": status, "reason": reason})


def add_read_routes(
    app: FastAPI,
    *,
    path: str,
    noun: str,
    model: type[BaseModel],
    get_one: Callable[[UUID], Any | None],
    get_page: Callable[[int, int, UUID | None], tuple[list[Any], int]],
    to_json: Callable[[Any], dict[str, Any]],
) -> None:
    """``GET {path}/{id}`` (404 when unknown) and ``GET {path}?orderId=&page=&size=``."""
    tag = path.strip("/")

    def get_one_route(ident: UUID) -> Any:
        found = get_one(ident)
        if found is None:
            return not_found(noun, ident)
        return to_json(found)

    # The path parameter is named after the noun (``delivery_id``); built at runtime because
    # postponed annotations cannot name it.
    get_one_route.__annotations__["ident"] = Annotated[UUID, Path(alias=f"{noun}_id")]
    app.get(
        f"{path}/{{{noun}_id}}",
        response_model=model,
        responses=NOT_FOUND,
        tags=[tag],
        name=f"get_{noun}",
        summary=f"One {noun} by its id",
    )(get_one_route)

    @app.get(
        path,
        response_model=Page[model],  # type: ignore[valid-type]
        tags=[tag],
        name=f"list_{tag}",
        summary=f"{tag.capitalize()}, newest first; orderId narrows to one order's",
    )
    def list_route(
        orderId: Annotated[UUID | None, Query(description="Only this order's.")] = None,
        page: PageQuery = 0,
        size: SizeQuery = 20,
    ) -> Any:
        found, total = get_page(page, size, orderId)
        return {"items": [to_json(x) for x in found], "page": page, "size": size, "total": total}
