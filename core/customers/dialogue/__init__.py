"""The intake dialogue: one channel-agnostic conversation that every chat adapter speaks.

- `engine`: the driver, `converse(dialogue, input) -> Turn`; routes each input.
- `steps`, `review`: the table of steps (question, options, handler, next step).
- `flow`: a step's shape, the settings, and the moves steps and commands share.
- `commands`: each customer command, declared once; the chats' lists derive from it.
- `effects`: what the engine asks the conversation service to do.
- `state`, `pending`: the stored dialogue, and the questions asked outside the intake.
- `validation`, `views`: checks of what customers type; replies built from stored facts.
"""
