"""Paging a person: the signed one-click acknowledge link sent in e-mail and chat pages.

tokens.py signs and checks the link (pure: no ORM); views.py is the page the link opens
(login required, the paged person only, one POST button that calls the acknowledge
service); urls.py is included from config/urls.py under /page/."""
