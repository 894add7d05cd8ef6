"""Accounts and the audit log (city administrator only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from junheng.web import security
from junheng.web.access import ROLE_LABELS, Permission, Role, User
from junheng.web.deps import DataDep, EngineDep, TDep, client_ip, require
from junheng.web.services import accounts, audit, views
from junheng.web.templating import render

router = APIRouter(tags=["admin"])
Admin = Annotated[User, Depends(require(Permission.MANAGE_USERS))]
Auditor = Annotated[User, Depends(require(Permission.VIEW_AUDIT))]


def _users_page(request: Request, t: TDep, engine: EngineDep, data: DataDep,
                error: str | None = None, created: tuple[str, str] | None = None) -> Response:
    """The accounts list, with a refusal (400) or a new account's one-time password."""
    return render(request, "users.html", t, {
        "users": accounts.list_users(engine), "roles": list(Role), "role_labels": ROLE_LABELS,
        "counties": views.county_names(data), "error": error, "created": created},
        status_code=400 if error else 200)


@router.get("/admin/users")
def users(request: Request, t: TDep, engine: EngineDep, data: DataDep, user: Admin) -> Response:
    return _users_page(request, t, engine, data)


@router.post("/admin/users")
def create(request: Request, t: TDep, engine: EngineDep, data: DataDep, user: Admin,
           username: Annotated[str, Form()], role: Annotated[str, Form()],
           display_name: Annotated[str, Form()] = "", county_code: Annotated[str, Form()] = "",
           school_id: Annotated[str, Form()] = "") -> Response:
    try:
        password = security.random_password(username)
        new = accounts.create_user(engine, username, password, Role(role),
                                   display_name=display_name, county_code=county_code or None,
                                   school_id=school_id or None, must_change_password=True)
    except (accounts.AccountError, ValueError) as exc:
        msg = (exc.message_zh if t.lang == "zh" else exc.message_en) if isinstance(
            exc, accounts.AccountError) else str(exc)
        return _users_page(request, t, engine, data, error=msg)
    audit.record(engine, user, "user_created", target=f"user:{new.username}",
                 detail={"role": new.role.value, "county": new.county_code,
                         "school": new.school_id}, ip=client_ip(request))
    return _users_page(request, t, engine, data, created=(new.username, password))


@router.post("/admin/users/{user_id}/reset")
def reset(request: Request, user_id: int, t: TDep, engine: EngineDep, data: DataDep,
          user: Admin) -> Response:
    target = accounts.get_user(engine, user_id)
    if target is None:
        raise views.NotFound(str(user_id))
    password = accounts.reset_password(engine, target.username)
    audit.record(engine, user, "password_reset", target=f"user:{target.username}",
                 ip=client_ip(request))
    return _users_page(request, t, engine, data, created=(target.username, password))


@router.post("/admin/users/{user_id}/active")
def set_active(request: Request, user_id: int, t: TDep, engine: EngineDep, data: DataDep,
               user: Admin, active: Annotated[str, Form()]) -> Response:
    target = accounts.get_user(engine, user_id)
    if target is None:
        raise views.NotFound(str(user_id))
    if target.id == user.id:
        return _users_page(request, t, engine, data, error=t("users.not_self"))
    accounts.set_active(engine, user_id, active == "1")
    audit.record(engine, user, "user_activated" if active == "1" else "user_deactivated",
                 target=f"user:{target.username}", ip=client_ip(request))
    return _users_page(request, t, engine, data)


@router.get("/admin/audit")
def audit_log(request: Request, t: TDep, engine: EngineDep, user: Auditor,
              page: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 1,
              action: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    rows, total = audit.entries(engine, page=page, action=action or None)
    return render(request, "audit.html", t, {"rows": rows, "total": total, "page": page,
                                             "action": action or "",
                                             "alerts": audit.alerts(engine)})
