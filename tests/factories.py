"""factory_boy factories for every model, valid by default."""

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts import roles
from accounts import services as account_services
from claims.models import Appearance, Argument, Claim, Speaker, Stance, Status
from notes.models import Channel, Note, Topic, Video, WikiLink


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("a-long-test-password")


class UnconfirmedUserFactory(UserFactory):
    """Signed up, but never followed the confirmation link: not a contributor."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def unconfirmed_address(user, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)


class ContributorFactory(UserFactory):
    """A registered user with a confirmed e-mail address, in the Contributors group."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def confirmed_address(user, create, extracted, **kwargs):
        if create:
            account_services.email_confirm(user=user, email=user.email)


class ModeratorFactory(ContributorFactory):
    """A contributor in the Moderators group, staff so as to see the queue in the admin."""

    username = factory.Sequence(lambda n: f"moderator{n}")
    is_staff = True

    @factory.post_generation
    def moderators_group(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get(name=roles.MODERATORS))


class EditorFactory(ContributorFactory):
    username = factory.Sequence(lambda n: f"editor{n}")
    is_staff = True

    @factory.post_generation
    def editors_group(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get(name=roles.EDITORS))


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"channel_{n}")
    name = factory.LazyAttribute(lambda channel: channel.slug.replace("_", " ").title())


def _youtube_id(n: int) -> str:
    return f"vid{n:08d}"


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video
        django_get_or_create = ["youtube_id"]

    youtube_id = factory.Sequence(_youtube_id)
    title = factory.Sequence(lambda n: f"Interview {n}")
    channel = factory.SubFactory(ChannelFactory)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"topic_{n}")
    name = factory.Sequence(lambda n: f"Topic {n}")


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    title = factory.Sequence(lambda n: f"Note number {n}")
    slug = factory.LazyAttribute(lambda note: note.title.lower().replace(" ", "_"))
    video = factory.SubFactory(VideoFactory)
    body_markdown = "Something was said [00:01:05]."


class WikiLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WikiLink

    note = factory.SubFactory(NoteFactory)
    target_slug = factory.Sequence(lambda n: f"target_{n}")
    label = "a label"


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"speaker_{n}")
    name = factory.Sequence(lambda n: f"Speaker {n}")


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    text = factory.Sequence(lambda n: f"Claim number {n} is true.")
    status = Status.DRAFT


class PublishedClaimFactory(ClaimFactory):
    status = Status.PUBLISHED


class AppearanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appearance

    claim = factory.SubFactory(ClaimFactory)
    video = factory.SubFactory(VideoFactory)
    start_seconds = 2525
    end_seconds = None


class GroundedClaimFactory(ClaimFactory):
    """A draft claim with the one appearance that publishing it needs."""

    class Meta:
        skip_postgeneration_save = True

    appearance = factory.RelatedFactory(AppearanceFactory, factory_related_name="claim")


class ArgumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Argument

    claim = factory.SubFactory(ClaimFactory)
    stance = Stance.FOR
    text = factory.Sequence(lambda n: f"Reason number {n}.")
    video = factory.SubFactory(VideoFactory)
    start_seconds = 2534
    status = Status.DRAFT
