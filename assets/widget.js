/* tally widget: placeholder, replaced by the real widget. */
