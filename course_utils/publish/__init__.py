"""The instructors' and authors' toolchain: the book site, lecture slides, student editions.

Chapter: 00_how_to_use_this_course (learners never import this package)

==============  ==================================================================
``book``        ``book.toml``, the one table of contents, and the tables built from it
``notebooks``   executing chapters and keeping their jupytext twins in sync
``site``        the offline book site (Sphinx + MyST-NB)
``slides``      reveal.js decks and the instructors' lecture plan
``lecture``     a chapter as a lecture: one thing per slide, the prose in speaker notes
``markdown``    a chapter's Markdown as blocks; the words a slide shows
``student``     student editions without the worked solutions
``browser``     headless-Chromium checks of what readers see
==============  ==================================================================

Its dependencies (Sphinx, nbconvert, …) are the ``book`` extra; no module outside this
package imports it, and a test keeps it so.
"""
