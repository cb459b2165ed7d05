"""CNN Classroom: entry point. Sets up the page, the navigation, and the home page."""

from __future__ import annotations

import streamlit as st

from cnn_core.config import FAVICON
from ui.home import home_page
from ui.links import keep_settings_across_pages
from ui.navigation import available_pages
from ui.services import keep_session_files

# The icon is served by this app: a classroom may have no internet.
st.set_page_config(page_title="CNN Classroom", page_icon=str(FAVICON), layout="wide")

pages = [st.Page(home_page, title="Home", icon=":material/home:", default=True, url_path="home")]
pages += [st.Page(info.path, title=info.title, icon=info.icon) for info in available_pages()]
page = st.navigation(pages)
keep_settings_across_pages()
keep_session_files()
page.run()
