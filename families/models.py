"""Models arrive with the families/outreach issues."""
