"""The Content-Security-Policy middleware, with the one exception the admin needs."""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts

#: django-simple-history's history list, in the admin, sets a style attribute. Style
#: attributes run no script; <style> elements and scripts stay refused there too.
ADMIN_POLICY = {"style-src-attr": [UNSAFE_INLINE]}


class SiteCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith("/admin/"):
            parts.update = {**(parts.update or {}), **ADMIN_POLICY}
        return parts
