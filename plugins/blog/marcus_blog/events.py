"""Blog events. ``blog.published`` is the seed's BLOG_CREATED: published once in a post's
life (immediately or by the scheduler) and broadcast to the workspace. The others only
record staff changes in the activity feed (seen by staff, notifying nobody)."""

from __future__ import annotations

import uuid

from marcus import Event, Notice

ACTIVITY = "Blog"


class PostPublished(Event):
    """A post went public for the first time."""

    name = "blog.published"
    notice = Notice(type=ACTIVITY, title="New blog post", message="A new blog post is now available.", broadcast=True)
    post_id: uuid.UUID
    title: str
    slug: str


class PostCreated(Event):
    name = "blog.post_created"
    notice = Notice(type=ACTIVITY, title="Post created", message="Post '{title}' was created.", notify=False)
    post_id: uuid.UUID
    title: str
    status: str


class PostUpdated(Event):
    name = "blog.post_updated"
    notice = Notice(type=ACTIVITY, title="Post updated", message="Post '{title}' was updated.", notify=False)
    post_id: uuid.UUID
    title: str
    status: str


class PostDeleted(Event):
    name = "blog.post_deleted"
    notice = Notice(type=ACTIVITY, title="Post deleted", message="Post '{title}' was deleted.", notify=False)
    post_id: uuid.UUID
    title: str


class CommentModerated(Event):
    """Staff hid, showed again or deleted someone's comment."""

    name = "blog.comment_moderated"
    notice = Notice(
        type=ACTIVITY, title="Comment moderated", message="A comment on '{title}' was {action}.", notify=False
    )
    post_id: uuid.UUID
    comment_id: uuid.UUID
    title: str
    action: str


EVENT_TYPES: list[type[Event]] = [PostPublished, PostCreated, PostUpdated, PostDeleted, CommentModerated]
