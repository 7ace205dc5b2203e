/* schema: not written yet */
