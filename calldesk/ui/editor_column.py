"""The editor column: the open record, its form, its notices, its draft, its save.

``EditorCoordinator`` opens a call in its account's ``EditorForm`` (built once per account from
the vendor schema), or in the field-by-field conflict view when the call is in conflict; starts a
new call; saves (errors beside the fields), deletes, resolves conflicts; restores unsaved drafts
at start. Its draft is kept by ``DraftKeeper``, its recording by ``RecordingCoordinator``, what
was sent by ``HistoryPanel``; the "no account yet" page and the calm notice above the form (a CRM
that allows no changes, with "Delete call…") are its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from calldesk.ui.account_picker import AccountPicker
from calldesk.ui.chrome import WindowChrome
from calldesk.ui.drafts import DraftKeeper, Editing
from calldesk.ui.editor_pages import EditorPages
from calldesk.ui.history import HistoryPanel
from calldesk.ui.recordings import RecordingCoordinator

if TYPE_CHECKING:
    from calldesk.domain import CallRecord
    from calldesk.store.drafts import Draft
    from calldesk.ui.callerid_assist import CallerIdAssist
    from calldesk.ui.conflict_view import ConflictView
    from calldesk.ui.context import WindowContext
    from calldesk.ui.form import EditorForm
    from calldesk.ui.listing import CallListController
    from calldesk.ui.templates_assist import TemplatesAssist


class EditorCoordinator(QObject):
    """The open record and everything under the editor (see the module docstring)."""

    def __init__(
        self,
        context: WindowContext,
        chrome: WindowChrome,
        listing: CallListController,
        chosen_account: Callable[[], str | None],
        open_accounts: Callable[[], None],
    ) -> None:
        """``chosen_account``: the sidebar's account, the default for a new call;
        ``open_accounts``: the "Add an account…" button's action."""
        super().__init__(chrome.editor_stack)
        self._context = context
        self._listing = listing
        self._chosen_account = chosen_account
        self.stack = chrome.editor_stack
        self.starting_page = chrome.starting_page
        self._forms: dict[str, EditorForm] = {}
        self.assists: dict[str, CallerIdAssist] = {}  # caller ID per account's form
        self.templates: dict[str, TemplatesAssist] = {}  # note templates per account's form
        self._conflict_view: ConflictView | None = None
        self.editing: Editing | None = None  # (account, local_id or None if new)
        self.locked = False  # the open call's CRM allows no changes to it
        self._stale: str | None = None  # the open record changed while the rep was typing
        self.discarded: Draft | None = None  # a new call set aside by Ctrl+N (undo brings it)
        self.drafts = DraftKeeper(context, lambda: self.editing, self)
        self.recordings = RecordingCoordinator(
            context, chrome, lambda: self.editing, self.open_form, self.open_record
        )
        self.recordings.save_and_attach.connect(self.attach_recording)
        self.picker = AccountPicker(chrome, context.settings)
        self.picker.chosen.connect(self.new_call)
        self.history = HistoryPanel(
            context, chrome, lambda: self.editing[1] if self.editing is not None else None
        )
        self.pages = EditorPages(
            chrome, open_accounts, lambda: context.spawn(self.delete_current()), parent=self
        )
        self.empty_page = self.pages.empty_page

    # -- building ------------------------------------------------------------------------------

    @property
    def conflict_view(self) -> ConflictView:
        """The field-by-field conflict view (a page of the editor stack)."""
        if self._conflict_view is None:
            from calldesk.ui.conflict_view import ConflictView

            view = ConflictView(self.stack)
            view.resolve_requested.connect(
                lambda local_id, chosen: self._context.spawn(
                    self.resolve_conflict(local_id, chosen)
                )
            )
            self.stack.addWidget(view)
            self._conflict_view = view
        return self._conflict_view

    def forget(self) -> None:
        """The backend changed: every form and zone goes (built again from the new schemas)."""
        for form in self._forms.values():
            self.stack.removeWidget(form)
            form.deleteLater()
        self._forms.clear()
        self.recordings.forget()
        self.editing = None

    # -- the forms -----------------------------------------------------------------------------

    def form_for(self, account: str) -> EditorForm:
        """The editor of ``account`` (built once, from its vendor schema)."""
        form = self._forms.get(account)
        if form is None:
            from calldesk.ui.form import EditorForm

            service = self._context.service
            callerid = self._context.backend.callerid
            form = EditorForm(
                service.schema_for(account),
                account_name=account,
                lookups=partial(service.lookup, account),
                spawn=self._context.spawn,
                region=callerid.region_for(account) if callerid is not None else None,
                parent=self.stack,
            )
            self._attach_helpers(form)
            form.save_requested.connect(self._on_save)
            form.defaults_requested.connect(partial(self._store_defaults, account))
            form.draft_changed.connect(partial(self.drafts.changed, account))
            form.dirty_changed.connect(self._on_dirty)
            self.stack.addWidget(form)
            self._forms[account] = form
        return form

    def _attach_helpers(self, form: EditorForm) -> None:
        """Caller ID under the phone field, where the backend and the vendor schema have it."""
        callerid = self._context.backend.callerid
        spec = form.schema.caller_id
        if callerid is not None and spec is not None and spec.phone is not None:
            from calldesk.ui.callerid_assist import CallerIdAssist

            self.assists[form.account_name] = CallerIdAssist(form, callerid, self._context.spawn)
        templates = self._context.backend.templates
        if templates is not None and any(n in form.fields for n in form.schema.list_view.note):
            from calldesk.ui.templates_assist import TemplatesAssist

            self.templates[form.account_name] = TemplatesAssist(
                form, templates, self._context.spawn, partial(self._outcome_choices, form)
            )

    async def _outcome_choices(self, form: EditorForm) -> list[tuple[str, str]]:
        """The outcomes a template can be for: the schema's enum, or the CRM's cached list."""
        for name in form.schema.list_view.outcome:
            spec = form.schema.field(name)
            if spec.enum:
                return [(item.value, item.label) for item in spec.enum]
            if spec.lookup is not None:
                items = await self._context.service.lookup(form.account_name, spec.lookup)
                return [(item.id, item.label) for item in items]
        return []

    @property
    def form(self) -> EditorForm | None:
        """The form shown, if a form is."""
        current = self.stack.currentWidget()
        return next((form for form in self._forms.values() if form is current), None)

    def open_form(self, account: str) -> EditorForm | None:
        """``account``'s form when it is the one shown."""
        form = self._forms.get(account)
        return form if form is not None and form is self.form else None

    def account_defaults(self, account: str) -> dict[str, str]:
        """What new calls for ``account`` start with (raw field texts; ``ui.defaults``)."""
        from calldesk.ui.defaults import AccountDefaults

        return AccountDefaults(self._context.settings).get(account)

    def _store_defaults(self, account: str, texts: dict[str, str]) -> None:
        from calldesk.ui.defaults import AccountDefaults

        kept = AccountDefaults(self._context.settings).put(account, texts)
        form = self._forms.get(account)
        labels = [form.schema.field(n).label.lower() for n in kept] if form else list(kept)
        if kept:
            message = self.tr("New calls for {account} now start with this {fields}.").format(
                account=account, fields=", ".join(labels)
            )
        else:
            message = self.tr("New calls for {account} start empty again.").format(account=account)
        self._context.say(message, 6000)

    def focus(self) -> None:
        """Tab/Enter from the list: into the first field the rep can change."""
        from PySide6.QtCore import Qt

        form = self.form
        if form is None:
            page = self.stack.currentWidget()
            if page is not None:
                page.setFocus(Qt.FocusReason.TabFocusReason)
            return
        for name in form.field_names():
            widget = form.fields[name]
            if widget.is_editable():
                widget.focus_widget().setFocus(Qt.FocusReason.TabFocusReason)
                return

    # -- opening -------------------------------------------------------------------------------

    def _default_account(self) -> str | None:
        chosen = self._chosen_account()
        if chosen is not None:
            return chosen
        accounts = self._context.service.accounts()
        remembered = self.picker.remembered()
        if remembered in accounts:
            return remembered
        if self.editing is not None and self.editing[0] in accounts:
            return self.editing[0]
        names = list(accounts)
        return names[0] if names else None

    def show_default(self) -> None:
        """A new call, or (no account) the starting or "No CRM account yet" page."""
        if self._context.service.accounts():
            self.new_call()
        else:
            self.editing = None
            starting = self._context.backend.starting
            self.stack.setCurrentWidget(self.starting_page if starting else self.empty_page)
            self.picker.hide()
            self.recordings.show_zone(None)
            self.pages.set_notice(None)
            self.history.toggle.setEnabled(False)

    def new_call(self, account: str | None = None) -> None:
        """Ctrl+N: an empty editor for ``account`` (the selected one by default), starting now."""
        name = account or self._default_account()
        if name is None:
            self.show_default()
            return
        left = self.editing
        self._leave()
        kept = self.drafts.for_new_call(name)
        if kept is not None and left == (name, None):  # Ctrl+N on a call being typed
            self.discarded = kept  # set aside, and the rep can bring it back
            kept = None
            self._context.say(
                self.tr(
                    "Started an empty call. The one you were typing is set aside: "
                    "Edit › Bring back the discarded call (Ctrl+Alt+Z)."
                ),
                10000,
            )
        self._start_new(name, kept)
        if kept is not None:
            self._context.say(self.tr("Brought back the new call you were typing."), 6000)

    def _start_new(self, name: str, draft: Draft | None) -> None:
        form = self.form_for(name)
        self.stack.setCurrentWidget(form)
        form.new_record({}, defaults=self.account_defaults(name))
        service = self._context.service
        self.picker.show_for(
            name, [(n, f"{n} · {service.schema_for(n).label}") for n in service.accounts()]
        )
        self.editing = (name, None)
        self._stale = None
        self.locked = False
        self.pages.set_notice(None)
        self.drafts.begin(draft)
        if draft is not None:
            form.load_draft(draft.form)
        self._listing.table.clearSelection()
        self.history.clear()
        self.recordings.show_zone(name)

    def bring_back_discarded(self) -> bool:
        """Undo a discard: the new call set aside by Ctrl+N opens again, as it was typed."""
        draft = self.discarded
        if draft is None or draft.account not in self._context.service.accounts():
            self._context.say(self.tr("There is no discarded call to bring back."), 5000)
            return False
        self.discarded = None
        self._leave()
        self._start_new(draft.account, draft)
        self._context.say(self.tr("Brought back the call you were typing."), 5000)
        return True

    def _leave(self) -> None:
        """Before another record opens: keep the open one's unsaved edits (or forget them)."""
        form = self.form
        self.drafts.leave(dirty=form is not None and form.is_dirty() and not self.locked)

    async def open_record(self, account: str, local_id: str) -> None:
        """Load a call into its account's editor (or the conflict view), with its history."""
        from calldesk.domain import SyncState

        service = self._context.service
        if self.editing != (account, local_id):
            self._leave()
        record = await service.find(account, local_id)
        schema = service.schema_for(account)
        self.picker.hide()
        self.editing = (account, local_id)
        self._stale = None
        self.drafts.begin()
        self.history.enable()
        if record.state == SyncState.CONFLICT:
            version = await service.conflict(local_id)
            if version is not None:
                from calldesk.ui.conflict_view import lookup_labels

                labels = await lookup_labels(
                    schema,
                    version.local_fields,
                    version.remote_fields,
                    lookups=partial(service.lookup, account),
                )
                self.conflict_view.show_conflict(
                    schema,
                    account,
                    local_id,
                    version.local_fields,
                    version.remote_fields,
                    labels=labels,
                )
                self.stack.setCurrentWidget(self.conflict_view)
                self.pages.set_notice(None)
                self.recordings.show_zone(None)
                await self.history.load(local_id)
                return
        form = self.form_for(account)
        self.stack.setCurrentWidget(form)
        self._show_record(form, record)
        draft = self.drafts.for_record(local_id)
        if draft is not None and not self.locked:
            form.load_draft(draft.form)
            self.drafts.begin(draft)
            self._context.say(self.tr("Your unsaved edits of this call are back."), 5000)
        self.recordings.show_zone(account, saved=True)
        self.recordings.zone_for(account).set_duration_blocked(self._lock_reason(account))
        await self.recordings.restore_upload(account, local_id)
        await self.history.load(local_id)

    def _lock_reason(self, account: str) -> str | None:
        label = self._context.service.schema_for(account).label
        return (
            self.tr("{crm} doesn't allow changes to a logged call.").format(crm=label)
            if (self.locked)
            else None
        )

    def _show_record(self, form: EditorForm, record: CallRecord) -> None:
        """The record's fields and state: heading, CRM id, lock and its reason, the notice."""
        schema = form.schema
        self.locked = schema.capabilities.update is None and record.remote_id is not None
        form.load_record(
            record.fields,
            existing=record.remote_id is not None,
            remote_id=record.remote_id,
            queued=record.remote_id is None,
        )
        lock = self._lock_reason(record.account)
        form.set_locked(lock)
        if lock is not None:
            self.pages.set_notice(
                lock + " " + self.tr("You can delete it and log it again."),
                delete=schema.capabilities.delete,
            )
        else:
            self.pages.set_notice(None)

    async def follow(self, local_id: str) -> None:
        """The open record changed underneath (synced, refused, fetched again): show its state
        now. While the rep is typing into it, wait until the form is clean again (saved or
        undone) rather than move what they type."""
        editing = self.editing
        if editing is None or editing[1] != local_id:
            return
        account = editing[0]
        form = self.form
        if form is not None and form.is_dirty():
            self._stale = local_id
            return
        self._stale = None
        record = await self._context.service.find(account, local_id)
        if self.editing != (account, local_id):
            return  # the rep moved on meanwhile
        from calldesk.domain import SyncState

        form = self.form
        if form is None or record.state == SyncState.CONFLICT:
            await self.open_record(account, local_id)  # into (or out of) the conflict view
            return
        if form.is_dirty():  # typed while the record was read
            self._stale = local_id
            return
        self._show_record(form, record)
        self.recordings.zone_for(account).set_duration_blocked(self._lock_reason(account))

    def _on_dirty(self, dirty: bool) -> None:
        if not dirty and self._stale is not None:
            self._context.spawn(self.follow(self._stale))

    def attach_recording(self) -> None:
        """Attach recording… (menu, Ctrl+Shift+A, the "Save and attach" button): the open
        call's file dialog; a new call is saved first."""
        editing = self.editing
        if editing is None:
            self._context.say(self.tr("Open or start a call first."), 5000)
            return
        account, local_id = editing
        zone = self.recordings.zone_for(account)
        if not zone.accepts_files():
            self._context.say(zone.message.text(), 8000)
            return
        if local_id is None:
            self._context.spawn(self._save_and_attach())
            return
        shown = self.recordings.drop_zone
        if shown is not None:
            shown.choose_file()

    async def _save_and_attach(self) -> None:
        form = self.form
        if form is None:
            return
        if not form.is_valid():
            form.request_save(and_new=False)  # shows what is missing, beside each field
            self._context.say(self.tr("Fill in what is missing, then attach."), 6000)
            return
        if await self.save(form.save_values()):
            zone = self.recordings.drop_zone
            if zone is not None:
                zone.choose_file()

    async def restore_drafts(self) -> None:
        """Bring back what the rep typed but did not save (the newest draft opens at once)."""
        drafts = await self.drafts.load()
        if not drafts:
            return
        newest = drafts[0]
        if newest.local_id is not None:
            await self.open_record(newest.account, newest.local_id)
        else:
            self.new_call(newest.account)
            form = self.form
            if form is None:
                return
            form.load_draft(newest.form)
            self.drafts.begin(newest)
        when = newest.updated_at.astimezone().strftime("%H:%M")
        self._context.say(
            self.tr("Restored what you were typing at {when}; it was never lost.").format(
                when=when
            ),
            8000,
        )

    # -- changing ------------------------------------------------------------------------------

    async def delete_current(self) -> None:
        """Delete the open call (queued like every change)."""
        if self.editing is None:
            return
        account, local_id = self.editing
        if local_id is None:
            return
        try:
            await self._context.service.delete_call(account, local_id)
        except self._context.backend.service_error as exc:
            self._context.say(str(exc), 8000)
            return
        self._context.say(
            self.tr("Deleted here; {crm} is told in the background.").format(
                crm=self._context.service.schema_for(account).label
            ),
            5000,
        )
        self.new_call(account)

    async def resolve_conflict(self, local_id: str, chosen: dict[str, Any]) -> None:
        """Apply the conflict view's choices and show the call again."""
        await self._context.service.resolve_conflict(local_id, chosen)
        self._context.say(self.tr("Conflict resolved; your choice syncs now."), 5000)
        if self.editing is not None and self.editing[1] == local_id:
            await self.open_record(self.editing[0], local_id)

    def _on_save(self, values: dict[str, object], and_new: bool) -> None:
        self._context.spawn(self.save(values, and_new=and_new))

    async def save(self, values: Mapping[str, object], *, and_new: bool = False) -> bool:
        """Queue the editor's values (``EditorForm.save_values``: the schema's values, which
        the service turns into wire form once) as a new call or an edit; errors go beside the
        fields."""
        from calldesk.ui.ports import errors_of

        form = self.form
        if form is None or self.editing is None:
            return False
        account, local_id = self.editing
        service, backend = self._context.service, self._context.backend
        self.drafts.stop()
        try:
            if local_id is None:
                record = await service.log_call(account, values)
            else:
                record = await service.update_call(account, local_id, values)
        except backend.validation_error as exc:
            form.show_remote_errors("", errors_of(exc))
            return False
        except backend.service_error as exc:
            form.show_remote_errors(str(exc))
            return False
        await self.drafts.saved(local_id)
        self._context.say(self.tr("Saved. It syncs in the background."), 4000)
        if and_new:
            self.new_call(account)
        else:
            self.editing = (account, record.local_id)
            self._show_record(form, record)
            self.history.enable()
            self.recordings.show_zone(account, saved=True)
        return True
