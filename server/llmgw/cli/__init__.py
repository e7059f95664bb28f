"""The ``llmgw`` command line (typer): ``main`` holds the commands, ``client``
and ``key_client`` the gRPC calls they make to a running gateway, and
``serve_process`` the lean process image ``llmgw serve`` execs into."""
