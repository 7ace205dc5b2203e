/* encoder: not written yet */
