"""Initiative page: details, lifecycle diagram, checklist, gate panel, decision owners, history."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from portfolio.queries import read
from portfolio.audit import export_audit_for
from portfolio.audit_prose import WHEN, Day
from portfolio.checklists import ChecklistChange, editable_stages, entered_change, update_checklist
from portfolio.errors import DomainError, ValidationError
from portfolio.gates import DecisionInput, assign_decision_owner, mark_conditions_met, record_gate_decision
from portfolio.i18n import N_, OUTCOME_LABELS, STAGE_LABELS, format_number
from portfolio.initiative_view import ChecklistRow, InitiativeView, Tab, initiative_view
from portfolio.initiatives import INTERNAL_FLAGS, update_initiative
from portfolio.lifecycle_view import lifecycle_svg
from portfolio.permissions import at_gate
from portfolio.locking import MAX_ID
from portfolio.ui import benefits
from portfolio.ui.components import (
    UNIT_SEARCH,
    USER_SEARCH,
    current_actor,
    dispatcher,
    flash,
    language,
    name_search,
    run_action,
    searches,
    show_flash,
    tr,
)
from portfolio.ui.focus import FOCUS, scroll_to, take_focus
from portfolio.ui.text import plain, plain_messages
from workflows.lifecycle import FINAL_STAGES, STAGE_ORDER
from workflows.rules import FixAt
from workflows.vocabulary import ChecklistStatus

GATE_LABELS = {stage: STAGE_LABELS[stage] for stage in STAGE_ORDER}
# The tabs in the order shown; each reads only what it shows.
TAB_LABELS = {Tab.GATE: N_("Gate"), Tab.CHECKLIST: N_("Checklist"), Tab.BENEFITS: N_("Benefits"),
              Tab.DETAILS: N_("Details"), Tab.OWNERS: N_("Decision owners"), Tab.HISTORY: N_("History")}


# ------------------------------------------------------------------ callbacks (run before the rerun)


def _save_details(initiative_id: int, seen_version: int) -> None:
    state = st.session_state
    changes = {
        "title": state["details_title"],
        "description": state["details_description"],
        "need_description": state["details_need"],
        "need_owner": state["details_need_owner"],
        "expected_effects": state["details_effects"],
        "org_unit_id": state["details_unit"],
        "lead_id": state["details_lead"],
        "estimated_cost": state["details_cost"],
    }
    # The internal flags the form shows (those of a stop only once the initiative is stopped).
    changes.update({flag: bool(state[f"details_{flag}"]) for flag in INTERNAL_FLAGS if f"details_{flag}" in state})
    run_action(update_initiative, N_("The details are saved."),
               initiative_id=initiative_id, expected_version=seen_version, changes=changes)


# The checklist's refusals by item id (str), kept until the next save: each is shown beside its item.
CHECKLIST_REFUSED = "checklist_refused"


def _checklist_key(item: ChecklistRow, field: str) -> str:
    # The version is part of the key: a widget holds an entry made on one version of its item, so an item
    # changed by someone else comes back as a fresh widget, and the entry can never be saved over it.
    return f"checklist_{item.id}_{item.version}_{field}"


def _entered(item: ChecklistRow) -> ChecklistChange | None:
    """The change that the form's last submission holds for ``item``; None when it is as saved."""
    state = st.session_state
    return entered_change(item, state.get(_checklist_key(item, "status"), item.status),
                          state.get(_checklist_key(item, "reason"), item.not_applicable_reason))


def _save_checklist(initiative_id: int, items: tuple[ChecklistRow, ...]) -> None:
    """Save every item the form changes, all or none. A refusal keeps the entries in the form, each
    refused item with its reasons beside it; a save starts every item again from what is saved."""
    state = st.session_state
    lang = language()
    _ = tr()
    state.pop(CHECKLIST_REFUSED, None)
    changes = [change for change in map(_entered, items) if change is not None]
    if not changes:
        flash("warning", [_("Nothing to save: no item was changed.")], "checklist")
        return
    done = dispatcher().run(update_checklist, initiative_id=initiative_id, changes=changes)
    if done.ok:
        for item in items:
            state.pop(_checklist_key(item, "status"), None)
            state.pop(_checklist_key(item, "reason"), None)
        flash("success", [_("The checklist is saved.")], "checklist")
        return
    # A validation problem names the item it concerns (its id); a refusal or a conflict concerns them all.
    shown = {str(item.id) for item in items}
    refused: dict[str, list] = {}
    validation = done.error.problems if isinstance(done.error, ValidationError) else None
    general = [] if validation is not None else list(done.problems)
    for problem in validation or ():
        if problem.field in shown:
            refused.setdefault(problem.field, []).append(problem.message)
        else:
            general.append(problem.message)
    state[CHECKLIST_REFUSED] = refused
    heading = _("Nothing in the checklist was saved. Correct the items marked below and save again.")
    flash("error", [*([heading] if refused else []), *plain_messages(general, lang)], "checklist")


def _decide(initiative_id: int, seen_version: int) -> None:
    state = st.session_state
    outcome = state["gate_outcome"]
    data = DecisionInput(
        outcome=outcome or "",
        rationale=state.get("gate_rationale", ""),
        conditions=state.get("gate_conditions", "") if outcome == "conditional_go" else "",
        hold_review_date=state.get("gate_review_date") if outcome == "hold" else None,
        stop_reason=state.get("gate_stop_reason", "") if outcome == "stop" else "",
        lessons_learned=state.get("gate_lessons", "") if outcome == "stop" else "",
        rework=state.get("gate_rework", "") if outcome == "recycle" else "",
    )
    run_action(record_gate_decision, N_("The decision is recorded."),
               initiative_id=initiative_id, expected_version=seen_version, data=data)


def _reassign(initiative_id: int, seen_version: int) -> None:
    run_action(assign_decision_owner, N_("The decision owner is changed."),
               initiative_id=initiative_id, expected_version=seen_version,
               gate=st.session_state["owner_gate"], user_id=st.session_state["owner_user"])


def _conditions_met(decision_id: int) -> None:
    run_action(mark_conditions_met, N_("The conditions are marked as met."),
               decision_id=decision_id)


# ------------------------------------------------------------------ sections


def _refusal(view: InitiativeView, action: str) -> None:
    """The reason the reader may not take ``action``, where its button would be."""
    message = view.allowed[action]
    if message is not None:
        st.caption(message.render(language()))


def _details(view: InitiativeView) -> None:
    _ = tr()
    units, users = view.units.names(), view.users.names()
    can_edit = view.allowed["initiative.edit"] is None
    if can_edit:
        name_search(UNIT_SEARCH, _("Find an org unit"), view.units)
        name_search(USER_SEARCH, _("Find a person"), view.users)
    initiative = view.initiative
    can_change_lead = view.allowed["initiative.change_lead"] is None

    def internal(flag: str, label: str) -> None:
        # What is marked internal is left out of the transparency export (portfolio.public_export).
        st.checkbox(label, getattr(initiative, flag), key=f"details_{flag}", disabled=not can_edit)

    with st.form("details"):
        st.text_input(_("Title"), initiative.title, key="details_title", disabled=not can_edit)
        internal("internal", _("Internal initiative: left out of the transparency export"))
        st.text_area(_("Description"), initiative.description, key="details_description", disabled=not can_edit)
        internal("description_internal", _("The description is internal"))
        st.text_area(_("Need"), initiative.need_description, key="details_need", disabled=not can_edit)
        internal("need_description_internal", _("The need is internal"))
        st.text_input(_("Need owner"), initiative.need_owner, key="details_need_owner", disabled=not can_edit)
        st.text_area(_("Expected effects"), initiative.expected_effects, key="details_effects",
                     disabled=not can_edit)
        internal("expected_effects_internal", _("The expected effects are internal"))
        internal("rationale_internal", _("The rationales of its gate decisions are internal"))
        if initiative.stage == "stopped":
            internal("stop_reason_internal", _("The reason for stopping is internal"))
            internal("lessons_learned_internal", _("The lessons learned are internal"))
        unit_ids = [None, *units]
        st.selectbox(_("Owning unit"), unit_ids, index=unit_ids.index(initiative.org_unit_id),
                     format_func=lambda v: "–" if v is None else units[v], key="details_unit",
                     placeholder=_("Choose an option"), disabled=not can_edit)
        # A deactivated lead stays the lead until someone who may change it chooses another.
        leads = {**users, **({view.lead.id: view.lead.name} if view.lead else {})}
        lead_ids = [None, *leads]
        st.selectbox(_("Implementation lead"), lead_ids, index=lead_ids.index(initiative.lead_id),
                     format_func=lambda v: "–" if v is None else leads[v], key="details_lead",
                     placeholder=_("Choose an option"),
                     disabled=not (can_edit and can_change_lead))
        st.number_input(_("Estimated cost (SEK/NOK)"), min_value=0.0, step=10000.0,
                        value=initiative.estimated_cost, key="details_cost", disabled=not can_edit)
        st.form_submit_button(_("Save details"), disabled=not can_edit, on_click=_save_details,
                              args=(initiative.id, initiative.version))
    _refusal(view, "initiative.edit")
    if can_edit:
        _refusal(view, "initiative.change_lead")


def _checklist(view: InitiativeView) -> None:
    _ = tr()
    can_edit = view.allowed["checklist.update"] is None
    stage = view.initiative.stage
    if stage in FINAL_STAGES:
        st.info(_("The initiative is closed; its checklists are kept in the history."))
        return
    items = tuple(i for i in view.checklist if i.stage in editable_stages(stage))
    refused = st.session_state.get(CHECKLIST_REFUSED, {})
    st.subheader(_("Checklist for {stage}", stage=_(STAGE_LABELS[stage])))
    # One form: the Save click sends every entry with it, so no entry is left behind in the browser.
    with st.container(key="checklist_editor"), st.form("checklist", border=False):
        for position, item in enumerate(items):
            if position == 0 or item.stage != items[position - 1].stage:
                st.markdown(f"**{_(STAGE_LABELS[item.stage])}**")
            _checklist_item(item, refused.get(str(item.id), ()), can_edit)
        st.form_submit_button(_("Save checklist"), disabled=not can_edit, on_click=_save_checklist,
                              args=(view.initiative.id, items), key="save_checklist")
    show_flash("checklist")
    _refusal(view, "checklist.update")


def _checklist_item(item: ChecklistRow, refusals: tuple | list, can_edit: bool) -> None:
    """One item: its label, its status and reason as entered, and "Not saved" with the reasons when the
    form holds an entry for it that is not saved."""
    _ = tr()
    label = _(item.label)
    unsaved = _entered(item) is not None
    with st.container(key=f"checklist_item_{item.id}"):
        text, status, reason = st.columns([5, 2, 3], vertical_alignment="center")
        text.markdown(plain(label))
        text.caption(_("Required") if item.required else _("Optional"))
        statuses = list(ChecklistStatus)
        status.selectbox(label, statuses, index=statuses.index(item.status), key=_checklist_key(item, "status"),
                         format_func=lambda value: _(ChecklistStatus(value).label), label_visibility="collapsed",
                         placeholder=_("Choose an option"), disabled=not can_edit)
        reason.text_input(_("Reason when not applicable: {item}", item=label), item.not_applicable_reason,
                          key=_checklist_key(item, "reason"), placeholder=_("Reason when not applicable"),
                          label_visibility="collapsed", disabled=not can_edit)
        if unsaved:
            not_saved = _("Not saved")
            st.error("\n\n".join([f"**{not_saved}**", *plain_messages(list(refusals), language())]), icon="⚠️")


def _lead_or_contact(view: InitiativeView) -> str:
    """The person the header names: the implementation lead, or, while there is none, whoever proposed the
    idea, as its contact."""
    _ = tr()
    if view.lead is None and view.contact is not None:
        role, name = _("Contact"), plain(view.contact.name)
    else:
        role, name = _("Implementation lead"), plain(view.lead.name) if view.lead else "–"
    return f"**{role}:** {name}"


def _gate_panel(view: InitiativeView) -> None:
    _ = tr()
    lang = language()
    initiative = view.initiative
    if initiative.stage in FINAL_STAGES:
        st.info(_("The initiative is {stage}. There are no more gates.", stage=_(STAGE_LABELS[initiative.stage])))
        return
    options = view.gate
    st.subheader(_("Gate: {stage}", stage=_(STAGE_LABELS[initiative.stage])))
    rework = options.rework
    if rework is not None:
        st.warning(_("Sent back from {stage} by {name} ({when}). What must be redone:",
                     stage=_(STAGE_LABELS[rework.from_stage]), name=plain(rework.decided_by),
                     when=plain(rework.decided.render(lang))) + "\n\n" + plain(rework.text))
    unmet = options.unmet_go
    if unmet:
        st.warning(_("Before a go decision, this must be done:"))
        _unmet_rules(initiative.id, unmet, options.fix_go)
    else:
        st.success(_("Every rule of the gate holds."))
    if options.second_person_go is not None:
        st.info(plain_messages([options.second_person_go], lang)[0])
    if options.unmet_fast_track is not None:
        fast_unmet = options.unmet_fast_track
        with st.expander(_("Fast track to scale-up")):
            if fast_unmet:
                _unmet_rules(initiative.id, fast_unmet, options.fix_fast_track)
            else:
                st.write(_("Every rule of the fast track holds."))
            if options.second_person_fast_track is not None:
                st.info(plain_messages([options.second_person_fast_track], lang)[0])
    if options.refusal is not None:
        st.info(options.refusal.render(lang))
        return
    # Nothing is chosen for the decision owner: a hold or a stop is a decision, never a default.
    st.selectbox(_("Decision"), options.outcomes, index=None, placeholder=_("Choose a decision"),
                 format_func=lambda o: _(OUTCOME_LABELS[o]), key="gate_outcome")
    outcome = st.session_state.get("gate_outcome")
    st.text_area(_("Rationale"), key="gate_rationale")
    if outcome == "conditional_go":
        st.text_area(_("Conditions"), key="gate_conditions")
    if outcome == "recycle":
        st.text_area(_("What must be redone"), key="gate_rework")
    if outcome == "hold":
        st.date_input(_("Review date"), value=date.today() + timedelta(days=30), key="gate_review_date")
    if outcome == "stop":
        st.text_area(_("Reason for stopping"), key="gate_stop_reason")
        st.text_area(_("Lessons learned"), key="gate_lessons")
    st.button(_("Record decision"), type="primary", on_click=_decide, args=(initiative.id, initiative.version),
              key="record_decision")


def _unmet_rules(initiative_id: int, unmet: tuple, fixes: tuple[FixAt, ...]) -> None:
    """Each unmet rule, with a link beside it to the place of this page that puts it right."""
    _ = tr()
    for line, fix in zip(plain_messages(unmet, language()), fixes, strict=True):
        rule, link = st.columns([3, 1], vertical_alignment="center")
        rule.markdown(f"- {line}")
        link.page_link(st.session_state["pages"]["initiative"], label=_(fix.label), query_params={
            "id": str(initiative_id), "initiative_tabs": _(TAB_LABELS[Tab(fix.tab)]), FOCUS: fix.anchor})


def _decision_owners(view: InitiativeView) -> None:
    _ = tr()
    users = view.users.names()
    st.subheader(_("Decision owners"))
    st.dataframe(pd.DataFrame({
        _("Gate"): [_(GATE_LABELS[gate]) for gate in STAGE_ORDER],
        _("Decision owner"): [view.decision_owners[g].name if g in view.decision_owners else "–"
                              for g in STAGE_ORDER],
    }), hide_index=True)
    if view.allowed["decision_owner.assign"] is not None:
        return
    name_search(USER_SEARCH, _("Find a person"), view.users)
    with st.form("reassign"):
        st.selectbox(_("Gate"), list(STAGE_ORDER), format_func=lambda g: _(GATE_LABELS[g]), key="owner_gate",
                     placeholder=_("Choose an option"))
        st.selectbox(_("New decision owner"), list(users), format_func=users.__getitem__, key="owner_user",
                     placeholder=_("Choose an option"))
        st.form_submit_button(_("Change decision owner"), on_click=_reassign,
                              args=(view.initiative.id, view.initiative.version))


def _history(view: InitiativeView) -> None:
    _ = tr()
    lang = language()
    st.subheader(_("Decisions"))
    if not view.decisions:
        st.caption(_("No gate decisions yet."))
    for d in view.decisions:
        st.markdown(
            f"**{d.decided.render(lang)}** · {_(OUTCOME_LABELS[d.outcome])} · "
            f"{_(STAGE_LABELS[d.from_stage])} → {_(STAGE_LABELS[d.to_stage])} · {plain(d.decided_by)}"
        )
        details = [(N_("Rationale"), d.rationale), (N_("Conditions"), d.conditions),
                   (N_("Reason for stopping"), d.stop_reason), (N_("Lessons learned"), d.lessons_learned)]
        for label, text in details:
            if text:
                st.caption(f"{_(label)}: {plain(text)}")
        if d.hold_review_date:
            st.caption(_("Review date: {date}", date=Day(d.hold_review_date)))
        if d.outcome == "conditional_go":
            if d.conditions_met:
                st.caption(_("The conditions are met."))
            elif view.allowed[at_gate("gate.conditions_met", d.from_stage)] is None:
                st.button(_("Mark conditions as met"), key=f"conditions_{d.id}", on_click=_conditions_met,
                          args=(d.id,))
            else:
                st.caption(_("The conditions are not yet marked as met."))
    st.subheader(_("Audit trail"))
    if view.allowed["audit.read"] is not None:
        _refusal(view, "audit.read")
        return
    if view.allowed["audit.export"] is None:
        # Written when the button is pressed, not on every run of the History tab; it keeps the raw codes.
        actor, initiative_id = current_actor(), view.initiative.id
        st.download_button(_("Download the audit trail (CSV)"),
                           lambda: read(export_audit_for, actor=actor, initiative_id=initiative_id),
                           key="audit_download", file_name=f"audit-initiative-{initiative_id}.csv", mime="text/csv",
                           on_click="ignore")
    # One sentence per event, newest first. Any part of it may repeat what someone typed, so all of it is plain;
    # the time is the product's own (babel's digits and month names), kept free of escapes.
    st.markdown("\n".join(f"- {_(WHEN, sentence=plain(a.sentence.render(lang)), when=a.when.render(lang))}"
                           for a in view.audit))
    _refusal(view, "audit.detail")


def _choose_initiative() -> int | None:
    """The initiative the address names (``?id=42``, so a link opens it); else the one opened last in this tab,
    which the address then names too."""
    if "id" in st.query_params:
        raw = st.query_params["id"].strip()
        # A hand-edited ``?id=`` that is not an id a row can have names no initiative: say so, query nothing.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and 0 < int(raw) <= MAX_ID):
            _ = tr()
            st.title(_("Initiative"))
            st.error(_("No such initiative."))
            st.stop()
        st.session_state["initiative_id"] = int(raw)
    initiative_id = st.session_state.get("initiative_id")
    if initiative_id is not None:
        st.query_params["id"] = str(initiative_id)
    return initiative_id


# The places of the tabs other than Benefits that a link opens (anchors of workflows.rules.FIX_AT): the key
# of the element to scroll to. The Benefits tab opens its own (portfolio.ui.benefits.indicators.open_place).
PLACES = {"need": "details_need", "need-owner": "details_need_owner", "owning-unit": "details_unit",
          "expected-effects": "details_effects", "open-item": "checklist_editor",
          "open-fast-track-item": "checklist_editor"}
# A checklist item the link names (the first open one, see initiative_view.OPEN_ITEM), drawn in the container
# keyed checklist_item_<id>.
CHECKLIST_ITEM = re.compile(r"item-([0-9]{1,19})")


def _open_tab(tabs: list) -> Tab:
    """The open tab; a link to a place in it (``focus=``) is taken from the address, and the browser is
    scrolled to the place."""
    tab = next((tab for tab, shown in zip(TAB_LABELS, tabs) if shown.open), Tab.GATE)
    anchor = take_focus() or ""
    if anchor in PLACES:
        scroll_to(PLACES[anchor])
    elif item := CHECKLIST_ITEM.fullmatch(anchor):
        scroll_to(f"checklist_item_{item.group(1)}")
    return tab


def render() -> None:
    _ = tr()
    lang = language()
    initiative_id = _choose_initiative()
    if initiative_id is None:
        st.title(_("Initiative"))
        st.info(_("Choose an initiative in the portfolio overview."))
        return
    # The header is drawn above the tabs, but after them: the page's one read needs the open tab.
    header = st.container()
    # Lazy tabs: only the open tab runs, so opening an initiative does not draw every chart and editor;
    # the open tab is in the URL, a link to it.
    tabs = st.tabs([_(label) for label in TAB_LABELS.values()], key="initiative_tabs", bind="query-params")
    try:
        view = read(initiative_view, actor=current_actor(), initiative_id=initiative_id, tab=_open_tab(tabs),
                    **searches())
    except DomainError as error:
        header.error("\n\n".join(plain_messages(error.messages, lang)))
        return
    initiative = view.initiative
    with header:
        st.title(plain(initiative.title))
        stage, portfolio, unit = _("Stage"), _("Portfolio"), _("Org unit")
        cost = _("Estimated cost")
        st.markdown(" · ".join((
            f"**{stage}:** {_(STAGE_LABELS[initiative.stage])}", f"**{portfolio}:** {plain(view.portfolio_name)}",
            f"**{unit}:** {plain(view.org_unit_name) if view.org_unit_name else '–'}", _lead_or_contact(view),
            f"**{cost}:** {format_number(initiative.estimated_cost, lang, 0)}")))
        if initiative.on_hold:
            st.warning(_("On hold until review on {date}.", date=initiative.hold_review_date.isoformat()
                         if initiative.hold_review_date else "–"))
        show_flash()
        # Drawn on the server: the browser shows a picture instead of laying out a graph.
        st.image(lifecycle_svg(initiative.stage, _), alt=_(
            "The lifecycle: every stage and the gate outcomes that lead from one to another; {stage} is highlighted.",
            stage=_(STAGE_LABELS[initiative.stage])))
    sections = {Tab.GATE: _gate_panel, Tab.CHECKLIST: _checklist, Tab.BENEFITS: benefits.render,
                Tab.DETAILS: _details, Tab.OWNERS: _decision_owners, Tab.HISTORY: _history}
    with tabs[list(TAB_LABELS).index(view.tab)]:
        sections[view.tab](view)


if __name__ == "__main__":
    render()
