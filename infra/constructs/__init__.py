"""Secure-default building blocks every system's stacks reuse.

:class:`SecureBucket` is an S3 bucket that cannot be made public, plaintext or
unlogged by accident; :class:`AlarmTopic` is an encrypted, TLS-only SNS topic
that owns the alarms sent to it; :func:`add_nag_checks` plugs cdk-nag's
AwsSolutions pack into an app and :func:`acknowledge` records why one of its
findings does not apply (it refuses an acknowledgement without a reason).
"""

from infra.constructs.alarms import AlarmTopic
from infra.constructs.nag import acknowledge, add_nag_checks
from infra.constructs.secure_bucket import SecureBucket

__all__ = ["AlarmTopic", "SecureBucket", "acknowledge", "add_nag_checks"]
