"""VK: the community wall and citizens' hotlines in community messages."""

NAME = "vk"  # the platform's name in outbox rows, publications and citizens
