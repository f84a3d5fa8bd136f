"""The evidence pages, one module per part of the work: uploads, the leads' queue,
self-certification, policy acknowledgement and completion certificates."""

from . import certificates, policy, review, self_certification, uploads  # noqa: F401
