"""The research-incentives pages: studies (studies.py), the send wizard (send.py), the public
claim page (claim.py), and the Incentives page's Budgets (budgets.py) and Recipients
(recipients.py) tabs. They sit in this app, the top of the incentives layers, because each shows
studies, budgets and incentives together (docs/architecture.md, "Layers")."""
