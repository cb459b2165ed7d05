"""Settings that stay for the session and live in the address bar; lesson links for teachers.

Three jobs, one per Streamlit quirk:
- Streamlit forgets a widget's value when its page is left. `keep_settings_across_pages`
  (called by app.py before every page) saves the values of every page's settings again, which
  Streamlit documents as the way to keep them.
- The address bar holds the page's settings: `page_link` (called at the top of a page, before
  its widgets) writes them on every run, and applies a link's values the first time it sees
  that link. A page switch clears the address bar, so coming back keeps the session's values.
- Teacher options ride in the link: locked controls are drawn disabled, hidden ones are not
  drawn, and a task is shown at the top. `share_panel` builds such a link.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitAPIException

from cnn_core.views.links import (
    TEACHER_PARAMS,
    LinkReading,
    Setting,
    TeacherOptions,
    link_params,
    read_link,
)

KEPT_KEYS = "_link_kept_keys"        # every setting's widget key seen this session
WRITTEN = "_link_written"            # page -> the params this session last wrote for it
TEACHER = "_link_teacher"            # page -> TeacherOptions from the link it was opened with
RECORDED = "_link_recorded"          # page -> {setting name: value} computed by the page
NOTES = "_link_notes"                # page -> the note about the link it was opened with


def keep_settings_across_pages() -> None:
    """Re-save every setting so Streamlit keeps it while its page is not shown.

    Call it at the start of every run: app.py does for full runs, and every fragment must
    too, since a fragment's rerun skips app.py and Streamlit's clean-up after it would drop
    the settings of the pages not shown (a live training panel reruns every second)."""
    for key in st.session_state.get(KEPT_KEYS, ()):
        if key in st.session_state:
            # A fragment drawn within a full run comes after its page's widgets, which this
            # run has drawn (and so keeps) already, and which may no longer be set.
            with contextlib.suppress(StreamlitAPIException):
                st.session_state[key] = st.session_state[key]


def _store(name: str) -> dict:
    return st.session_state.setdefault(name, {})


def _address_bar() -> dict[str, str]:
    # Bounded: a link with thousands of parameters is read no further than this.
    return {name: st.query_params.get(name, "") for name in list(st.query_params)[:100]}


class PageLink:
    """The link state of one page run: which controls are locked or hidden, what to record."""

    def __init__(self, page: str, settings: Sequence[Setting], teacher: TeacherOptions):
        self.page, self.teacher = page, teacher
        self.settings = {s.name: s for s in settings}

    def locked(self, name: str) -> bool:
        return name in self.teacher.locked

    def hidden(self, name: str) -> bool:
        return name in self.teacher.hidden

    def control(self, name: str, widget: Callable, *args, **kwargs) -> Any:
        """Draw `widget(*args, **kwargs)` for setting `name`, disabled when the link locks it.
        Hidden: nothing is drawn and the setting's current value is returned."""
        if self.hidden(name):
            setting = self.settings[name]
            return st.session_state.get(setting.key, setting.default)
        if self.locked(name):
            kwargs["disabled"] = True
        return widget(*args, **kwargs)

    def record(self, name: str, value: Any) -> None:
        """A value the page computed (a custom kernel from its grid) joins the link.

        The share panel was drawn before this value existed, so a change reruns the page once
        to show the link as it now is."""
        if name not in self.settings:
            return  # a widget drawn outside a linked page (NO_LINK) has nothing to record
        recorded = _store(RECORDED).setdefault(self.page, {})
        setting = self.settings[name]
        before = recorded.get(name)
        if before is not None and value is not None and setting.format(before) == \
                setting.format(value):
            return
        if before is None and value is None:
            return
        recorded[name] = value
        params = _current_params(self.page, list(self.settings.values()), self.teacher)
        _write(self.page, params)
        st.rerun()


NO_LINK = PageLink("", (), TeacherOptions())  # for widgets drawn outside a linked page


def _current_values(page: str, settings: Sequence[Setting]) -> dict[str, Any]:
    recorded = _store(RECORDED).get(page, {})
    values = {}
    for setting in settings:
        if setting.key is None:
            if recorded.get(setting.name) is not None:
                values[setting.name] = recorded[setting.name]
        elif setting.key in st.session_state:
            values[setting.name] = st.session_state[setting.key]
    return values


def _current_params(page: str, settings: Sequence[Setting],
                    teacher: TeacherOptions) -> dict[str, str]:
    return link_params(_current_values(page, settings), settings, teacher)


def _write(page: str, params: dict[str, str]) -> None:
    first = page not in _store(WRITTEN)
    _store(WRITTEN)[page] = params
    # The first run always writes: Streamlit drops a query string over 512 Ki characters or
    # 1,000 parameters before the page sees it, which would otherwise stay in the address bar.
    if first or _address_bar() != params:
        st.query_params.from_dict(params)


def _apply(page: str, settings: Sequence[Setting], reading: LinkReading) -> None:
    """Put the page where the link says. A link leaves defaults out, so a setting it does not
    name goes back to its default: a lesson opened mid-session looks as it does for everyone.
    Declared order, so when two settings touch one control the result never depends on the
    order of the parameters in the URL."""
    recorded = _store(RECORDED).setdefault(page, {})
    for setting in settings:
        if setting.name in reading.values:
            value = reading.values[setting.name]
        elif setting.default is not None:
            value = setting.default
        else:  # the widget's own default depends on the data: let it choose again
            for key in _keys_of(setting):
                st.session_state.pop(key, None)
            recorded.pop(setting.name, None)
            continue
        for key, assigned in setting.assignments(value).items():
            st.session_state[key] = assigned
        if setting.key is None:
            recorded[setting.name] = value
    _store(TEACHER)[page] = reading.teacher
    # The share panel starts from the link's own teacher options, not the ones chosen before.
    order = [s.name for s in settings]
    share = _share_keys(page)
    st.session_state[share["lock"]] = sorted(reading.teacher.locked, key=order.index)
    st.session_state[share["hide"]] = sorted(reading.teacher.hidden, key=order.index)
    st.session_state[share["task"]] = reading.teacher.task


def _share_keys(page: str) -> dict[str, str]:
    """The share panel's widget keys on `page`: what to lock, what to hide, the task."""
    return {part: f"_share_{page}_{part}" for part in ("lock", "hide", "task")}


def unapplied_link(page: str, names: Iterable[str]) -> dict[str, str] | None:
    """The address bar's parameters when they are a link for `page` that this session has not
    applied yet: not what the page itself last wrote there, and naming one of `names` or a
    teacher option (a link meant for another page changes nothing here). For a page whose
    settings depend on the link itself (which data set, which task), read before page_link."""
    given = _address_bar()
    if not given or given == _store(WRITTEN).get(page):
        return None
    return given if (set(names) | set(TEACHER_PARAMS)) & set(given) else None


def keep_across_pages(key: str) -> None:
    """Keep a control that is not a link setting (which trained model is looked at) for the
    session like the settings, although no link carries it."""
    st.session_state.setdefault(KEPT_KEYS, set()).add(key)


def _concerns(given: dict[str, str], settings: Sequence[Setting]) -> bool:
    """Whether a link names anything of this page (not only another page's settings)."""
    names = {s.name for s in settings} | set(TEACHER_PARAMS)
    return any(name in names for name in given)


def page_link(page: str, settings: Sequence[Setting], not_in_link: str = "") -> PageLink:
    """Call at the top of a page, before its widgets.

    Applies a link the first time this session sees it, shows the teacher's task and a note
    about anything in the link that could not be used, writes the page's settings to the
    address bar, and draws the "Share this page" panel. not_in_link: one sentence on what a
    link cannot carry (an uploaded photo), shown in that panel.
    """
    kept = st.session_state.setdefault(KEPT_KEYS, set())
    for setting in settings:
        kept.update(_keys_of(setting))
    kept.update(_share_keys(page).values())  # a teacher may look elsewhere before copying
    given = _address_bar()
    notes = _store(NOTES)
    if given and given != _store(WRITTEN).get(page):
        reading = read_link(given, settings)
        if _concerns(given, settings):
            _apply(page, settings, reading)
        notes[page] = reading.note
    elif _learner_changed(_store(WRITTEN).get(page), settings,
                          _current_params(page, settings, TeacherOptions())):
        notes.pop(page, None)  # the note about the link has done its job
    note = notes.get(page, "")
    teacher = _store(TEACHER).get(page, TeacherOptions())
    if teacher.task:
        st.info(f"**Your task:** {_plain(teacher.task)}", icon=":material/school:")
    if note:
        st.warning(note, icon=":material/link_off:")
    _write(page, _current_params(page, settings, teacher))
    link = PageLink(page, settings, teacher)
    _share_panel(page, settings, not_in_link)
    return link


def _learner_changed(written: dict[str, str] | None, settings: Sequence[Setting],
                     now: dict[str, str]) -> bool:
    """Whether a setting moved since the address bar was last written. A data-dependent
    setting appearing for the first time (the page picked the middle pixel) is the page's
    doing, and so is a recorded value (written before its rerun), so neither counts."""
    if written is None:
        return False
    chosen_by_page = {s.name for s in settings if s.default is None and s.name not in written}
    return any(now.get(name) != written.get(name)
               for name in {s.name for s in settings} - chosen_by_page)


def _keys_of(setting: Setting) -> set[str]:
    """The session-state keys a setting writes, so all of them outlive a page switch."""
    keys = {setting.key} if setting.key else set()
    keys.update(setting.keeps)
    if setting.assign is not None and setting.default is not None:
        keys.update(setting.assign(setting.default))
    return keys


WORD_JOINER = "\u2060"  # invisible; breaks "http://", "www." and "name@host" apart


def _plain(text: str) -> str:
    """A teacher's sentence shown as typed: no links, pictures or formatting from the URL.

    Backslashes stop Markdown syntax, but Streamlit still turns bare addresses (www.x.org,
    http://..., a@b.org) and :emoji: or :material/icon: codes into links and icons after
    the escapes are read; an invisible word joiner before every '.', ':' and '@' stops those.
    """
    return "".join((WORD_JOINER if c in ".:@" else "")
                   + ("\\" if c in "\\`*_{}[]()#+-.!|<>~$:" else "") + c for c in text)


def _share_panel(page: str, settings: Sequence[Setting], not_in_link: str) -> None:
    # In the sidebar, under the page list: always at hand, never in the lesson's way.
    with st.sidebar.expander("Share this page", icon=":material/share:"):
        st.caption("The link below opens this page with the settings you see now. Teachers: "
                   "lock or hide controls and add a task; learners get them from the link, "
                   "nothing is stored on the server.")
        labels = {s.name: s.label for s in settings}
        keys = _share_keys(page)  # a link's own teacher options are put there by _apply
        locked = st.multiselect("Lock (shown, cannot be changed)", list(labels),
                                format_func=labels.get, key=keys["lock"])
        hidden = st.multiselect("Hide", list(labels), format_func=labels.get, key=keys["hide"])
        task = st.text_input("Task shown at the top (optional)", max_chars=300,
                             key=keys["task"], placeholder="Make the vertical edges disappear")
        shared = TeacherOptions(frozenset(locked), frozenset(hidden), " ".join(task.split()))
        params = _current_params(page, settings, shared)
        base = (st.context.url or "").split("?")[0]
        st.code(base + ("?" + urlencode(params) if params else ""), language=None,
                wrap_lines=True)
        st.caption("Copy it with the button at the right of the box."
                   + (f" {not_in_link}" if not_in_link else ""))
