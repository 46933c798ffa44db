"""The ``landfall`` command line: ``main`` (the parser and dispatch), one module per family of
verbs (``plan``, ``aws_checks``, ``deploy``), and ``output`` (tables, Markdown, exit codes), which
the plan tool and the operations share. Thin commands over ``landfall.plan`` and ``landfall.ops``.
"""
