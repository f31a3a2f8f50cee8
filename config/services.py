from config.models import User


def user_set_availability(*, user: User, available: bool) -> User:
    User.objects.filter(pk=user.pk).update(is_available=available)
    user.is_available = available
    return user
