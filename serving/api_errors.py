"""The API's error answers for people and programs alike: `{"code": …, "detail": …}` with a stable,
machine-readable `code` and a Chinese `detail` a caseworker can read. Messages raised in English by the
service layers are put into Chinese here (the English stays in `detail_en` for the data team); the pages
have their own Chinese error pages (serving.web.routes)."""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

API_PREFIX = "/api/"
CJK = re.compile(r"[\u4e00-\u9fff]")

# status → (code, Chinese message) when nothing more specific is known
BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求有误"),
    401: ("not_signed_in", "请先登录：缺少访问令牌，或令牌无效、已过期"),
    403: ("forbidden", "无权进行此操作"),
    404: ("not_found", "没有找到所请求的内容"),
    405: ("method_not_allowed", "不支持这种请求方式"),
    409: ("conflict", "与已有记录冲突"),
    413: ("too_large", "请求内容过大"),
    422: ("invalid_input", "输入有误，请检查后重试"),
    429: ("too_many_attempts", "尝试次数过多，请稍后再试"),
    500: ("internal_error", "服务器内部错误，请联系管理员"),
    503: ("unavailable", "服务暂时不可用，请稍后再试或联系管理员"),
}
# English messages of the service layers (their start) → (code, Chinese message)
KNOWN: tuple[tuple[str, str, str], ...] = (
    ("Not authenticated", "not_signed_in", "请先登录：请求没有带访问令牌"),
    ("token expired", "token_expired", "登录已过期，请重新登录"),
    ("invalid token", "invalid_token", "访问令牌无效，请重新登录"),
    ("token revoked", "token_revoked", "该令牌已注销，请重新登录"),
    ("wrong username or password", "wrong_password", "账号或密码错误"),
    ("account not found or disabled", "account_disabled", "账号不存在或已停用"),
    ("no child with key", "child_not_found", "没有找到这个儿童编号的记录"),
    ("visit-list row", "list_row_not_found", "没有找到这个名单行，请从走访清单重新打开"),
    ("decision ", "decision_not_found", "要更正的决定不存在"),
    ("not following the list order", "reason_required", "未按名单顺序，请说明原因"),
    ("a correction needs a reason", "reason_required", "更正决定须说明原因"),
    ("a correction must concern the same child", "wrong_child", "更正的决定须是同一个儿童的"),
    ("metrics are off", "metrics_off", "监控指标未开启"),
    ("metrics need the metrics token", "not_signed_in", "读取监控指标需要监控令牌"),
    ("features cannot be built", "features_unavailable", "当前模型所需的数据无法生成，请联系数据团队"),
    ("no champion", "model_unavailable", "暂时没有可用的评分模型，请稍后再试或联系管理员"),
    ("Not Found", "not_found", "没有这个接口地址"),
    ("Method Not Allowed", "method_not_allowed", "不支持这种请求方式"),
)


def error_body(status: int, message: str | None) -> dict[str, str]:
    """The answer's body: a stable `code`, a Chinese `detail`, and the original English as `detail_en`."""
    code, zh = BY_STATUS.get(status, (f"http_{status}", "请求未能完成"))
    text = str(message or "")
    if CJK.search(text):  # already Chinese (access refusals, date checks): said as it is
        return {"code": code, "detail": text}
    for start, known_code, known_zh in KNOWN:
        if text.startswith(start):
            code, zh = known_code, known_zh
            break
    body = {"code": code, "detail": zh}
    if text:
        body["detail_en"] = text
    return body


def install(app: FastAPI) -> None:
    """Chinese JSON errors under /api/; other paths keep the handlers already installed (the pages')."""
    previous_http = app.exception_handlers.get(StarletteHTTPException)
    previous_invalid = app.exception_handlers.get(RequestValidationError)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith(API_PREFIX) and previous_http is not None:
            return await previous_http(request, exc)
        return JSONResponse(
            error_body(exc.status_code, exc.detail), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> Response:
        if not request.url.path.startswith(API_PREFIX) and previous_invalid is not None:
            return await previous_invalid(request, exc)
        from serving.web.views import validation_zh

        body = {"code": "invalid_input", "detail": validation_zh(list(exc.errors())), "errors": exc.errors()}
        return JSONResponse(_jsonable(body), status_code=422)


def _jsonable(body: dict) -> dict:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(body)
