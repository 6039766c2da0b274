"""English texts."""

MESSAGES: dict[str, str] = {
    # entry
    "greeting": (
        "Welcome to the bank's feedback desk. We read every message and answer complaints "
        "within 3 working days and suggestions within 5.\nWhat would you like to do?"
    ),
    "menu.feedback": "Feedback",
    "menu.complaint": "Complaint",
    "menu.suggestion": "Suggestion",
    "menu.praise": "Praise",
    "menu.status": "Check my case",
    "menu.points": "My points",
    "help": (
        "I take your complaints, suggestions and praise and keep you posted.\n"
        "/start – begin, /status NUMBER – where your case stands, /mycases – your cases, "
        "/points – your reward points, /language – 中文 / English, "
        "/back – previous step, /cancel – stop."
    ),
    "cancelled": "Cancelled. Nothing was submitted.",
    "expired": "Your unfinished feedback timed out after {minutes} minutes of silence, so we "
    "started afresh.",
    "error.generic": "Sorry, something went wrong on our side. Please try again in a moment.",
    "not_understood": "Sorry, I didn't get that.",
    "stale_button": "That button belongs to an earlier step.",
    "back.nothing": "There is no earlier step.",
    # steps
    "type.complaint": "complaint",
    "type.suggestion": "suggestion",
    "type.praise": "praise",
    "ask.business": "What is your {type} about?",
    "ask.branch": "Which branch is it about? Pick one, type its name, or choose "
    "'Online / no branch'.",
    "branch.online": "Online / no branch",
    "branch.too_long": "A branch name has at most {max} characters.",
    "ask.description": "Please describe it in your own words ({min}–{max} characters). "
    "You can also send photos, voice notes or files.",
    "description.too_short": "Please write at least {min} characters so we can help.",
    "description.too_long": "That is too long: at most {max} characters in all.",
    "description.added": "Got it. Add more text, photos, voice notes or files, or press Continue.",
    "description.missing": "Please describe it in words first.",
    "attachment.added": "Attachment received ({count} so far).",
    "attachment.too_many": "At most {max} attachments per case.",
    "continue": "Continue",
    "ask.outcome": "What outcome would you like? (optional)",
    "outcome.too_long": "At most {max} characters, please.",
    "skip": "Skip",
    "ask.consent": "Privacy: we use your name and phone number only to handle this case and "
    "keep them no longer than needed. Do you agree to give them?",
    "ask.consent_praise": "Privacy: we use your name and phone number only to reply to you. "
    "Give them, or stay anonymous?",
    "consent.yes": "I agree",
    "consent.anonymous": "Stay anonymous",
    "consent.required": "We need a way to reach you about a {type}. If you prefer not to "
    "give your contact details, you can /cancel.",
    "ask.name": "Your name, please.",
    "name.invalid": "Please send your name as text (1–{max} characters, no digits).",
    "ask.phone": "Your mobile number, please: type it or press the button to share it.",
    "phone.share": "Share my phone number",
    "phone.invalid": "That doesn't look like a mobile number. Example: 13812348000.",
    "phone.not_yours": "Please share your own contact.",
    "summary": "Please check:\nType: {type}\nAbout: {business}\nBranch: {branch}\n"
    "Description: {description}\nAttachments: {attachments}\n{outcome}Contact: {contact}",
    "summary.outcome": "Desired outcome: {outcome}\n",
    "summary.anonymous": "anonymous",
    "summary.none": "—",
    "submit": "Submit",
    "edit": "Edit",
    "cancel": "Cancel",
    "ask.edit": "What would you like to change?",
    "edit.business": "Topic",
    "edit.branch": "Branch",
    "edit.description": "Description",
    "edit.outcome": "Desired outcome",
    "edit.contact": "Contact",
    # results
    "confirmation": "Thank you. Your {type} is registered as {number}.\n{next}\n"
    "Deadline: {due}.\nSend /status {number} at any time to see where it stands.",
    "next.complaint": "A case handler will look into it and answer you here.",
    "next.suggestion": "The responsible team will assess it and tell you whether it is adopted.",
    "next.praise": "We will pass it on to the team you praised.",
    "filing_failed": "Sorry, we cannot register your feedback right now; our staff have been "
    "alerted. Your answers are kept: press Submit again later.",
    "status.none": "No case {number} found among your cases. Check the number, or send /mycases.",
    "status.view": "{number} ({type})\nStatus: {status}\nHandled by: {department}\n"
    "Deadline: {due}\nLatest: {latest}",
    "status.unrouted": "being assigned",
    "mycases.none": "You have no cases yet.",
    "mycases.header": "Your cases (newest first):",
    "mycases.line": "{number} – {type} – {status} – due {due}",
    "mycases.hint": "Send /status NUMBER for details.",
    "points.balance": "You have {points} points.",
    "points.none": "No points yet: praise and suggestions earn points.",
    "points.line": "{date}  {points:+d}  {reason}",
    "reward.praise_filed": "praise filed",
    "reward.suggestion_filed": "suggestion filed",
    "reward.suggestion_adopted": "suggestion adopted",
    "reward.survey_answered": "survey answered",
    "ask.language": "Choose a language:",
    "language.set": "Language: English.",
    "format.deadline": "{due:%d %b %Y, %H:%M}",
    "format.date": "{day:%d %b}",
    # status words
    "status.new": "received",
    "status.assigned": "assigned to a handler",
    "status.in_progress": "being handled",
    "status.waiting_for_customer": "waiting for your reply",
    "status.resolved": "answered",
    "status.closed": "closed",
    "status.reopened": "reopened",
    "status.withdrawn": "withdrawn",
    "latest.filed": "{date}: received",
    "latest.assigned": "{date}: assigned to a handler",
    "latest.started": "{date}: being handled",
    "latest.asked_customer": "{date}: we asked you: {note}",
    "latest.customer_replied": "{date}: your reply was added",
    "latest.resolved": "{date}: answer: {note}",
    "latest.closed": "{date}: closed",
    "latest.reopened": "{date}: reopened",
    "latest.withdrawn": "{date}: withdrawn",
    "latest.extended": "{date}: deadline extended: {note}",
    # business types, in customers' words
    "business.deposits": "Deposits & savings",
    "business.loans": "Loans & mortgages",
    "business.credit_card": "Credit card",
    "business.debit_card": "Debit card",
    "business.payment_settlement": "Payments & transfers",
    "business.cash": "Cash & ATMs",
    "business.personal_info": "My personal data",
    "business.wealth_management": "Wealth management",
    "business.agency_sales": "Insurance & funds sold by the bank",
    "business.foreign_exchange": "Foreign exchange",
    "business.other": "Something else",
    # bot commands, as the platform's menu shows them
    "command.start": "Start: complaint, suggestion or praise",
    "command.status": "Where my case stands",
    "command.mycases": "My cases",
    "command.points": "My reward points",
    "command.language": "中文 / English",
    "command.cancel": "Stop the current step",
    "command.help": "Help",
}
