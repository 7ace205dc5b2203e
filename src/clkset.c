/* clkset: not written yet */
