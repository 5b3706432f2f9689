"""The rep's note templates per account and outcome (kept locally, never sent anywhere)."""

from __future__ import annotations

import sqlite3

from calldesk.domain.model import utcnow
from calldesk.domain.templates import NoteTemplate
from calldesk.store.db import Database, encode_time

#: Templates kept per account (a rep's handful; a bound against runaway imports).
MAX_TEMPLATES = 200


class TemplateLimitError(ValueError):
    """The account already keeps :data:`MAX_TEMPLATES` templates."""


def _template(row: sqlite3.Row) -> NoteTemplate:
    return NoteTemplate(
        account=row["account"],
        name=row["name"],
        body=row["body"],
        outcome=row["outcome"],
        is_default=bool(row["is_default"]),
        position=row["position"],
        template_id=row["template_id"],
    )


class TemplateStore:
    """Note templates; at most one default per (account, outcome)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self, account: str) -> list[NoteTemplate]:
        """Every template of ``account``: any-outcome ones last, then by position and name."""
        rows = self._db.query(
            """SELECT * FROM note_templates WHERE account = ?
               ORDER BY outcome = '', outcome, position, name COLLATE NOCASE, template_id""",
            (account,),
        )
        return [_template(row) for row in rows]

    def default_for(self, account: str, outcome: str) -> NoteTemplate | None:
        row = self._db.query_one(
            """SELECT * FROM note_templates WHERE account = ? AND outcome = ? AND is_default = 1
               ORDER BY position, template_id LIMIT 1""",
            (account, outcome),
        )
        return None if row is None else _template(row)

    def save(self, template: NoteTemplate) -> NoteTemplate:
        """Insert (no id) or replace (id) a template; a default unsets the outcome's other one."""
        stamp = encode_time(utcnow())
        with self._db.transaction() as conn:
            if template.is_default:
                conn.execute(
                    """UPDATE note_templates SET is_default = 0
                       WHERE account = ? AND outcome = ? AND template_id IS NOT ?""",
                    (template.account, template.outcome, template.template_id),
                )
            values = (
                template.account,
                template.outcome,
                template.name,
                template.body,
                int(template.is_default),
                template.position,
                stamp,
            )
            if template.template_id is None:
                count = conn.execute(
                    "SELECT COUNT(*) FROM note_templates WHERE account = ?", (template.account,)
                ).fetchone()[0]
                if count >= MAX_TEMPLATES:
                    raise TemplateLimitError(
                        f"{template.account} already keeps {MAX_TEMPLATES} templates"
                    )
                cursor = conn.execute(
                    """INSERT INTO note_templates
                       (account, outcome, name, body, is_default, position, updated_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    values,
                )
                template_id = int(cursor.lastrowid or 0)
            else:
                conn.execute(
                    """UPDATE note_templates SET account = ?, outcome = ?, name = ?, body = ?,
                       is_default = ?, position = ?, updated_at = ? WHERE template_id = ?""",
                    (*values, template.template_id),
                )
                template_id = template.template_id
        return NoteTemplate(
            account=template.account,
            name=template.name,
            body=template.body,
            outcome=template.outcome,
            is_default=template.is_default,
            position=template.position,
            template_id=template_id,
        )

    def delete(self, template_id: int) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM note_templates WHERE template_id = ?", (template_id,))
