"""Cases: escalations from the bot to caseworkers (one owner of case state: `cases.service`)."""
