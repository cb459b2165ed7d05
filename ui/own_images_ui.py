"""Your own images, part 1: the classes and their pictures, from a built-in example, a zip of
class folders, uploads or the webcam; thumbnails, counts, renaming and removing."""

from __future__ import annotations

import itertools

import streamlit as st

from cnn_core.config import MAX_UPLOAD_BYTES, UPLOAD_TYPES
from cnn_core.data import own_classes as oc
from cnn_core.data.examples import EXAMPLES, load_example
from cnn_core.data.image_folders import ImageFolderError, read_image_folders
from cnn_core.data.images import ImageError, load_image
from ui.links import PageLink
from ui.own_images_link import DEFAULT_PER_CLASS, SOURCES

# Session keys: the learner's classes stay while they look at the example, and back.
MINE_KEY = "own_mine"            # list[tuple[int, OwnClass]]: (a class's id, the class)
IDS_KEY = "own_next_id"
NOTES_KEY = "own_add_notes"      # sentences about the last pictures added
PROBLEM_KEY = "own_add_problem"  # why the last zip could not be used
UPLOAD_GEN_KEY = "own_upload_gen"  # bumped after each add, which empties the uploaders
CAMERA_SEEN_KEY = "own_camera_seen"
EXAMPLE_SHOWN_KEY = "own_example_shown"  # the built-in example shown in this run, or None
RENAME_PROBLEM_KEY = "own_rename_problem"  # (class id, why its new name was refused)
THUMBNAILS_SHOWN = 24
THUMB_SIDE = 56


@st.cache_resource(show_spinner="Loading the example photos...", max_entries=8)
def example_classes(name: str, per_class: int) -> tuple[oc.OwnClass, ...]:
    # One copy shared by every session asking for the same example (st.cache_data would
    # unpickle a fresh 20 MB copy on every rerun of every learner's page): read-only.
    classes = tuple(oc.from_folders(load_example(name, per_class)))
    for cls in classes:
        for picture in cls.pictures:
            picture.setflags(write=False)
    return classes


def classes_ui(link: PageLink) -> tuple[list[oc.OwnClass], str]:
    """The classes to train on and a short description of where they came from."""
    source = link.control("source", st.radio, "Pictures from", list(SOURCES),
                          format_func=SOURCES.get, key="own_source", horizontal=True)
    st.session_state[EXAMPLE_SHOWN_KEY] = None
    if source == "example":
        return _example_ui(link)
    return _mine_ui(), "your own pictures"


def example_in_use() -> str | None:
    """The built-in example the classes came from in this run (None: the learner's own
    pictures), whether or not a teacher's link hides its control."""
    return st.session_state.get(EXAMPLE_SHOWN_KEY)


def _example_ui(link: PageLink) -> tuple[list[oc.OwnClass], str]:
    left, right = st.columns(2)
    with left:
        name = link.control("example", st.selectbox, "Built-in example", list(EXAMPLES),
                            format_func=lambda n: EXAMPLES[n].title, key="own_example")
    example = EXAMPLES[name]
    st.session_state[EXAMPLE_SHOWN_KEY] = name
    with right:
        per_class = link.control("per_class", st.slider, "Photos per class", 10,
                                 example.max_per_class, DEFAULT_PER_CLASS, step=10,
                                 key="own_per_class",
                                 help="Transfer learning matters most with few photos: try 20.")
    st.caption(example.description + " They come with the app, so this works offline.")
    try:
        classes = list(example_classes(name, min(int(per_class), example.max_per_class)))
    except ValueError as error:  # the bundled zip is missing or damaged
        st.error(f"{error} Reinstall the app, or add your own pictures instead.")
        return [], example.title
    _overview(classes, editable=False)
    return classes, f"{example.title}, {per_class} photos a class"


# ---- The learner's own pictures -----------------------------------------------------------

def _mine() -> list[tuple[int, oc.OwnClass]]:
    if MINE_KEY not in st.session_state:
        _set_mine(oc.add_class(oc.add_class([])))
    return st.session_state[MINE_KEY]


def _set_mine(classes: list[oc.OwnClass], ids: list[int] | None = None) -> None:
    counter = st.session_state.setdefault(IDS_KEY, itertools.count())
    ids = ids if ids is not None else [next(counter) for _ in classes]
    st.session_state[MINE_KEY] = list(zip(ids, classes, strict=True))


def _classes() -> list[oc.OwnClass]:
    return [c for _, c in _mine()]


def _ids() -> list[int]:
    return [i for i, _ in _mine()]


def _replace(classes: list[oc.OwnClass], keep_ids: bool = True) -> None:
    _set_mine(classes, _ids() if keep_ids else None)


def _mine_ui() -> list[oc.OwnClass]:
    st.caption(f"Make 2 to {oc.MAX_CLASSES} classes and give each some pictures: photos you "
               "upload, webcam snapshots, or a zip with one folder of pictures per class. "
               "Your pictures stay on this server only while you use the page.")
    _zip_ui()
    _add_pictures_ui()
    if st.session_state.get(PROBLEM_KEY):
        st.error(st.session_state[PROBLEM_KEY], icon=":material/error:")
    for note in st.session_state.get(NOTES_KEY, []):
        st.info(note, icon=":material/info:")
    _overview(_classes(), editable=True)
    if len(_mine()) < oc.MAX_CLASSES:
        st.button("Add a class", icon=":material/add:", key="own_add_class",
                  on_click=lambda: _replace_new(oc.add_class(_classes())))
    return _classes()


def _replace_new(classes: list[oc.OwnClass]) -> None:
    counter = st.session_state[IDS_KEY]
    _set_mine(classes, _ids() + [next(counter)])


def _zip_ui() -> None:
    gen = st.session_state.get(UPLOAD_GEN_KEY, 0)
    upload = st.file_uploader("A zip with one folder per class (replaces the classes below)",
                              type=["zip"], key=f"own_zip_{gen}")
    if upload is None:
        return
    try:
        folders = read_image_folders(upload.getvalue(), oc.STORE_SIDE,
                                     max_images=oc.MAX_PICTURES)
    except ImageFolderError as error:
        _added([], problem=f"{upload.name}: {error}")
        return  # not reached: _added reruns the page
    _set_mine(oc.from_folders(folders))
    _added([f"Read {len(folders.y):,} pictures in {len(folders.class_names)} classes "
            f"from {upload.name}.", *folders.notes()])


def _add_pictures_ui() -> None:
    mine = _mine()
    names = {cid: c.name for cid, c in mine}
    if not names:
        st.info("Add a class first (the button below), then give it pictures.",
                icon=":material/info:")
        return
    gen = st.session_state.get(UPLOAD_GEN_KEY, 0)
    with st.container(border=True):
        target = st.selectbox("Add pictures to", list(names), format_func=names.get,
                              key="own_target")
        files = st.file_uploader(f"Photos ({', '.join(UPLOAD_TYPES)}; many at once)",
                                 type=UPLOAD_TYPES, accept_multiple_files=True,
                                 key=f"own_files_{gen}")
        if files and st.button(f"Add {len(files)} photo{'s' if len(files) != 1 else ''} to "
                               f"{names[target]}", type="primary", key="own_add_files"):
            # One file's bytes at a time (add_files decodes lazily and stops reading once
            # the session's pictures are full): a camera roll is never held twice.
            fitting = [f for f in files if f.size <= MAX_UPLOAD_BYTES]
            too_big = len(files) - len(fitting)
            added = oc.add_files(_classes(), _ids().index(target),
                                 (f.getvalue() for f in fitting))
            _replace(added.classes)
            notes = [f"Added {added.added:,} picture{'s' if added.added != 1 else ''} to "
                     f"{names[target]}.", *added.notes()]
            if too_big:
                notes.append(f"{too_big} file{'s were' if too_big != 1 else ' was'} over "
                             f"{MAX_UPLOAD_BYTES // 2**20} MB and skipped.")
            _added(notes)
        if st.toggle("Use the webcam", key="own_webcam",
                     help="Your browser asks first; nothing is recorded until you press "
                          "Take Photo."):
            _camera_ui(target, names[target])


def _camera_ui(target: int, name: str) -> None:
    st.caption("If the camera stays dark, your browser has blocked it: allow the camera for "
               "this site (the icon in the address bar), or upload photos instead.")
    shot = st.camera_input(f"Snapshot for {name}", key="own_camera")
    if shot is None or shot.file_id == st.session_state.get(CAMERA_SEEN_KEY):
        return
    st.session_state[CAMERA_SEEN_KEY] = shot.file_id
    try:
        picture = load_image(shot.getvalue())
    except ImageError as error:
        st.error(f"The snapshot could not be read ({error}); try again.")
        return
    added = oc.add_pictures(_classes(), _ids().index(target), [picture])
    _replace(added.classes)
    st.session_state[NOTES_KEY] = added.notes() or [f"Added a snapshot to {name}."]
    st.session_state[PROBLEM_KEY] = None


def _rename(cid: int) -> None:
    """The name box's callback: the class takes the tidied name and the box shows it (a
    trailing space or a doubled one would otherwise differ from the class's name on every
    run); a name that cannot be used puts the old one back, with a sentence why."""
    key = f"own_name_{cid}"
    index = _ids().index(cid)
    st.session_state.pop(RENAME_PROBLEM_KEY, None)
    try:
        renamed = oc.rename_class(_classes(), index, st.session_state[key])
    except oc.ClassSetError as error:
        st.session_state[RENAME_PROBLEM_KEY] = (cid, str(error))
        st.session_state[key] = _classes()[index].name
        return
    _replace(renamed)
    st.session_state[key] = renamed[index].name


def _added(notes: list[str], problem: str | None = None) -> None:
    """Show what the last add did (or why it did nothing) and empty the uploaders."""
    st.session_state[NOTES_KEY] = notes
    st.session_state[PROBLEM_KEY] = problem
    st.session_state[UPLOAD_GEN_KEY] = st.session_state.get(UPLOAD_GEN_KEY, 0) + 1
    st.rerun()


# ---- Thumbnails and counts ----------------------------------------------------------------

def _overview(classes: list[oc.OwnClass], editable: bool) -> None:
    total = oc.total_pictures(classes)
    st.markdown(f"**{len(classes)} class{'es' if len(classes) != 1 else ''}, {total:,} "
                f"picture{'s' if total != 1 else ''}:** " + ", ".join(
        f"{c.name} {c.count:,}" for c in classes))
    ids = _ids() if editable else list(range(len(classes)))
    for cid, cls in zip(ids, classes, strict=True):
        with st.expander(f"{cls.name}: {cls.count:,} picture{'s' if cls.count != 1 else ''}",
                         expanded=cls.count == 0 if editable else len(classes) <= 3):
            if editable:
                _edit_class_ui(cid, cls)
            if cls.count:
                shown = list(cls.pictures[:THUMBNAILS_SHOWN])
                st.image(shown, width=THUMB_SIDE,
                         caption=[f"#{i + 1}" for i in range(len(shown))])
                if cls.count > THUMBNAILS_SHOWN:
                    st.caption(f"The first {THUMBNAILS_SHOWN} of {cls.count:,} shown.")


def _edit_class_ui(cid: int, cls: oc.OwnClass) -> None:
    # The button's column is wide enough for "Remove class" at 1024 px (a projector).
    cols = st.columns([2, 1], vertical_alignment="bottom")
    with cols[0]:
        st.text_input("Class name", cls.name, key=f"own_name_{cid}", max_chars=40,
                      on_change=_rename, args=(cid,))
        if st.session_state.get(RENAME_PROBLEM_KEY, (None, ""))[0] == cid:
            st.error(st.session_state[RENAME_PROBLEM_KEY][1])
    with cols[1]:
        if st.button("Remove class", key=f"own_drop_{cid}", icon=":material/delete:"):
            index = _ids().index(cid)
            _set_mine(oc.remove_class(_classes(), index), _ids()[:index] + _ids()[index + 1:])
            st.rerun()
    if cls.count:
        picked = st.multiselect("Pictures to remove (by number)", range(1, cls.count + 1),
                                key=f"own_pick_{cid}_{cls.count}")
        if picked and st.button(f"Remove {len(picked)} picture{'s' if len(picked) != 1 else ''}",
                                key=f"own_remove_{cid}"):
            _replace(oc.remove_pictures(_classes(), _ids().index(cid), [p - 1 for p in picked]))
            st.rerun()
