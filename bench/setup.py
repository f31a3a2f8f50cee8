from channels.models import Channel, ChannelKind


def whatsapp_channel():
    channel = Channel.objects.filter(kind=ChannelKind.WHATSAPP).order_by("pk").first()
    return [str(channel.public_id), channel.secret, channel.pk]
