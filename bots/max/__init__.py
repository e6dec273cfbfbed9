"""MAX, the national messenger (issue 10): the office channel's posts and citizens' hotlines."""

NAME = "max"  # the platform's name in outbox rows, publications and citizens
