"""The web part of Glashatai: a public archive of releases and hotlines, and the staff desk."""
