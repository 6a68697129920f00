"""The Outlook add-in: its manifest, task pane and sign-in dialog (`outlook.pages`), and the API
the task pane calls (`/outlook/api/…`)."""
