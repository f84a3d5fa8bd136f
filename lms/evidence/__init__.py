"""Evidence: external certificates and their verification, Directors' self-certification,
policy acknowledgement and the completion certificates anyone can verify."""

from flask import Blueprint

from ..plan.compliance import PENDING_SOURCES
from .operations import pending_certificates

bp = Blueprint("evidence", __name__)

# Uploads awaiting a lead make their requirement "pending" in every report.
if pending_certificates not in PENDING_SOURCES:
    PENDING_SOURCES.append(pending_certificates)

from . import actions, personal_data, routes  # noqa: E402,F401
