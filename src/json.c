/* json: not written yet */
