"""``marcus demo`` for the blog: three published posts by the demo admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from marcus_blog.models import BlogPost
from marcus_blog.schemas import PostCreate
from marcus_blog.service import create_post
from sqlalchemy import select

import marcus

# slug, title, days ago, excerpt, content, categories, tags
POSTS = (
    (
        "we-now-open-on-saturdays",
        "We now open on Saturdays",
        12,
        "Book a morning session on Saturdays from next month.",
        "Many of you asked for it: from next month we open on Saturday mornings, 9:00 to 13:00.\n\n"
        "Strategy sessions and tax reviews can be booked online as usual.",
        ["News"],
        ["opening hours"],
    ),
    (
        "five-receipts-to-keep",
        "Five receipts to keep for your tax return",
        6,
        "Small receipts add up: these five are the ones people forget.",
        "Home office furniture, professional subscriptions, training courses, work travel and the fees of "
        "your accountant: keep every receipt, scan it the day you get it, and bring them to your tax review.",
        ["Advice"],
        ["tax", "receipts"],
    ),
    (
        "how-our-workshops-work",
        "How our team workshops work",
        2,
        "Half a day, up to twelve people, one clear plan at the end.",
        "We start from your numbers, spend the middle of the morning on exercises in small groups and "
        "finish with a plan everyone signed up to. Bring your questions; we bring the coffee.",
        ["Training"],
        ["workshops"],
    ),
)


async def demo_posts(demo: marcus.DemoContext) -> list[str]:
    """Publish the demo posts that are missing (found by slug); what was created."""
    session, org_id = demo.session, demo.tenant.id
    existing = set(await session.scalars(select(BlogPost.slug).where(BlogPost.organization_id == org_id)))
    now, created = datetime.now(UTC), []
    for slug, title, days_ago, excerpt, content, categories, tags in POSTS:
        if slug in existing:
            continue
        data = PostCreate(
            title=title,
            slug=slug,
            excerpt=excerpt,
            content=content,
            categories=categories,
            tags=tags,
            status="published",
            published_at=now - timedelta(days=days_ago),
        )
        await create_post(session, author=demo.principal(demo.admin), data=data)
        created.append(f"post {title}")
    return created
