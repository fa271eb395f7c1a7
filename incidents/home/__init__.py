"""The staff home (the admin index): what needs a person's attention now."""
