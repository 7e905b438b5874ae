"""The dashboard's addresses, one module per area of the staff app (see ../urls.py)."""
