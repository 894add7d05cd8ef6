"""The admissions portal's services: family accounts with a one-time code, applications and
proofs, staff review, and the round (freeze, hash, seed, draw, publish, override).

Every state change writes an ``adm_events`` row with who and why. A family reaches only its own
applications and files (anything else is "not found", so ids cannot be probed); county staff
reach their county's. The allocation itself is ``junheng.admissions`` — this module only moves
data between the portal's store, the exchange tables and the pure core.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl
from sqlalchemy import bindparam, case, delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from junheng.admissions.allocate import Override
from junheng.admissions.catalog import Catalog
from junheng.domain.dataset import Dataset
from junheng.domain.masking import masked_name_text, masked_resident_id_text
from junheng.io.validate import resident_id_check_char
from junheng.standards.labels import label
from junheng.web import admissions_models as am
from junheng.web import models
from junheng.web.access import Role, User, can_see_county
from junheng.web.security import hash_password, now, password_problem
from junheng.web.services.data import DataService
from junheng.web.services.files import FileRefused, check_file
from junheng.web.services.views import NotFound

if TYPE_CHECKING:
    from junheng.admissions.allocate import Allocation

log = logging.getLogger("junheng.admissions")

STAGES = ("primary", "junior")
STATUSES = {"submitted": ("已提交，待审核", "submitted, awaiting review"),
            "returned": ("已退回，请修改后重新提交", "returned: correct and resubmit"),
            "approved": ("审核通过", "approved"),
            "rejected": ("不予受理", "rejected")}
EVENT_LABELS = {
    "submitted": ("提交申请", "submitted"), "resubmitted": ("修改后重新提交", "resubmitted"),
    "file_added": ("上传材料", "proof uploaded"), "approve": ("审核通过", "approved"),
    "return": ("退回修改", "returned"), "reject": ("不予受理", "rejected"),
    "override": ("更改录取结果", "result overridden"), "plan_set": ("设置招生计划", "plan set"),
    "frozen": ("冻结名单并公布哈希", "list frozen, hash published"),
    "seed_announced": ("公布摇号种子", "seed announced"),
    "drawn": ("摇号并录取（第一轮）", "lottery drawn, round 1 allocated"),
    "published": ("公布第一轮录取结果", "round-1 results published"),
    "round2": ("运行第二轮调剂并公布", "round 2 run and published"),
    # The demo's applications, approved with the verified category of the demo workbook when
    # ``junheng demo-families`` put them into the portal (services/admissions_demo.py).
    "demo_approved": ("演示数据：载入时按核实类别审核通过",
                      "demo data: approved with the verified category when loaded"),
}
HOUSING = {"own": ("自有住房", "own home"), "rent": ("租赁住房", "rented home"), "other": ("其他", "other")}
# Entry age (义务教育法第十一条: 年满六周岁入学), counted on 31 August of the entry year.
ENTRY_AGE = {"primary": (6, 8), "junior": (11, 15)}
MAX_CHOICES = 5
MAX_FILES = 10
FILE_MAX_BYTES = 5 * 1024 * 1024
FILE_KINDS = {"hukou": ("户口簿", "household register (hukou)"),
              "house": ("房产证明", "proof of home ownership"),
              "residence_permit": ("居住证", "residence permit"),
              "preferential": ("优抚对象证明", "proof of entitled group"),
              "other": ("其他", "other")}


def words(pairs: dict[str, tuple[str, str]], lang: str) -> dict[str, str]:
    """code → the reader's word, of a table of (Chinese, English) pairs."""
    return {k: (en if lang == "en" else zh) for k, (zh, en) in pairs.items()}


# Events whose note the portal writes itself (not typed by staff) store it as a small JSON
# object of codes and values, and are worded in the reader's language when shown. Their other
# parts that staff type ("note") stay as typed. Rows written before this (plain Chinese text,
# never starting with "{") are shown as they were written.
CODED_EVENTS = frozenset({"file_added", "plan_set", "drawn", "round2", "override"})


def coded(**fields: Any) -> str:
    """The stored note of a coded event."""
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def event_reason(event: Mapping[str, Any], lang: str,
                 names: Mapping[str, str] | None = None) -> str:
    """An event's note in the reader's words: a coded note is worded here (``names``: school
    id → name, so that a school is named, never shown by its id); a typed one is as typed."""
    action, reason = event["action"], event["reason"]
    if not reason:
        return ""
    fields = _fields(reason) if action in CODED_EVENTS else None
    if fields is None:
        return _old_reason(action, reason, lang, names or {})
    en = lang == "en"
    note = str(fields.get("note") or "")
    school = (names or {}).get(str(fields.get("school_id")), "") or str(fields.get("school", ""))
    if action == "file_added":
        kind = FILE_KINDS.get(str(fields.get("kind")), FILE_KINDS["other"])
        return f"{kind[1] if en else kind[0]}: {fields.get('file', '')}"
    if action == "plan_set":
        seats = fields.get("seats")
        return f"{school}: {seats} seats" if en else f"{school}：{seats}人"
    if action == "drawn":
        sha, seed = fields.get("sha256"), fields.get("seed")
        return f"SHA-256 {sha}, seed {seed}" if en else f"SHA-256 {sha}，种子 {seed}"
    if action == "round2":
        placed, left = fields.get("placed"), fields.get("left")
        text = (f"{placed} placed in round 2, {left} still unplaced" if en
                else f"第二轮调剂录取{placed}人，仍未录取{left}人")
        return text + (("; " if en else "；") + note if note else "")
    # override: the school as the family reads it, and the staff's reason as typed.
    return f"{school}{': ' if en else '：'}{note}"


def _fields(reason: str) -> dict[str, Any] | None:
    if not reason.startswith("{"):
        return None
    try:
        doc = json.loads(reason)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _old_reason(action: str, reason: str, lang: str, names: Mapping[str, str]) -> str:
    """A note written before notes were coded. A proof upload's was "户口簿: file.png" (the
    kind's Chinese word and the file's name); a plan's "school_id: seats"."""
    if action == "file_added" and lang == "en":
        kind, sep, name = reason.partition(": ")
        english = {zh: en for zh, en in FILE_KINDS.values()}
        if sep and kind in english:
            return f"{english[kind]}: {name}"
    if action == "plan_set":
        school_id, sep, seats = reason.partition(": ")
        if sep and school_id in names:
            return (f"{names[school_id]}: {seats} seats" if lang == "en"
                    else f"{names[school_id]}：{seats}人")
    return reason


PHONE = re.compile(r"^1\d{10}$")
OTP_MINUTES = 10
OTP_TRIES = 5


class Denied(Exception):
    """The user's role or county does not allow this (answered 403)."""


class AdmissionsError(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh)
        self.zh = zh
        self.en = en


# --- one-time codes ------------------------------------------------------------------------

class OtpSender(Protocol):
    """Delivers a one-time code to a phone (an SMS gateway in production)."""

    def send(self, phone: str, code: str) -> None: ...


class LogOtpSender:
    """FOR DEVELOPMENT ONLY: writes the code to the server log instead of sending an SMS.
    A deployment must configure a real SMS gateway implementing ``OtpSender``."""

    def send(self, phone: str, code: str) -> None:
        log.warning("DEVELOPMENT OTP SENDER (no SMS sent): code for %s is %s", phone, code)


def _code_hash(phone: str, code: str) -> str:
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


def send_code(engine: Engine, phone: str, sender: OtpSender) -> None:
    """A new code, at most one a minute per number: registration cannot be used to flood a
    phone with messages, nor to reset the tries on a code every few seconds."""
    code = f"{secrets.randbelow(10**6):06d}"
    with engine.begin() as conn:
        row = conn.execute(select(am.otp_codes.c.expires_at).where(
            am.otp_codes.c.phone == phone)).first()
        if row is not None:
            expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(
                tzinfo=dt.UTC)
            if expires - dt.timedelta(minutes=OTP_MINUTES) > now() - dt.timedelta(seconds=60):
                raise AdmissionsError("验证码已发送，请1分钟后再试",
                                      "a code was just sent: try again in a minute")
        conn.execute(delete(am.otp_codes).where(am.otp_codes.c.phone == phone))
        conn.execute(insert(am.otp_codes).values(
            phone=phone, code_hash=_code_hash(phone, code),
            expires_at=now() + dt.timedelta(minutes=OTP_MINUTES), attempts=0))
    sender.send(phone, code)


def check_code(engine: Engine, phone: str, code: str) -> bool:
    with engine.begin() as conn:
        row = conn.execute(select(am.otp_codes).where(am.otp_codes.c.phone == phone)).first()
        if row is None:
            return False
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(
            tzinfo=dt.UTC)
        if row.attempts >= OTP_TRIES or expires < now():
            return False
        ok = hmac.compare_digest(row.code_hash, _code_hash(phone, code.strip()))
        if ok:
            conn.execute(delete(am.otp_codes).where(am.otp_codes.c.phone == phone))
        else:
            conn.execute(update(am.otp_codes).where(am.otp_codes.c.phone == phone)
                         .values(attempts=row.attempts + 1))
        return ok


def register_family(engine: Engine, phone: str, password: str, name: str,
                    sender: OtpSender) -> None:
    """An inactive parent account named by the phone number; active once the code is given."""
    phone = phone.strip()
    if not PHONE.match(phone):
        raise AdmissionsError("请输入11位手机号码", "enter an 11-digit mobile number")
    problem = password_problem(password, phone)
    if problem:
        raise AdmissionsError(*problem)
    with engine.begin() as conn:
        row = conn.execute(select(models.users.c.id, models.users.c.is_active)
                           .where(models.users.c.username == phone)).first()
        if row is not None and row.is_active:
            raise AdmissionsError("该手机号已注册，请直接登录", "this number is registered: sign in")
        values = {"display_name": name.strip()[:64] or phone,
                  "password_hash": hash_password(password), "role": Role.PARENT.value,
                  "county_code": None, "school_id": None, "must_change_password": False,
                  "is_active": False}
        if row is None:
            conn.execute(insert(models.users).values(username=phone, created_at=now(),
                                                     **values))
        else:
            conn.execute(update(models.users).where(models.users.c.id == row.id)
                         .values(**values))
    send_code(engine, phone, sender)


def activate_family(engine: Engine, phone: str, code: str) -> bool:
    if not check_code(engine, phone, code):
        return False
    with engine.begin() as conn:
        conn.execute(update(models.users).where(
            (models.users.c.username == phone) & (models.users.c.role == Role.PARENT.value))
            .values(is_active=True))
    return True


# --- identity checks -----------------------------------------------------------------------

def check_resident_id(rid: str, year: int, stage: str) -> tuple[str, str] | None:
    """None when the 身份证号 is well formed and the child is of age; else (zh, en)."""
    rid = rid.strip().upper()
    if len(rid) != 18 or not rid[:17].isdigit():
        return ("身份证号应为18位（前17位为数字）", "the resident id has 18 characters")
    if resident_id_check_char(rid[:17]) != rid[17]:
        return ("身份证号校验码不对，请核对每一位", "the check digit is wrong: check each digit")
    try:
        born = dt.date(int(rid[6:10]), int(rid[10:12]), int(rid[12:14]))
    except ValueError:
        return ("身份证号中的出生日期不存在", "the birth date in the resident id does not exist")
    cutoff = dt.date(year, 8, 31)
    age = cutoff.year - born.year - ((cutoff.month, cutoff.day) < (born.month, born.day))
    low, high = ENTRY_AGE[stage]
    if not low <= age <= high:
        grade = label("entry_stage", stage) or stage
        return (f"出生日期 {born.isoformat()}：到{year}年8月31日为{age}周岁，"
                f"不在{grade}入学年龄（{low}–{high}周岁）内",
                f"born {born.isoformat()}: aged {age} on 31 August {year}, outside the entry "
                f"age {low}-{high}")
    return None


# One masking rule for the whole site (domain.masking); these names are what the pages call.
mask_name = masked_name_text
mask_id = masked_resident_id_text


# --- applications --------------------------------------------------------------------------

@dataclass(frozen=True)
class ApplicationForm:
    year: int
    county_code: str
    entry_stage: str
    child_name: str
    resident_id: str
    hukou: str
    area_id: str
    housing: str
    has_residence_permit: bool
    category_claimed: str
    choices: tuple[str, ...]


def county_catalog(data: DataService, county_code: str, year: int, stage: str) -> Catalog:
    """The county's areas, schools, plans and zones, built once per data version and worker:
    a submission checks against sets, not by filtering the tables again."""
    from junheng.admissions.catalog import catalog

    return data.memo(("admissions-catalog", county_code, year, stage),
                     lambda: catalog(data.dataset(), county_code, year, stage))


def validate_form(form: ApplicationForm, cat: Catalog) -> list[tuple[str, str]]:
    from junheng.admissions.rules import categories

    problems: list[tuple[str, str]] = []
    if form.entry_stage not in STAGES:
        problems.append(("请选择入学学段", "choose the entry stage"))
        return problems
    if not form.child_name.strip() or len(form.child_name) > 32:
        problems.append(("请填写儿童姓名（不超过32字）", "enter the child's name"))
    bad = check_resident_id(form.resident_id, form.year, form.entry_stage)
    if bad:
        problems.append(bad)
    if form.county_code != cat.county_code or form.area_id not in cat.area_ids:
        problems.append(("请从本区县的片区中选择居住地址", "choose the residence from the "
                         "county's areas"))
    if form.category_claimed not in categories():
        problems.append(("请选择入学类别", "choose the category"))
    if form.category_claimed == "migrant" and not form.has_residence_permit:
        problems.append(("随迁子女须持有本地居住证", "a migrant child needs a residence permit"))
    if form.housing not in HOUSING:
        problems.append(("请选择住房情况", "choose the housing"))
    if len(form.choices) > MAX_CHOICES or len(set(form.choices)) != len(form.choices):
        problems.append(("最多5个志愿，且不能重复", "up to 5 distinct choices"))
    if any(c not in cat.school_ids for c in form.choices):
        problems.append(("志愿学校须为本区县学校", "choices must be schools of the county"))
    return problems


def _event(conn: Any, user: User | None, action: str, *, application_pk: int | None = None,
           round_key: str | None = None, reason: str | None = None) -> None:
    conn.execute(insert(am.events), {
        "at": now(), "application_pk": application_pk, "round_key": round_key,
        "user_id": user.id if user else None, "username": user.username if user else None,
        "action": action, "reason": reason})


def round_key(county_code: str, year: int, stage: str) -> str:
    return f"{county_code}:{year}:{stage}"


# The statements of a submission, built once: a request only binds its values (building a
# select with scalar subqueries costs more CPU than PostgreSQL spends running it).
_A = am.applications
_SUBMIT_LOOKUP = select(
    select(_A.c.id).where(_A.c.idempotency_key == bindparam("key"))
    .scalar_subquery().label("earlier"),
    select(_A.c.family_user_id).where(_A.c.idempotency_key == bindparam("key"))
    .scalar_subquery().label("earlier_family"),
    select(am.rounds.c.status).where(am.rounds.c.round_key == bindparam("round_key"))
    .scalar_subquery().label("status"),
    select(_A.c.id).where(
        (_A.c.resident_id == bindparam("rid")) & (_A.c.year == bindparam("year"))
        & (_A.c.entry_stage == bindparam("stage")) & (_A.c.status != "rejected"))
    .limit(1).scalar_subquery().label("child"))
_BY_KEY = select(_A.c.id, _A.c.family_user_id).where(_A.c.idempotency_key == bindparam("key"))
_SET_APPLICATION_ID = (update(_A).where(_A.c.id == bindparam("pk"))
                       .values(application_id=bindparam("app_id")))


def _already_applied() -> AdmissionsError:
    return AdmissionsError("该儿童本学年已有一份入学申请，不能重复申请",
                           "this child already has an application this year")


@cache
def _insert_new(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, per dialect, once. No conflict target:
    a retry of the same idempotency key and a second live application of the same child (the
    partial unique index ``ux_adm_applications_child``) both end without an exception, and
    the caller tells them apart by the key."""
    from sqlalchemy.dialects import postgresql, sqlite

    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(_A).on_conflict_do_nothing().returning(_A.c.id)


def create_application(engine: Engine, user: User, form: ApplicationForm,
                       idempotency_key: str | None) -> int:
    """The new application's pk. A retry with the same idempotency key returns the first.

    One transaction and four statements, because every parent of a county submits in the same
    few days: one SELECT answers all three questions (a retry? is the round still open? has
    this child applied already?), one INSERT … ON CONFLICT DO NOTHING decides a race between
    two retries of the same key without an exception, then the pseudonymous id and the event.
    """
    if user.role != Role.PARENT:
        raise Denied()
    key = idempotency_key or None
    rid = form.resident_id.strip().upper()
    with engine.begin() as conn:
        found = conn.execute(_SUBMIT_LOOKUP, {
            "key": key, "rid": rid, "year": form.year, "stage": form.entry_stage,
            "round_key": round_key(form.county_code, form.year, form.entry_stage)}).one()
        if found.earlier is not None:
            if found.earlier_family != user.id:
                raise NotFound()
            return int(found.earlier)
        if found.status is not None and found.status != "open":
            raise AdmissionsError("名单已冻结，本轮不再接受申请或修改",
                                  "the list is frozen: no new applications or changes")
        if found.child is not None:
            raise _already_applied()
        stamp = now()
        pk = conn.execute(_insert_new(conn.dialect.name), {
            "application_id": f"tmp-{secrets.token_hex(8)}", "family_user_id": user.id,
            "idempotency_key": key, "year": form.year, "county_code": form.county_code,
            "entry_stage": form.entry_stage, "child_name": form.child_name.strip(),
            "resident_id": rid, "hukou": form.hukou.strip()[:128], "area_id": form.area_id,
            "housing": form.housing, "has_residence_permit": form.has_residence_permit,
            "category_claimed": form.category_claimed, "category_verified": None,
            "choices": ",".join(form.choices), "status": "submitted", "return_reason": None,
            "submitted_at": stamp, "updated_at": stamp}).scalar()
        if pk is None:
            # Someone committed first: a concurrent retry with the same key (answer with its
            # row), or another submission for the same child (the index refused this one).
            row = conn.execute(_BY_KEY, {"key": key}).first() if key is not None else None
            if row is None:
                raise _already_applied()
            if row.family_user_id != user.id:
                raise NotFound()
            return int(row.id)
        # Pseudonymous, unique and stable: what the frozen list and the published results
        # carry instead of the child's name.
        conn.execute(_SET_APPLICATION_ID, {
            "pk": pk, "app_id": f"{form.year}{form.county_code}{int(pk):07d}"})
        _event(conn, user, "submitted", application_pk=int(pk))
    return int(pk)


def _one_per_child(conn: Any, form: ApplicationForm, pk: int | None) -> None:
    """One child, one application per year and entry grade (in any county): a second one would
    be a second lottery ticket."""
    query = select(am.applications.c.id).where(
        (am.applications.c.resident_id == form.resident_id.strip().upper())
        & (am.applications.c.year == form.year)
        & (am.applications.c.entry_stage == form.entry_stage)
        & (am.applications.c.status != "rejected"))
    if pk is not None:
        query = query.where(am.applications.c.id != pk)
    if conn.execute(query).first() is not None:
        raise _already_applied()


def _round_open(conn: Any, county_code: str, year: int, stage: str) -> None:
    row = conn.execute(select(am.rounds.c.status).where(
        am.rounds.c.round_key == round_key(county_code, year, stage))).first()
    if row is not None and row.status != "open":
        raise AdmissionsError("名单已冻结，本轮不再接受申请或修改",
                              "the list is frozen: no new applications or changes")


def get_application(engine: Engine, user: User, pk: int) -> dict[str, Any]:
    """The application if ``user`` may see it (its family, or staff of its county)."""
    with engine.connect() as conn:
        row = conn.execute(select(am.applications).where(am.applications.c.id == pk)).first()
    if row is None:
        raise NotFound()
    app = dict(row._mapping)
    if user.role == Role.PARENT:
        # Another family's application does not exist as far as this family can tell.
        if app["family_user_id"] != user.id:
            raise NotFound()
    elif not is_reviewer(user) or not can_see_county(user, app["county_code"]):
        raise Denied()
    return app


def is_reviewer(user: User) -> bool:
    return user.role in (Role.CITY_ADMIN, Role.COUNTY_ADMIN)


def family_applications(engine: Engine, user: User) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(am.applications).where(
            am.applications.c.family_user_id == user.id).order_by(am.applications.c.id)).all()
    return [dict(r._mapping) for r in rows]


def county_applications(engine: Engine, county_code: str, year: int, stage: str
                        ) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(am.applications).where(
            (am.applications.c.county_code == county_code) & (am.applications.c.year == year)
            & (am.applications.c.entry_stage == stage)).order_by(am.applications.c.id)).all()
    return [dict(r._mapping) for r in rows]


# --- the staff's list: one page at a time ------------------------------------------------

# The queue a county works through: awaiting review first (freezing is refused while any
# is), then those returned to their families, then the decided ones; within each, in the
# order they came in.
QUEUE = ("submitted", "returned", "approved", "rejected")
PAGE_SIZES = (50, 100)
MAX_SEARCH = 40  # an application id is at most 40 characters (adm_applications)


@dataclass(frozen=True)
class ListFilter:
    """What a reviewer narrows the list to: a status, a claimed and a verified category
    (codes, already checked against their enums) and part of an application id."""

    status: str | None = None
    claimed: str | None = None
    verified: str | None = None
    search: str = ""


@dataclass(frozen=True)
class Paged:
    """One page of a list: its rows, how many match in all, and where the page is."""

    rows: list[Any]
    matching: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.matching // self.size))

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row (0 when the page is empty)."""
        return (self.page - 1) * self.size + 1 if self.rows else 0


def _page_of(page: int, size: int, matching: int) -> int:
    """The page asked for, within 1 … the last page (a page past the end shows the last)."""
    last = max(1, -(-matching // size))
    return min(max(1, page), last)


def _like(column: Any, search: str) -> Any:
    return column.contains(search, autoescape=True)


def status_counts(engine: Engine, county_code: str, year: int, stage: str) -> dict[str, int]:
    """Applications of the round per status (every status, 0 when none): they add up to the
    round's total."""
    a = am.applications
    with engine.connect() as conn:
        found: dict[str, int] = dict(conn.execute(
            select(a.c.status, func.count()).where(
                (a.c.county_code == county_code) & (a.c.year == year)
                & (a.c.entry_stage == stage)).group_by(a.c.status)).all())
    return {s: int(found.get(s, 0)) for s in QUEUE} | {
        s: int(n) for s, n in found.items() if s not in QUEUE}


def application_page(engine: Engine, county_code: str, year: int, stage: str,
                     which: ListFilter, page: int = 1, size: int = PAGE_SIZES[0]) -> Paged:
    """One page of the round's applications that match ``which``, the queue's order (待审核
    first, then by arrival). The database counts, orders and cuts the page (LIMIT/OFFSET):
    a county's several thousand rows never leave it for one page of 50."""
    a = am.applications
    where = (a.c.county_code == county_code) & (a.c.year == year) & (a.c.entry_stage == stage)
    if which.status:
        where &= a.c.status == which.status
    if which.claimed:
        where &= a.c.category_claimed == which.claimed
    if which.verified:
        where &= a.c.category_verified == which.verified
    if which.search:
        where &= _like(a.c.application_id, which.search)
    rank = case({s: k for k, s in enumerate(QUEUE)}, value=a.c.status, else_=len(QUEUE))
    with engine.connect() as conn:
        matching = int(conn.execute(select(func.count()).select_from(a).where(where))
                       .scalar_one())
        page = _page_of(page, size, matching)
        rows = conn.execute(
            select(a.c.id, a.c.application_id, a.c.child_name, a.c.category_claimed,
                   a.c.category_verified, a.c.status)
            .where(where).order_by(rank, a.c.id)
            .limit(size).offset((page - 1) * size)).all()
    return Paged([dict(r._mapping) for r in rows], matching, page, size)


def resubmit(engine: Engine, user: User, pk: int, form: ApplicationForm) -> None:
    app = get_application(engine, user, pk)
    if user.role != Role.PARENT or app["status"] != "returned":
        raise AdmissionsError("只有被退回的申请可以修改后重新提交",
                              "only a returned application can be resubmitted")
    try:
        _resubmit(engine, user, pk, app, form)
    except IntegrityError:
        # The same child's other application was submitted between the check and the update.
        raise _already_applied() from None


def _resubmit(engine: Engine, user: User, pk: int, app: dict[str, Any],
              form: ApplicationForm) -> None:
    with engine.begin() as conn:
        _round_open(conn, app["county_code"], app["year"], app["entry_stage"])
        _one_per_child(conn, form, pk)
        conn.execute(update(am.applications).where(am.applications.c.id == pk).values(
            child_name=form.child_name.strip(), resident_id=form.resident_id.strip().upper(),
            hukou=form.hukou.strip()[:128], area_id=form.area_id, housing=form.housing,
            has_residence_permit=form.has_residence_permit,
            category_claimed=form.category_claimed, choices=",".join(form.choices),
            status="submitted", updated_at=now()))
        _event(conn, user, "resubmitted", application_pk=pk)


def review(engine: Engine, user: User, pk: int, action: str, reason: str,
           category_verified: str | None) -> None:
    from junheng.admissions.rules import categories

    app = get_application(engine, user, pk)
    _staff(user, app["county_code"])
    reason = reason.strip()[:2000]
    if action == "approve":
        category = category_verified or app["category_claimed"]
        if category not in categories():
            raise AdmissionsError("请选择核实后的入学类别", "choose the verified category")
        if category != app["category_claimed"] and not reason:
            raise AdmissionsError("核实类别与申报不同，须写明理由",
                                  "a verified category other than the claim needs a reason")
        values: dict[str, Any] = {"status": "approved", "category_verified": category,
                                  "return_reason": None}
    elif action in ("return", "reject"):
        if not reason:
            raise AdmissionsError("退回或不予受理须写明理由", "returning or rejecting needs a reason")
        values = {"status": "returned" if action == "return" else "rejected",
                  "return_reason": reason}
    else:
        raise AdmissionsError("未知操作", "unknown action")
    with engine.begin() as conn:
        _round_open(conn, app["county_code"], app["year"], app["entry_stage"])
        conn.execute(update(am.applications).where(am.applications.c.id == pk)
                     .values(updated_at=now(), **values))
        _event(conn, user, action, application_pk=pk, reason=reason or None)


def _with_names(where: Any) -> Any:
    """The events with the person who acted (``who``): the account's display name, or the
    account name when it has none (or the account is gone). The stored rows keep the account
    name they were written with; the name is looked up in the same query, not per event."""
    u = models.users
    return (select(am.events, func.coalesce(func.nullif(u.c.display_name, ""),
                                            am.events.c.username).label("who"))
            .outerjoin(u, u.c.id == am.events.c.user_id)
            .where(where).order_by(am.events.c.id))


def events_of(engine: Engine, pk: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(_with_names(am.events.c.application_pk == pk)).all()
    return [dict(r._mapping) for r in rows]


# --- proof files ---------------------------------------------------------------------------

def add_file(engine: Engine, user: User, pk: int, kind: str, filename: str,
             content: bytes) -> str:
    app = get_application(engine, user, pk)
    if user.role != Role.PARENT:
        raise Denied()
    if app["status"] not in ("submitted", "returned"):
        raise AdmissionsError("申请已审核，不能再上传材料", "the application was reviewed")
    if kind not in FILE_KINDS:
        raise AdmissionsError("请选择材料类型", "choose the kind of proof")
    try:
        checked = check_file(content, filename, FILE_MAX_BYTES)
    except FileRefused as exc:
        raise AdmissionsError(exc.zh, exc.en) from None
    safe_name = checked.filename
    file_id = secrets.token_hex(16)
    with engine.begin() as conn:
        count = conn.execute(select(func.count()).select_from(am.files).where(
            am.files.c.application_pk == pk)).scalar_one()
        if count >= MAX_FILES:
            raise AdmissionsError("每份申请最多10个文件", "at most 10 files per application")
        conn.execute(insert(am.files).values(
            id=file_id, application_pk=pk, kind=kind, filename=safe_name,
            content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
            content=content, created_at=now()))
        _event(conn, user, "file_added", application_pk=pk,
               reason=coded(kind=kind, file=safe_name))
    return file_id


def files_of(engine: Engine, pk: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(am.files.c.id, am.files.c.kind, am.files.c.filename,
                                   am.files.c.size, am.files.c.created_at)
                            .where(am.files.c.application_pk == pk)
                            .order_by(am.files.c.created_at)).all()
    return [dict(r._mapping) for r in rows]


def get_file(engine: Engine, user: User, pk: int, file_id: str) -> dict[str, Any]:
    get_application(engine, user, pk)  # the family or its county's reviewers only
    with engine.connect() as conn:
        row = conn.execute(select(am.files).where(
            (am.files.c.id == file_id) & (am.files.c.application_pk == pk))).first()
    if row is None:
        raise NotFound()
    return dict(row._mapping)


# --- the round -----------------------------------------------------------------------------

ROUND_STATUSES = {
    "open": ("受理申请中", "accepting applications"),
    "frozen": ("名单已冻结", "list frozen"),
    "seeded": ("种子已公布", "seed announced"),
    "drawn": ("第一轮已摇号录取（未公布）", "round 1 drawn (not published)"),
    "published": ("第一轮结果已公布，待第二轮调剂", "round 1 published, round 2 to run"),
    "round2": ("第二轮调剂已完成，结果已公布", "round 2 done, results published"),
}
# Results exist from the draw on; families see them once published.
WITH_RESULTS = ("drawn", "published", "round2")
PUBLISHED = ("published", "round2")


@dataclass(frozen=True)
class Round:
    """One county, year and entry stage of admissions, as the portal moves it along."""

    round_key: str
    county_code: str
    year: int
    entry_stage: str
    status: str  # a key of ROUND_STATUSES
    list_sha256: str | None = None
    applicants: int | None = None
    seed: str | None = None

    @property
    def has_results(self) -> bool:
        return self.status in WITH_RESULTS

    @property
    def is_published(self) -> bool:
        return self.status in PUBLISHED


def default_year(engine: Engine, data: DataService, county_code: str, stage: str) -> int:
    """The year a staff page opens on when its address names none: the county's latest year
    with a round (frozen or further), an application or a plan for the stage, so the page
    shows the county's latest admissions rather than an empty calendar year (and the
    applications families send for the coming entry year, which the family form defaults to,
    before the county has set that year's plan; an application for a later year, which a
    family may send with the year in the address, does not move the page). With none, the
    coming entry year (``entry_year``)."""
    r, a, coming = am.rounds, am.applications, entry_year()
    with engine.connect() as conn:
        latest = conn.execute(select(
            select(func.max(r.c.year)).where(
                (r.c.county_code == county_code) & (r.c.entry_stage == stage))
            .scalar_subquery(),
            select(func.max(a.c.year)).where(
                (a.c.county_code == county_code) & (a.c.entry_stage == stage)
                & (a.c.year <= coming))
            .scalar_subquery())).one()
    planned = data.memo(("admissions-plan-year", county_code, stage),
                        lambda: _latest_plan_year(data.dataset(), county_code, stage))
    known = [y for y in (*latest, planned) if y is not None]
    return int(max(known)) if known else coming


def _latest_plan_year(ds: Dataset, county_code: str, stage: str) -> int | None:
    schools = ds.table("schools").filter(pl.col("county_code") == county_code)["school_id"]
    years = ds.table("admission_plans").filter(
        (pl.col("entry_stage") == stage) & pl.col("school_id").is_in(schools.implode()))["year"]
    latest = years.max()
    return None if latest is None else int(latest)  # type: ignore[arg-type]


def apply_years(engine: Engine, data: DataService, county_code: str, stage: str
                ) -> tuple[int, ...]:
    """The years a family may apply for in this county and entry grade, in order: the coming
    entry year (``entry_year``), and every year for which the county has set a plan whose
    round is still open (受理申请中: not yet frozen). Any other year — past, or years ahead,
    typed into the address — is refused before anything is checked or stored."""
    planned = plan_years(data, county_code, stage)
    r = am.rounds
    with engine.connect() as conn:
        closed = set(conn.execute(select(r.c.year).where(
            (r.c.county_code == county_code) & (r.c.entry_stage == stage)
            & (r.c.status != "open"))).scalars())
    return tuple(sorted({entry_year(), *(set(planned) - closed)}))


def plan_years(data: DataService, county_code: str, stage: str) -> tuple[int, ...]:
    """The years the county has a plan for (any school, this stage), once per data version."""
    return data.memo(("admissions-plan-years", county_code, stage),
                     lambda: _plan_years(data.dataset(), county_code, stage))


def year_refused(year: int, allowed: tuple[int, ...]) -> tuple[str, str]:
    """The family's message (zh, en) for a year it may not apply for."""
    return (f"{year}学年不受理入学申请；可申请的学年：{'、'.join(map(str, allowed))}",
            f"applications for {year} are not accepted; you can apply for "
            f"{', '.join(map(str, allowed))}")


def _plan_years(ds: Dataset, county_code: str, stage: str) -> tuple[int, ...]:
    schools = ds.table("schools").filter(pl.col("county_code") == county_code)["school_id"]
    years = ds.table("admission_plans").filter(
        (pl.col("entry_stage") == stage) & pl.col("school_id").is_in(schools.implode()))["year"]
    return tuple(int(y) for y in years.unique().sort())


def entry_year(today: dt.date | None = None) -> int:
    """The coming entry year: children start school on 1 September (义务教育法 and the
    school calendar), and the year's registration, review and lottery all come before it.
    So until 31 August (Beijing time) it is this calendar year; from 1 September on, this
    year's entry has happened and the next one is being prepared."""
    from zoneinfo import ZoneInfo

    day = today or now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    return day.year if day.month < 9 else day.year + 1


def get_round(engine: Engine, county_code: str, year: int, stage: str) -> Round:
    key = round_key(county_code, year, stage)
    with engine.connect() as conn:
        row = conn.execute(select(am.rounds).where(am.rounds.c.round_key == key)).first()
    if row is None:
        return Round(key, county_code, year, stage, "open")
    return Round(row.round_key, row.county_code, row.year, row.entry_stage, row.status,
                 row.list_sha256, row.applicants, row.seed)


def _set_round(conn: Any, key: str, county_code: str, year: int, stage: str,
               **values: Any) -> None:
    exists = conn.execute(select(am.rounds.c.round_key).where(am.rounds.c.round_key == key)
                          ).first()
    if exists:
        conn.execute(update(am.rounds).where(am.rounds.c.round_key == key).values(**values))
    else:
        conn.execute(insert(am.rounds).values(round_key=key, county_code=county_code,
                                              year=year, entry_stage=stage, **values))


def set_plan(engine: Engine, user: User, county_code: str, year: int, stage: str,
             school_id: str, seats: int, cat: Catalog) -> None:
    from junheng.io.db import import_dataset

    _staff(user, county_code)
    if county_code != cat.county_code or school_id not in cat.school_ids:
        raise AdmissionsError("学校不属于本区县", "the school is not in this county")
    if not 0 <= seats <= 100_000:
        raise AdmissionsError("招生计划数应在0到100000之间", "seats must be 0-100000")
    if get_round(engine, county_code, year, stage).status != "open":
        raise AdmissionsError("名单已冻结，不能再改招生计划", "the list is frozen")
    frame = pl.DataFrame({"year": [year], "school_id": [school_id], "entry_stage": [stage],
                          "seats": [seats]})
    import_dataset(engine, Dataset({"admission_plans": frame}), source="web")
    with engine.begin() as conn:
        _event(conn, user, "plan_set", round_key=round_key(county_code, year, stage),
               reason=coded(school_id=school_id, school=cat.school_names.get(school_id, ""),
                            seats=seats))


def exchange_rows(engine: Engine, county_code: str, year: int, stage: str) -> pl.DataFrame:
    """The approved applications as rows of the exchange table ``applications``."""
    apps = [a for a in county_applications(engine, county_code, year, stage)
            if a["status"] == "approved"]
    choices = [(a["choices"].split(",") if a["choices"] else []) + [None] * MAX_CHOICES
               for a in apps]
    return pl.DataFrame({
        "year": [year] * len(apps), "application_id": [a["application_id"] for a in apps],
        "county_code": [county_code] * len(apps), "entry_stage": [stage] * len(apps),
        "area_id": [a["area_id"] for a in apps],
        "category": [a["category_verified"] for a in apps],
        **{f"choice_{k}": pl.Series([c[k - 1] for c in choices], dtype=pl.Utf8)
           for k in range(1, MAX_CHOICES + 1)},
        "submitted_at": pl.Series([_beijing(a["submitted_at"]) for a in apps],
                                  dtype=pl.Datetime("us")),
    }, schema_overrides={"year": pl.Int64, "application_id": pl.Utf8, "county_code": pl.Utf8,
                         "entry_stage": pl.Utf8, "area_id": pl.Utf8, "category": pl.Utf8})


def _beijing(at: dt.datetime) -> dt.datetime:
    """Stored in UTC (SQLite hands it back without a zone); the exchange format carries local
    Beijing time to the second."""
    from zoneinfo import ZoneInfo

    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


def freeze(engine: Engine, user: User, county_code: str, year: int, stage: str,
           reason: str) -> str:
    """Write the approved applications to the exchange table, hash the list, close the round."""
    from junheng.admissions.notary import freeze as freeze_list
    from junheng.io.db import import_dataset

    _staff(user, county_code)
    if get_round(engine, county_code, year, stage).status != "open":
        raise AdmissionsError("名单已冻结", "the list is already frozen")
    with engine.connect() as conn:
        pending = conn.execute(select(func.count()).select_from(am.applications).where(
            (am.applications.c.county_code == county_code) & (am.applications.c.year == year)
            & (am.applications.c.entry_stage == stage)
            & (am.applications.c.status == "submitted"))).scalar_one()
    if pending:
        raise AdmissionsError(f"还有{pending}份申请待审核", f"{pending} applications await review")
    rows = exchange_rows(engine, county_code, year, stage)
    # Replaces this county/year/stage in the exchange table (replace_by in the registry).
    import_dataset(engine, Dataset({"applications": rows}), source="web")
    frozen = freeze_list(rows, county_code, year, stage)
    key = round_key(county_code, year, stage)
    with engine.begin() as conn:
        _set_round(conn, key, county_code, year, stage, status="frozen",
                   list_sha256=frozen.sha256, applicants=frozen.size, frozen_at=now())
        _event(conn, user, "frozen", round_key=key, reason=reason or None)
    return frozen.sha256


def announce_seed(engine: Engine, user: User, county_code: str, year: int, stage: str,
                  seed: str, reason: str) -> None:
    _staff(user, county_code)
    seed = seed.strip()
    if not seed or len(seed) > 128:
        raise AdmissionsError("请填写种子（不超过128字）", "enter the seed (up to 128 characters)")
    if get_round(engine, county_code, year, stage).status != "frozen":
        raise AdmissionsError("须先冻结名单并公布哈希，再公布种子",
                              "freeze the list and publish its hash first")
    key = round_key(county_code, year, stage)
    with engine.begin() as conn:
        _set_round(conn, key, county_code, year, stage, status="seeded", seed=seed,
                   seed_at=now())
        _event(conn, user, "seed_announced", round_key=key, reason=reason or seed)


# Who the publication names for a staff override (the ``by`` of the published JSON, the 经办人
# of the 公示 workbook and of the result a family reads): the office that decided, never a
# staff member's account or name. The spec fixes only the allocation; the staff pages' log
# names the person.
OFFICES = {Role.CITY_ADMIN.value: "市教育局", Role.COUNTY_ADMIN.value: "区县教育局"}
COUNTY_OFFICE = OFFICES[Role.COUNTY_ADMIN.value]


def office(role: str) -> str:
    return OFFICES.get(str(role), COUNTY_OFFICE)


def _offices(conn: Any, stored: set[str]) -> dict[str, str]:
    """Each stored ``by`` → the office published for it. Overrides are written with the
    office; older ones hold the account name, whose role is looked up once for all of them
    (an account no longer there was a county's: only administrators override)."""
    legacy = stored - set(OFFICES.values())
    found: dict[str, str] = {}
    if legacy:
        rows = conn.execute(select(models.users.c.username, models.users.c.role)
                            .where(models.users.c.username.in_(sorted(legacy)))).all()
        found = {r.username: office(r.role) for r in rows}
    return {b: found.get(b, COUNTY_OFFICE) if b in legacy else b for b in stored}


def _overrides(conn: Any, key: str) -> tuple[Override, ...]:
    rows = conn.execute(select(am.overrides).where(am.overrides.c.round_key == key)
                        .order_by(am.overrides.c.id)).all()
    by = _offices(conn, {r.by for r in rows})
    return tuple(Override(r.application_id, r.school_id, r.after_round, r.reason, by[r.by],
                          _beijing(r.at).isoformat()) for r in rows)


def publication(engine: Engine, rnd: Round, ds: Dataset) -> Allocation:
    """The allocation as the county publishes it: replayed from the frozen list, the seed,
    the staff overrides and whether round 2 has run — the same inputs `junheng admissions
    verify` reads from the JSON. Refused when the list no longer matches its hash."""
    from junheng.admissions.allocate import AllocationError, ListChanged, replay

    with engine.connect() as conn:
        overrides = _overrides(conn, rnd.round_key)
    try:
        return replay(ds, rnd.county_code, rnd.year, rnd.entry_stage, rnd.seed or "",
                      rnd.list_sha256 or "", round_2=rnd.status == "round2",
                      overrides=overrides)
    except ListChanged:
        raise AdmissionsError("名单与冻结时的哈希不一致，拒绝摇号",
                              "the list no longer matches its published hash: draw refused"
                              ) from None
    except AllocationError as exc:
        raise AdmissionsError(str(exc), str(exc)) from None


def _store(conn: Any, key: str, alloc: Allocation) -> None:
    """The results as the pages show them: exactly the publication's rows, with each reason
    also in English (admissions/words.py) for the English pages."""
    from junheng.admissions.words import result_reasons, why_not_reasons

    why = (alloc.why_not.with_columns(why_not_reasons(alloc, "en"))
           .sort("application_id", "order")
           .group_by("application_id", maintain_order=True)
           .agg(pl.format("[{}]", pl.struct("school_id", "choice_rank", "reason", "reason_zh",
                                            "reason_en")
                          .struct.json_encode().str.join(",")).alias("why_not")))
    rows = (alloc.results.with_columns(result_reasons(alloc, "en"))
            .join(why, on="application_id", how="left", maintain_order="left")
            .select(pl.lit(key).alias("round_key"), "application_id", "lottery_number", "round",
                    "school_id", "choice_rank", "in_zone", "reason_zh", "reason_en",
                    pl.col("why_not").fill_null("[]"),
                    pl.when(pl.col("override_reason").is_not_null()).then(pl.col("school_id"))
                    .alias("override_school_id"), "override_reason", "override_by")
            .to_dicts())
    conn.execute(delete(am.results).where(am.results.c.round_key == key))
    if rows:
        conn.execute(insert(am.results), rows)


def draw(engine: Engine, user: User, county_code: str, year: int, stage: str,
         ds: Dataset) -> Allocation:
    """Lottery and round 1 from the exchange tables; refused if the list changed. Round 2
    (调剂) is its own step once round 1 is published (``round_two``)."""
    _staff(user, county_code)
    current = get_round(engine, county_code, year, stage)
    if current.status != "seeded":
        raise AdmissionsError("须先公布种子", "announce the seed first")
    alloc = publication(engine, current, ds)
    with engine.begin() as conn:
        _store(conn, current.round_key, alloc)
        _set_round(conn, current.round_key, county_code, year, stage, status="drawn",
                   drawn_at=now())
        _event(conn, user, "drawn", round_key=current.round_key,
               reason=coded(sha256=alloc.list_sha256, seed=alloc.seed))
    return alloc


def publish(engine: Engine, user: User, county_code: str, year: int, stage: str,
            reason: str) -> None:
    _staff(user, county_code)
    if get_round(engine, county_code, year, stage).status != "drawn":
        raise AdmissionsError("须先摇号录取", "run the draw first")
    key = round_key(county_code, year, stage)
    with engine.begin() as conn:
        _set_round(conn, key, county_code, year, stage, status="published",
                   published_at=now())
        _event(conn, user, "published", round_key=key, reason=reason or None)


def round_two(engine: Engine, user: User, county_code: str, year: int, stage: str,
              reason: str, ds: Dataset) -> Allocation:
    """Round 2 (调剂) after round 1 is published: the unplaced, in (category class, lottery)
    order, take the nearest public school with a seat left after round 1 and its overrides.
    Published at once: its inputs (round 1, overrides, distances) are all public already."""
    _staff(user, county_code)
    current = get_round(engine, county_code, year, stage)
    if current.status != "published":
        raise AdmissionsError("须先公布第一轮录取结果，再运行第二轮调剂",
                              "publish the round-1 results before running round 2")
    alloc = publication(engine, replace(current, status="round2"), ds)
    placed = alloc.results.filter(pl.col("round") == 2).height
    left = alloc.results.filter(pl.col("round").is_null()).height
    with engine.begin() as conn:
        _store(conn, current.round_key, alloc)
        _set_round(conn, current.round_key, county_code, year, stage, status="round2",
                   published_at=now())
        _event(conn, user, "round2", round_key=current.round_key,
               reason=coded(placed=placed, left=left, note=reason or None))
    return alloc


def override(engine: Engine, user: User, pk: int, school_id: str, reason: str,
             data: DataService) -> None:
    """Another school for one application, with a written reason shown on the result. It
    becomes part of the publication (listed with who and why, replayed by verify): made on
    round 1 it shapes round 2's free seats; made after round 2 it changes nothing else."""
    app = get_application(engine, user, pk)
    _staff(user, app["county_code"])
    reason = reason.strip()[:2000]
    if not reason:
        raise AdmissionsError("更改录取结果须写明理由（将显示在结果上）",
                              "an override needs a written reason (shown on the result)")
    cat = county_catalog(data, app["county_code"], app["year"], app["entry_stage"])
    if school_id not in cat.school_ids:
        raise AdmissionsError("学校不属于本区县", "the school is not in this county")
    ds = data.dataset()
    current = get_round(engine, app["county_code"], app["year"], app["entry_stage"])
    if not current.has_results:
        raise AdmissionsError("尚无录取结果", "there is no result yet")
    after_round = 2 if current.status == "round2" else 1
    stamp = now()
    with engine.begin() as conn:
        # One per application and round: a later one replaces it (the event log keeps both).
        conn.execute(delete(am.overrides).where(
            (am.overrides.c.application_id == app["application_id"])
            & (am.overrides.c.after_round == after_round)))
        conn.execute(insert(am.overrides).values(
            round_key=current.round_key, application_id=app["application_id"],
            after_round=after_round, school_id=school_id, reason=reason, by=office(user.role),
            at=stamp))
        # The log names the school as the family reads it, never by its id (its name is
        # kept too, for a school that later leaves the data).
        _event(conn, user, "override", application_pk=pk,
               reason=coded(school_id=school_id, school=cat.school_names.get(school_id, ""),
                            note=reason))
    # Replayed as verify will replay it, then stored; undone if the replay refuses it.
    try:
        alloc = publication(engine, current, ds)
    except AdmissionsError:
        with engine.begin() as conn:
            conn.execute(delete(am.overrides).where(
                (am.overrides.c.application_id == app["application_id"])
                & (am.overrides.c.at == stamp)))
        raise
    with engine.begin() as conn:
        _store(conn, current.round_key, alloc)


@dataclass(frozen=True)
class WhyNot:
    school_id: str
    choice_rank: str | None
    reason: str
    reason_zh: str
    # Results stored before the English was kept (migration 0010) have none: the Chinese.
    reason_en: str | None = None

    def reason_in(self, lang: str) -> str:
        return (self.reason_en or self.reason_zh) if lang == "en" else self.reason_zh


@dataclass(frozen=True)
class ResultRow:
    """One application's stored result: the publication's row, overrides included."""

    application_id: str
    lottery_number: int
    round: int | None
    school_id: str | None
    choice_rank: str | None
    in_zone: bool
    reason_zh: str
    why_not: tuple[WhyNot, ...]
    override_school_id: str | None
    override_reason: str | None
    override_by: str | None
    reason_en: str | None = None

    def reason_in(self, lang: str) -> str:
        """Why this result, in ``lang`` (English when stored, else the Chinese)."""
        return (self.reason_en or self.reason_zh) if lang == "en" else self.reason_zh


def _result_rows(conn: Any, rows: list[Any]) -> list[ResultRow]:
    """The stored results as shown. A result overridden before overrides were published with
    the office holds the account name in ``override_by`` and in its reason ("（经办人：…）",
    the allocation's wording): both read as the office instead."""
    from junheng.admissions.words import by_words

    by = _offices(conn, {r.override_by for r in rows if r.override_by})
    out = []
    for row in rows:
        reason, reason_en, who = row.reason_zh, row.reason_en, row.override_by
        if who and by[who] != who:
            reason = reason.replace(f"（经办人：{who}）", f"（经办人：{by[who]}）")
            if reason_en:
                reason_en = reason_en.replace(f"(by {who})", f"(by {by_words(by[who], 'en')})")
            who = by[who]
        out.append(ResultRow(row.application_id, row.lottery_number, row.round, row.school_id,
                             row.choice_rank, bool(row.in_zone), reason,
                             tuple(WhyNot(**w) for w in json.loads(row.why_not)),
                             row.override_school_id, row.override_reason, who, reason_en))
    return out


def round_results(engine: Engine, rnd: Round) -> list[ResultRow]:
    with engine.connect() as conn:
        rows = conn.execute(select(am.results).where(am.results.c.round_key == rnd.round_key)
                            .order_by(am.results.c.lottery_number)).all()
        return _result_rows(conn, list(rows))


# A result's outcome, as the results list filters it: placed in round 1, in round 2, or not
# (yet) placed — waiting for round 2, or unplaced after it.
OUTCOMES = ("1", "2", "none")


def _outcome(column: Any, outcome: str) -> Any:
    return column.is_(None) if outcome == "none" else column == int(outcome)


def result_counts(engine: Engine, rnd: Round) -> dict[str, int]:
    """The round's results per outcome (every outcome, 0 when none): they add up to all."""
    r = am.results
    with engine.connect() as conn:
        rows = conn.execute(select(r.c.round, func.count())
                            .where(r.c.round_key == rnd.round_key).group_by(r.c.round)).all()
    found = {"none" if k is None else str(k): int(n) for k, n in rows}
    return {o: found.pop(o, 0) for o in OUTCOMES} | found


def result_page(engine: Engine, rnd: Round, search: str = "", page: int = 1,
                size: int = PAGE_SIZES[0], outcome: str = "") -> Paged:
    """One page of the round's results in lottery order, each as (result, the child's name
    or None): counted, ordered and cut by the database, then the page's names looked up.
    ``outcome``: one of OUTCOMES, or "" for all."""
    r, a = am.results, am.applications
    where = r.c.round_key == rnd.round_key
    if outcome in OUTCOMES:
        where &= _outcome(r.c.round, outcome)
    if search:
        where &= _like(r.c.application_id, search)
    with engine.connect() as conn:
        matching = int(conn.execute(select(func.count()).select_from(r).where(where))
                       .scalar_one())
        page = _page_of(page, size, matching)
        rows = conn.execute(select(r).where(where).order_by(r.c.lottery_number)
                            .limit(size).offset((page - 1) * size)).all()
        shown = _result_rows(conn, list(rows))
        # The page's names by the unique application id, after the page is cut: a join
        # before the LIMIT let PostgreSQL (statistics not yet updated after a bulk load)
        # compare every result with every application (1.5 s for 甘州区's 4,748).
        names = dict(conn.execute(select(a.c.application_id, a.c.child_name).where(
            a.c.application_id.in_([s.application_id for s in shown])
            & (a.c.county_code == rnd.county_code) & (a.c.year == rnd.year)
            & (a.c.entry_stage == rnd.entry_stage))).tuples().all())
    return Paged([(s, names.get(s.application_id)) for s in shown], matching, page, size)


def admitted_counts(engine: Engine, rnd: Round) -> dict[str, int]:
    """School id → how many the round's results place there (overrides included)."""
    r = am.results
    with engine.connect() as conn:
        rows = conn.execute(select(r.c.school_id, func.count())
                            .where((r.c.round_key == rnd.round_key) & r.c.school_id.is_not(None))
                            .group_by(r.c.school_id)).all()
    return {str(s): int(n) for s, n in rows}


def result_for(engine: Engine, user: User, pk: int) -> ResultRow | None:
    """The result of an application: for its family only once published."""
    app = get_application(engine, user, pk)
    rnd = get_round(engine, app["county_code"], app["year"], app["entry_stage"])
    if user.role == Role.PARENT and not rnd.is_published:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(am.results).where(
            am.results.c.application_id == app["application_id"])).first()
        return None if row is None else _result_rows(conn, [row])[0]


def round_events(engine: Engine, key: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(_with_names(am.events.c.round_key == key)).all()
    return [dict(r._mapping) for r in rows]


def _staff(user: User, county_code: str) -> None:
    if not is_reviewer(user) or not can_see_county(user, county_code):
        raise Denied()
