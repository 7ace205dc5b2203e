/* fileio: not written yet */
