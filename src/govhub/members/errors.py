"""The members block's errors, each with a fixed HTTP status."""

from __future__ import annotations

from govhub.kit.errors import Conflict, Forbidden, GovhubError, NotFound


class InvalidApplication(GovhubError):
    """An application that cannot be taken; `field_errors` names each wrong field."""

    status = 422
    slug = "invalid-application"
    title = "Invalid application"


class InvalidDecision(GovhubError):
    """A rejection, suspension or reinstatement without a usable reason."""

    status = 422
    slug = "invalid-decision"
    title = "A reason is needed"


class ApplicationNotFound(NotFound):
    slug = "application-not-found"
    title = "No such application"


class ApplicationDecided(Conflict):
    slug = "application-decided"
    title = "The application has already been decided"


class NoDirectorToConfirm(Conflict):
    slug = "no-director-to-confirm"
    title = "Nobody can confirm the applicant"


class TooManyApplications(Conflict):
    slug = "too-many-applications"
    title = "Too many applications waiting"


class MemberExists(Conflict):
    slug = "member-exists"
    title = "Already a member"


class MemberNotFound(NotFound):
    slug = "member-not-found"
    title = "No such member"


class SubsystemNotFound(NotFound):
    slug = "subsystem-not-found"
    title = "No such subsystem"


class MemberStatusUnchanged(Conflict):
    slug = "member-status-unchanged"
    title = "The member is already in that state"


class NotPlatformAdmin(Forbidden):
    slug = "not-platform-admin"
    title = "Only platform administrators can do this"


class PlatformAdminNotFound(NotFound):
    slug = "platform-admin-not-found"
    title = "Not a platform administrator"


class InvalidService(GovhubError):
    """A service registration or change that cannot be taken; `field_errors` names each wrong field."""

    status = 422
    slug = "invalid-service"
    title = "Invalid service"


class ServiceNotFound(NotFound):
    slug = "service-not-found"
    title = "No such service"


class ServiceExists(Conflict):
    slug = "service-exists"
    title = "The subsystem already has a service with that code"


class InvalidAccessRight(GovhubError):
    status = 422
    slug = "invalid-access-right"
    title = "Invalid access right"


class AccessRightExists(Conflict):
    slug = "access-right-exists"
    title = "That access right is already granted"


class AccessRightNotFound(NotFound):
    slug = "access-right-not-found"
    title = "No such access right"


class NotMemberAdmin(Forbidden):
    slug = "not-member-admin"
    title = "Only member administrators can do this"


class InvalidMemberClass(GovhubError):
    """A member class that cannot be registered for an instance (malformed, govhub's own instance, or an
    organisation kind identity does not know)."""

    status = 422
    slug = "invalid-member-class"
    title = "Invalid member class"
