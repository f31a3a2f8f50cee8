from django.dispatch import Signal

# Sent after the transaction that opened a conversation commits (workflows listen to it).
conversation_opened = Signal()
