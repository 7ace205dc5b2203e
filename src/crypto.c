/* crypto: not written yet */
