"""calldesk: log sales calls into Apollo, Close, Pipedrive and Buildr, online or offline.

Package layout (each layer imports only those above it in this list; checked by import-linter):
``domain`` → ``schema`` → ``store`` → ``crm`` → ``sync`` → ``ui``. ``app`` is the one composition
root; ``cli`` is the scripting face; ``sandbox`` holds the local stand-ins for the four CRMs.
"""

__version__ = "0.1.0"
