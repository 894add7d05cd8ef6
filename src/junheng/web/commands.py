"""``junheng serve``, ``junheng users create|reset|list`` and ``junheng init-admin``."""

from __future__ import annotations

import argparse
import os

from junheng.cli import CliError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="启动网站 / start the web application")
    p.add_argument("--db", help="数据库地址 / database URL (default: JUNHENG_DATABASE_URL or "
                                "the installation's database shown by junheng --help)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1,
                   help="进程数；多于1时须设置 JUNHENG_SECRET_KEY / worker processes (set "
                        "JUNHENG_SECRET_KEY when more than 1)")
    p.set_defaults(func=_serve)

    p = sub.add_parser("init-admin", help="创建初始市级管理员 / create the initial city admin")
    p.add_argument("--db")
    p.set_defaults(func=_init_admin)

    p = sub.add_parser("users", help="管理网站用户 / manage web users")
    us = p.add_subparsers(dest="users_command", metavar="<action>", required=True)
    c = us.add_parser("create", help="新建用户 / create a user")
    c.add_argument("username")
    c.add_argument("--role", required=True,
                   choices=["city_admin", "county_admin", "school_clerk", "inspector", "parent"])
    c.add_argument("--county", help="区县代码（区县管理员）/ county code")
    c.add_argument("--school", help="学校标识码（学校填报员）/ school id")
    c.add_argument("--name", default="", help="姓名 / display name")
    c.add_argument("--db")
    c.set_defaults(func=_users_create)
    r = us.add_parser("reset", help="重置密码 / reset a password")
    r.add_argument("username")
    r.add_argument("--db")
    r.set_defaults(func=_users_reset)
    ls = us.add_parser("list", help="列出用户 / list users")
    ls.add_argument("--db")
    ls.set_defaults(func=_users_list)


def _engine(url: str | None):  # type: ignore[no-untyped-def]
    from junheng.web.database import make_engine, prepare

    try:
        engine = make_engine(url)
        prepare(engine)
    except Exception as exc:  # connection refused, bad URL: say so without a traceback
        raise CliError(f"无法打开数据库：{exc} / cannot open the database: {exc}") from exc
    return engine


def _print_initial(password: str) -> None:
    print("已创建初始市级管理员 / initial city administrator created:")
    print("  用户名 username: admin")
    print(f"  密码 password:   {password}")
    print("  （仅显示这一次，首次登录须修改 / shown once; must be changed at first login）")


def _init_admin(args: argparse.Namespace) -> int:
    from junheng.web.services.accounts import ensure_initial_admin

    password = ensure_initial_admin(_engine(args.db))
    if password is None:
        raise CliError("已有用户，未创建 / users exist already; use `junheng users reset admin`")
    _print_initial(password)
    return 0


def _audit_cli(engine, action: str, username: str,  # type: ignore[no-untyped-def]
               detail: dict[str, object]) -> None:
    """Accounts made or reset at the console are logged like those made on the web, with no
    acting user and the ``cli`` marker (the operator at the server's console)."""
    from junheng.web.services import audit

    audit.record(engine, None, action, target=f"user:{username}", detail={**detail, "cli": True})


def _users_create(args: argparse.Namespace) -> int:
    from junheng.web.security import random_password
    from junheng.web.services.accounts import AccountError, create_user

    password = random_password(args.username)
    engine = _engine(args.db)
    try:
        new = create_user(engine, args.username, password, args.role,
                          display_name=args.name, county_code=args.county,
                          school_id=args.school)
    except AccountError as exc:
        raise CliError(str(exc)) from exc
    _audit_cli(engine, "user_created", new.username,
               {"role": new.role.value, "county": new.county_code, "school": new.school_id})
    print(f"{args.username}: {password}  (首次登录须修改 / must be changed at first login)")
    return 0


def _users_reset(args: argparse.Namespace) -> int:
    from junheng.web.services.accounts import AccountError, reset_password

    engine = _engine(args.db)
    try:
        password = reset_password(engine, args.username)
    except AccountError as exc:
        raise CliError(str(exc)) from exc
    _audit_cli(engine, "password_reset", args.username, {})
    print(f"{args.username}: {password}  (首次登录须修改 / must be changed at first login)")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from junheng.web.services.accounts import list_users

    for u in list_users(_engine(args.db)):
        scope = u["county_code"] or u["school_id"] or ""
        state = "active" if u["is_active"] else "inactive"
        print(f"{u['username']}\t{u['role']}\t{scope}\t{state}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from junheng.io.db import database_url
    from junheng.web.services.accounts import ensure_initial_admin

    url = database_url(args.db)
    engine = _engine(url)
    password = ensure_initial_admin(engine)
    if password is not None:
        _print_initial(password)
    os.environ["JUNHENG_DATABASE_URL"] = url
    if args.workers > 1 and not os.environ.get("JUNHENG_SECRET_KEY"):
        raise CliError("多进程运行须设置 JUNHENG_SECRET_KEY（各进程共用）/ set JUNHENG_SECRET_KEY "
                       "shared by all workers when --workers > 1")
    print(f"均衡网站已启动 / Junheng is running at http://{args.host}:{args.port}  (Ctrl+C 停止)")
    uvicorn.run("junheng.web.app:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="warning",
                # The app reads X-Forwarded-For itself, from configured proxies only
                # (JUNHENG_TRUSTED_PROXIES); uvicorn's own handling would believe localhost.
                proxy_headers=False)
    return 0
