/* normalise: not written yet */
