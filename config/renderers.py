"""The API's JSON renderer (`REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"]`).

A module of its own: DRF imports it while it imports its views, which `config.api` imports.
"""

import orjson
from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, its bytes written by orjson: a page of claims cost a millisecond
    to encode with the standard library. The same document: compact, UTF-8, U+2028 and U+2029
    escaped, dates through DRF's encoder. An indented rendering (`Accept: ...; indent=2`), or
    anything orjson cannot write (an integer past 64 bits), takes DRF's own way."""

    _ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def render(self, data, accepted_media_type=None, renderer_context=None):
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if data is None or indent is not None or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=self._default, option=self._ORJSON_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: these two end a line in JavaScript, and break a page inlining the JSON.
        return rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")

    def _default(self, value):
        return self.encoder_class().default(value)
