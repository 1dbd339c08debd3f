"""The chat itself: who is here, what they say, and how it is rendered. No HTTP in here."""
