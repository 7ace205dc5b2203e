/* tokenise: not written yet */
