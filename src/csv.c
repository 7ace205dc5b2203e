/* csv: not written yet */
