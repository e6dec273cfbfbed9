"""MAX, the national messenger (issue 10): the office channel's posts and citizens' hotlines."""
