"""Coverage over time and across outlets: ``timeline`` (matching articles per period and
outlet), ``compare`` (each outlet's best quote on a question) and ``chart`` (the timeline as a
PNG; the only module that imports matplotlib)."""
