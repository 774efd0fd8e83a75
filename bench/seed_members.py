"""Seed one community with many members, fast: COPY through psycopg 3, in one transaction.

People get realistic names (Chinese, English and the mixed nicknames people really use), join over
three years, and about 30% carry one to three of the standard tags."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from core.extensions import db

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ("芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
         "平", "刚", "桂英", "晨", "子涵", "欣怡", "梓萱", "浩然", "宇轩", "一诺", "思远", "雨桐", "嘉怡", "俊杰")
FIRST = ("Emma", "Olivia", "Ava", "Sophia", "Mia", "Amelia", "Grace", "Chloe", "Lily", "Hannah", "James", "Oliver",
         "Jack", "Harry", "Noah", "Leo", "Lucas", "Ethan", "Daniel", "Henry", "Amy", "Kevin", "Tony", "Cathy",
         "Vivian", "Eric", "Jason", "Iris", "Coco", "Linda")
LAST = ("Smith", "Brown", "Wilson", "Taylor", "Johnson", "White", "Martin", "Anderson", "Thompson", "Walker",
        "Wang", "Li", "Zhang", "Liu", "Chen", "Huang", "Lin", "Wong", "Chan", "Ng")
NICK = ("小红", "小明", "阿花", "大宝", "小鱼", "果果", "甜甜", "乐乐", "豆豆", "妞妞")
#: the standard taxonomy the members are tagged with (namespace, value, English, Chinese)
TAGS = (
    ("skin", "dry", "Dry skin", "干性"), ("skin", "combination", "Combination skin", "混合性"),
    ("skin", "oily", "Oily skin", "油性"), ("skin", "sensitive", "Sensitive skin", "敏感"),
    ("home", "budget", "Budget home", "实惠"), ("home", "design", "Design home", "设计"),
    ("diet", "vegetarian", "Vegetarian", "素食"), ("diet", "kids", "Cooking for kids", "儿童"),
    ("taste", "sweet", "Sweet tooth", "爱甜"), ("taste", "spicy", "Loves spicy", "爱辣"),
)
TAGGED_SHARE = 0.3
THREE_YEARS = 3 * 365 * 86400  #: seconds over which members joined; the shopkeeper joined first


def display_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(SURNAMES) + rng.choice(GIVEN)
    if roll < 0.85:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    if roll < 0.95:
        return f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}{rng.choice(GIVEN)}"
    return rng.choice(NICK) + rng.choice(("", "🍑", "呀", str(rng.randint(1, 99))))


def _filled(table: sa.Table, rows: Iterable[dict], now: datetime):
    """Rows as tuples in the table's column order; columns a row leaves out take the model's default, so
    that a column added to a model later does not break the seeding."""
    columns = [c for c in table.columns if c.server_default is None]
    defaults = {}
    for column in columns:
        default = column.default
        if default is None:
            defaults[column.name] = None
        elif default.is_scalar:
            defaults[column.name] = default.arg.value if hasattr(default.arg, "value") else default.arg
        else:
            defaults[column.name] = now  # callable defaults here are all clock.now
    names = [c.name for c in columns]
    return names, ((row.get(name, defaults[name]) for name in names) for row in rows)


def copy_rows(cursor, table: sa.Table, rows: Iterable[dict], now: datetime) -> None:
    names, tuples = _filled(table, rows, now)
    quoted = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in tuples:
            copy.write_row(tuple(row))


def _next_id(cursor, table: str) -> int:
    return cursor.execute(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"').fetchone()[0]


def _reset_sequence(cursor, table: str) -> None:
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")


def seed_community(slug: str, members: int, seed: int = 2024) -> int:
    """One community ``slug`` run by one shopkeeper, with ``members`` members; returns its id. Runs in one
    transaction: either the whole community is there afterwards, or nothing is."""
    from accounts.models import User
    from shopkeeper.models import Membership, MemberTag

    rng = random.Random(seed)
    now = datetime.now(UTC)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        for namespace, value, label_en, label_zh in TAGS:
            cursor.execute(
                "INSERT INTO tags (namespace, value, label_en, label_zh, active, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, true, %s, %s) ON CONFLICT (namespace, value) DO NOTHING",
                (namespace, value, label_en, label_zh, now, now))
        tag_ids = [row[0] for row in cursor.execute(
            "SELECT id FROM tags WHERE (namespace, value) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
            ([t[0] for t in TAGS], [t[1] for t in TAGS]))]

        first_user = _next_id(cursor, "users")
        owner_id = first_user
        users = [{"id": owner_id, "email": f"{slug}-owner@bench.tuan.local", "display_name": "Chen Jing 陈静",
                  "password_hash": "!", "is_active_account": True, "created_at": now, "updated_at": now}]
        users += [{"id": first_user + n, "email": f"{slug}-{n}@bench.tuan.local", "display_name": display_name(rng),
                   "password_hash": "!", "is_active_account": True, "created_at": now, "updated_at": now}
                  for n in range(1, members + 1)]
        copy_rows(cursor, User.__table__, users, now)

        community_id = cursor.execute(
            "INSERT INTO communities (owner_id, name, slug, description, currency, timezone, created_at, updated_at)"
            " VALUES (%s, %s, %s, '', 'CNY', 'Asia/Shanghai', %s, %s) RETURNING id",
            (owner_id, f"Bench community ({members:,} members)", slug, now, now)).fetchone()[0]

        first_membership = _next_id(cursor, "memberships")
        memberships, tags = [], []
        for n, user in enumerate(users):
            joined = now - timedelta(seconds=THREE_YEARS if n == 0 else rng.randint(0, THREE_YEARS))
            membership_id = first_membership + n
            memberships.append({"id": membership_id, "community_id": community_id, "user_id": user["id"],
                                "role": "shopkeeper" if n == 0 else "member", "joined_at": joined, "note": "",
                                "created_at": joined, "updated_at": joined})
            if n and rng.random() < TAGGED_SHARE:
                for tag_id in rng.sample(tag_ids, rng.choice((1, 1, 1, 2, 2, 3))):
                    tags.append({"membership_id": membership_id, "tag_id": tag_id,
                                 "set_by_shopkeeper": rng.random() < 0.5, "created_at": joined})
        copy_rows(cursor, Membership.__table__, memberships, now)
        copy_rows(cursor, MemberTag.__table__, tags, now)
        for table in ("users", "memberships"):
            _reset_sequence(cursor, table)
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return community_id
