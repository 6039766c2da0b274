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
    "menu.mine": "Mine",
    "menu.redeem": "Gift vouchers",
    "menu.privacy": "My data",
    "help": (
        "I take your complaints, suggestions and praise and keep you posted.\n"
        "/start – begin, /status NUMBER – where your case stands, /mycases – your cases, "
        "/points – your reward points, /redeem – gift vouchers for points, "
        "/vouchers – the vouchers you have, "
        "/privacy – what we keep about you, /language – 中文 / English, "
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
    "deadline.provisional": " (provisional: the official {year} holiday calendar is not out "
    "yet; once it is, the date is confirmed and you are told if it changes)",
    "customer.deadline_recounted": "The deadline of your {type} {number} has been set by the "
    "official {year} holiday calendar: {due}.",
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
    "reward.voucher_redeemed": "gift voucher redeemed",
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
    # the staff desk
    "desk.help": "Commands:",
    "desk.help.queue": "/queue [mine|dept|unassigned|overdue] [page] the work queue",
    "desk.help.case": "/case NO details, history and attachments",
    "desk.help.take": "/take NO take a case",
    "desk.help.note": "/note NO text internal note",
    "desk.help.ask": "/ask NO question ask the customer",
    "desk.help.resolve": "/resolve NO result answer the customer",
    "desk.help.stats": "/stats figures",
    "desk.help.assign": "/assign NO department|staff-id assign",
    "desk.help.adopt": "/adopt NO adopt a suggestion",
    "desk.help.decline": "/decline NO reason decline a suggestion",
    "desk.help.reopen": "/reopen NO reason reopen",
    "desk.help.extend": "/extend NO working-days reason extend the deadline",
    "desk.help.reveal": "/reveal NO full contact data (audited)",
    "desk.help.help": "/help this help",
    "desk.registered": "Registered: {name}, {role}, {department}. Send /help for your commands.",
    "desk.usage": "Usage: {usage}",
    "desk.forbidden": "Your role may not do that.",
    "desk.no_case": "No case {number} within your reach.",
    "desk.refused": "Refused: {reason}",
    "desk.conflict": "Case {number} was just changed by someone else; try again.",
    "desk.not_suggestion": "{number} is not a suggestion: it cannot be adopted or declined.",
    "desk.unknown_target": 'No department or active staff member "{target}".',
    "desk.done.take": "You took {number}.",
    "desk.done.assign": "{number} assigned to {target}.",
    "desk.done.note": "Note added.",
    "desk.done.ask": "Question passed on; the customer's answer will come to you.",
    "desk.done.resolve": "{number} resolved; the customer has the result.",
    "desk.done.adopt": "{number} adopted; the customer was told.",
    "desk.done.decline": "{number} declined; the customer was told.",
    "desk.done.reopen": "{number} reopened, due {due}.",
    "desk.done.extend": "{number} now due {due}; the customer was told.",
    "desk.reveal": "{number} contact (this look is audited): {name} {phone}",
    "desk.reveal.none": "{number} was filed anonymously: no contact data.",
    "desk.queue.header": "{title} (page {page}/{pages}, {total} cases):",
    "desk.queue.empty": "{title}: nothing.",
    "desk.queue.mine": "My queue",
    "desk.queue.dept": "Department queue",
    "desk.queue.unassigned": "Unassigned",
    "desk.queue.overdue": "Overdue",
    "desk.queue.line": "{number} {type} {status} due {due}{late}",
    "desk.queue.late": " ⚠ overdue",
    "desk.provisional": " (provisional: no {year} calendar)",
    "desk.queue.next": "Next page",
    "desk.queue.previous": "Previous page",
    "desk.case": "{number} ({type}, {status})\nAbout: {business}\nBranch: {branch}\n"
    "Department: {department}, handler: {assignee}\nReceived: {received}\nDue: {due} "
    "(legal {legal_due})\nCustomer: {customer}\nDescription: {description}\n{outcome}"
    "Attachments: {attachments}\nHistory:\n{history}",
    "desk.case.outcome": "Wants: {outcome}\n",
    "desk.case.history_line": "{at} {actor} {action}{note}",
    "desk.none": "none",
    "desk.anonymous": "anonymous",
    "desk.unassigned": "unassigned",
    "desk.take": "Take",
    "desk.view": "View",
    "desk.alert": "New {type} {number}\nAbout: {business}\nBranch: {branch}\n"
    "Customer: {customer}\nDue: {due}\n{description}",
    "desk.stats": "Figures for {scope}:\nNew today {today}\nOpen {open}\nOverdue {overdue}\n"
    "On time this month {on_time} ({on_time_count}/{resolved})\n"
    "Satisfied this month {satisfied} ({satisfied_count}/{rated})",
    "desk.stats.all": "the whole bank",
    "desk.stats.rate_none": "—",
    "role.agent": "agent",
    "role.lead": "lead",
    "role.supervisor": "supervisor",
    "role.admin": "admin",
    # to customers, caused by staff actions
    "customer.question": "About your {type} {number}, our staff would like to know:\n"
    "{question}\nJust reply to this message.",
    "customer.answer_received": "Thank you: your answer has been passed on.",
    "customer.result": "The result of your {type} {number}:\n{result}",
    "customer.adopted": "Your suggestion {number} has been adopted. Thank you!",
    "customer.declined": "Your suggestion {number} will not be taken up for now: {reason}\n"
    "Thank you for it all the same!",
    "customer.reopened": "Your {type} {number} has been reopened; it is due {due}.",
    "customer.extended": "Your {type} {number} is now due {due}. Reason: {reason}",
    # deadline chasing
    "chase.reminder": "⏰ Reminder: {number} ({type}) falls due {due}.",
    "chase.overdue": "⚠️ Overdue: {number} ({type}) was due {due}.",
    "chase.escalation": "🔺 Escalation: {number} ({type}) is a working day past its "
    "deadline ({due}).",
    "chase.unassigned": "📥 Unassigned: nobody has taken {number} ({type}) for two working hours.",
    "chase.legal_ceiling": "⚖️ Legal ceiling: {number} ({type}) must be decided by {legal_due}.",
    "digest.header": "Daily digest {date}",
    "digest.line": "{department}: new {new}, open {open}, due today {due_today}, overdue {overdue}",
    "digest.unrouted": "no department",
    "digest.calendar_missing": "⚠️ No official working-day calendar for {year} yet: {count} open "
    "case(s) have a provisional deadline. An administrator adds the year to "
    "INTAKE_CALENDAR_FILE.",
    "rewards.awarded": "You earned {points} points ({reason}); you now have {balance}. "
    "Send /points to see them.",
    "desk.help.link": "/link NO OTHER-NO handle a suggestion with a related one",
    "desk.help.implemented": "/implemented NO what changed — tells every linked customer",
    "desk.done.link": "{number} is now linked to {other}.",
    "desk.done.implemented": "{number} marked implemented; {customers} customer(s) told.",
    "customer.implemented": "Your suggestion {number} has been put into practice: {what}\n"
    "Thank you for helping us improve!",
    # the satisfaction survey
    "survey.ask": "How satisfied are you with how we handled your {type} {number}? "
    "Choose 1 (not at all) to 5 (very satisfied).",
    "survey.reminder": "A reminder, in case you missed it:",
    "survey.star": "{stars} {score}",
    "survey.later": "Not now",
    "survey.later_done": "All right. You can still rate {number} with the buttons above "
    "for 7 days after it was resolved.",
    "survey.thanks": "Thank you for your rating of {score} for {number}.",
    "survey.ask_comment": "Anything you would like to add about {number}? Type it, or choose Skip.",
    "survey.skip": "Skip",
    "survey.comment_thanks": "Thank you, we have noted your comment.",
    "survey.sorry": "We are sorry we did not do better with {number}. Its department head "
    "has been told. Shall we reopen the case and look at it again? You may also type what "
    "went wrong.",
    "survey.reopen": "Reopen the case",
    "survey.keep_closed": "No, close it",
    "survey.reopened": "Your {type} {number} has been reopened; we will answer by {due}.",
    "survey.closed_now": "Thank you. {number} is closed.",
    "survey.not_open": "The survey for {number} is closed. Thank you all the same!",
    "desk.low_rating": "😞 {number} ({type}) was rated {score}/5 by the customer.",
    "desk.low_rating.comment": "😞 The customer's comment on {number}: {comment}",
    "desk.customer_reopened": "🔁 The customer reopened {number} ({type}); due {due}.",
    # vouchers
    "redeem.menu": "Gift vouchers for your points (you have {balance}):",
    "redeem.line": "{name} – {cost} points ({stock} left)",
    "redeem.hint": "Choose a voucher. Send /vouchers to see the codes you already have.",
    "redeem.none": "No gift vouchers are on offer right now.",
    "redeem.confirm": "Exchange points for {label}?",
    "redeem.yes": "Yes, exchange",
    "redeem.no": "No",
    "redeem.cancelled": "Nothing was exchanged.",
    "redeem.unknown": "There is no voucher {id} on offer.",
    "redeem.out_of_stock": "Sorry, {name} has just run out.",
    "redeem.not_enough": "{name} costs {cost} points; you have {balance}.",
    "redeem.label": "{name} ({cost} points)",
    "redeem.done": "Here is your voucher {name}: {code}\nValid until {expires}. "
    "You have {balance} points left. Send /vouchers to see it again at any time.",
    # privacy
    "privacy.header": "What we keep about you:",
    "privacy.account": "Your {platform} account; you chose {chosen}.",
    "platform.telegram": "Telegram",
    "platform.wechat": "WeChat",
    "language.name": "English",
    "privacy.cases": "{count} case(s): {numbers}",
    "privacy.no_cases": "No cases.",
    "privacy.contact": "Contact details given: {contact}",
    "privacy.points": "{points} reward points in {entries} entries; {vouchers} voucher(s).",
    "privacy.footer": "Send /forget to have your name, phone number, descriptions and "
    "attachments removed from your closed cases. The cases stay, without them, for the "
    "bank's statistics; open cases keep your details until they are closed.",
    "forget.confirm": "Remove your personal data from your closed cases? This cannot be undone.",
    "forget.yes": "Yes, remove it",
    "forget.no": "No",
    "forget.cancelled": "Nothing was removed.",
    "forget.done": "Done: your personal data was removed from {count} closed case(s).",
    "forget.open_left": "{count} open case(s) keep your details until they are closed; send "
    "/forget again then.",
    "command.redeem": "Exchange points for vouchers",
    "command.privacy": "What we keep about me",
    # messages the dialogue cannot take
    "unsupported": "Sorry, I can't take {what} here.",
    "unsupported.answering": "Staff are waiting for your answer about {number}: send it as "
    "text, a photo or a file.",
    "input.sticker": "stickers",
    "input.location": "locations",
    "input.link": "links (please send the text itself)",
    "input.file": "chat files (please send a photo or a screenshot instead)",
    "input.contact": "contact cards",
    "input.other": "this kind of message",
    # adding to a case after filing
    "add.ask_one": "Your case {number} is still open. Add what you just sent to it?",
    "add.ask_many": "Which of your open cases should what you just sent be added to?",
    "add.option": "Add to {type} {number}",
    "add.no": "No, show the menu",
    "add.held": "Received: {count} items wait to be added.",
    "add.too_many": "At most {max} items can wait: please choose the case first.",
    "add.done": "Added to {number} ({count} item(s)); the staff handling it have been told.",
    "add.dropped": "All right, nothing was added.",
    "add.not_open": "{number} is no longer open, so nothing was added. For a new matter, "
    "please start a new case.",
    "desk.relay.answer": "{customer} answered the question on {type} {number}:",
    "desk.relay.added": "{customer} added to {type} {number}:",
    "desk.relay.continued": "(continued {part}/{parts}) {number}",
    # vouchers issued
    "vouchers.none": "You have no gift vouchers yet. Send /redeem to see what is on offer.",
    "vouchers.header": "Your gift vouchers (newest first):",
    "vouchers.line": "{name}: {code}, valid until {expires}",
    "vouchers.expired": "{name}: {code}, expired {expires}",
    "privacy.vouchers_hint": "Send /vouchers to see the vouchers' codes.",
    # extending a deadline
    "desk.extend.days": "The working days must be a whole number above 0, e.g. "
    "/extend {number} 2 reason",
    "desk.extend.too_far": "Cannot extend by {days} working days: that would pass the legal "
    "ceiling of {number} (now {legal_due}; a {role} may extend it to {ceiling} at most). "
    "The most for this case is {most} working day(s), to {most_due}.",
    "desk.extend.none_left": "Cannot extend by {days} working days: that would pass the legal "
    "ceiling of {number} (now {legal_due}; a {role} may extend it to {ceiling} at most), and "
    "this case cannot be extended any further.",
}
