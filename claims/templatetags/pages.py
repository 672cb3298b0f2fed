"""Small formatting filters of the public pages."""

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def domain(url: str) -> str:
    """The host a source URL points at, without `www.`: what a reader checks before clicking."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


@register.filter
def percent_of(part: int, whole: int) -> float:
    """`part` as a share of `whole` in percent, for SVG lengths drawn to scale."""
    return 0 if not whole else round(100 * part / whole, 3)
