"""Forms drawn from an input model: one hint per field of the model says how its widget looks, and the
input is built back from the widgets by the model's own fields. Adding a field to the input model
means adding its hint here, nothing else.

A form may show the fields that matter first and keep the rest under "More fields", closed, with defaults
that validate; a refusal names each problem's field by its label and opens "More fields" when one of its
fields is at fault."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields, is_dataclass
from typing import Any, Callable, Mapping, Optional

import streamlit as st

from portfolio.errors import ValidationError
from portfolio.i18n import N_
from portfolio.ui.components import dispatcher, flash, language, tr
from portfolio.ui.text import plain_messages

MORE_FIELDS = N_("More fields")


@dataclass(frozen=True)
class Hint:
    """How the field ``field`` of an input model is drawn.

    ``widget`` is "text", "area", "number", "date" or "choice"; a choice offers ``choices`` (value → label
    msgid) or, when they are only known on the page (people), the labels passed to ``form``.
    ``key`` is the ending of the widget's key when it is not the field's name (keys kept from before).
    ``percent`` shows and takes a fraction in per cent; ``fixed`` shows the field of an existing record
    without letting the form change it (it has an action of its own).
    """

    field: str
    label: str
    widget: str = "text"
    choices: Optional[Mapping[Any, str]] = None
    help: Optional[str] = None
    key: Optional[str] = None
    percent: bool = False
    min_value: Optional[float] = None
    fixed: bool = False


@dataclass(frozen=True)
class FormSpec:
    """An input model (a pydantic model such as db.models.IndicatorCreate, or a dataclass) and its hints, in
    rows: a row of several hints is drawn as columns. The rows of ``more`` are drawn under "More fields",
    closed until the user opens them (or a refusal names one of their fields)."""

    model: type
    rows: tuple[tuple[Hint, ...], ...]
    more: tuple[tuple[Hint, ...], ...] = ()

    def __post_init__(self) -> None:
        hinted = [hint.field for row in self.rows + self.more for hint in row]
        wanted = list(_defaults(self.model))
        if sorted(hinted) != sorted(wanted):
            raise TypeError(f"The form of {self.model.__name__} must hint each of its fields once: "
                            f"missing {sorted(set(wanted) - set(hinted))}, "
                            f"unknown or repeated {sorted(set(h for h in hinted if hinted.count(h) > 1 or h not in wanted))}")

    @property
    def hints(self) -> tuple[Hint, ...]:
        """Every hint, in the order drawn."""
        return tuple(hint for row in self.rows + self.more for hint in row)

    def label(self, field: str) -> Optional[str]:
        """The label msgid of ``field``, None when the form has no such field."""
        return next((hint.label for hint in self.hints if hint.field == field), None)

    def key(self, prefix: str, hint: Hint) -> str:
        """The widget key of ``hint``'s field in the form named ``prefix``."""
        return f"{prefix}_{hint.key or hint.field}"


def _defaults(model: type) -> dict[str, Any]:
    """Each field of an input model (a pydantic model or a dataclass) with its default, None where it has none."""
    if is_dataclass(model):
        return {f.name: None if f.default is MISSING else f.default for f in fields(model)}
    return {name: None if info.is_required() else info.get_default(call_default_factory=True)
            for name, info in model.model_fields.items()}


def form(spec: FormSpec, prefix: str, current: Any = None, *, submit: str, on_click: Callable[..., None],
         args: tuple, labels: Optional[Mapping[str, Mapping[Any, str]]] = None,
         defaults: Optional[Mapping[str, Any]] = None) -> None:
    """Draw the form ``{prefix}_form``: filled in from ``current`` (a record with the model's fields), or from
    ``defaults`` and else the model's defaults when it is None; ``submit`` is the button's msgid, ``labels``
    the page's choices."""
    _ = tr()
    with st.form(f"{prefix}_form"):
        values = {**_defaults(spec.model), **(defaults or {})}

        def draw(rows: tuple[tuple[Hint, ...], ...]) -> None:
            for row in rows:
                places = [st] if len(row) == 1 else st.columns(len(row))
                for place, hint in zip(places, row):
                    value = values[hint.field] if current is None else getattr(current, hint.field)
                    _widget(place, hint, spec.key(prefix, hint), value,
                            disabled=hint.fixed and current is not None, labels=(labels or {}).get(hint.field), _=_)

        draw(spec.rows)
        if spec.more:
            faulty = st.session_state.get(_faulty_key(prefix), set())
            with st.expander(_(MORE_FIELDS), expanded=any(hint.field in faulty for row in spec.more
                                                             for hint in row)):
                draw(spec.more)
        st.form_submit_button(_(submit), on_click=on_click, args=args)


def _widget(place: Any, hint: Hint, key: str, value: Any, *, disabled: bool,
            labels: Optional[Mapping[Any, str]], _: Callable[..., str]) -> None:
    label = _(hint.label)
    help_text = _(hint.help) if hint.help else None
    if hint.widget == "text":
        place.text_input(label, "" if value is None else value, key=key, help=help_text, disabled=disabled)
    elif hint.widget == "area":
        place.text_area(label, "" if value is None else value, key=key, help=help_text, disabled=disabled)
    elif hint.widget == "number":
        if hint.percent and value is not None:
            value = value * 100
        place.number_input(label, value=value, min_value=hint.min_value, key=key, help=help_text,
                           disabled=disabled)
    elif hint.widget == "date":
        place.date_input(label, value=value, key=key, help=help_text, disabled=disabled)
    elif hint.widget == "choice":
        if labels is None:
            shown = {choice: _(msgid) for choice, msgid in (hint.choices or {}).items()}
        else:
            shown = dict(labels)
        options = list(shown)
        place.selectbox(label, options, index=options.index(value) if value in options else 0,
                        format_func=shown.__getitem__, key=key, help=help_text, disabled=disabled,
                        placeholder=_("Choose an option"))
    else:
        raise ValueError(f"Unknown widget {hint.widget!r} for {hint.field}")


def _faulty_key(prefix: str) -> str:
    return f"{prefix}_faulty"


def run_form(spec: FormSpec, prefix: str, action: Callable[..., object], success: str, **kwargs) -> bool:
    """Run ``action`` (a domain action) with the form's input as ``data``, for the signed-in user: its success,
    or every problem of its refusal, each after the label of its field (from a button's ``on_click``).
    A saved form is emptied, so that it offers its defaults again."""
    _ = tr()
    lang = language()
    done = dispatcher().run(action, data=submitted(spec, prefix), **kwargs)
    if done.ok:
        for hint in spec.hints:
            st.session_state.pop(spec.key(prefix, hint), None)
        st.session_state.pop(_faulty_key(prefix), None)
        flash("success", [_(success)])
        return True
    problems = done.error.problems if isinstance(done.error, ValidationError) else []
    labels = [spec.label(problem.field) for problem in problems]
    lines = plain_messages(done.problems, lang)
    # A refusal that is not about fields (a permission, a conflict) is shown as it is.
    if len(labels) == len(lines):
        lines = [line if label is None else _("{field}: {problem}", field=_(label), problem=line)
                 for label, line in zip(labels, lines)]
    st.session_state[_faulty_key(prefix)] = {problem.field for problem in problems}
    flash("error", lines)
    return False


def submitted(spec: FormSpec, prefix: str) -> Any:
    """The input model built from the form's widgets, one field each."""
    state = st.session_state
    values = {}
    for hint in spec.hints:
        value = state[spec.key(prefix, hint)]
        if hint.percent and value is not None:
            value = round(value / 100, 6)
        values[hint.field] = value
    return spec.model(**values)
