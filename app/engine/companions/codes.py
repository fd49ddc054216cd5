"""The finding codes of companion documents, each defined once."""

from __future__ import annotations

# The service role's ARN is not whole: the trust policies that must name it are not given.
TRUSTED_ROLE_UNKNOWN = "COMPANION_TRUSTED_ROLE_UNKNOWN"
# A role's ARN is not whole: its trust policy is given, but whose it is is not known.
ROLE_UNKNOWN = "COMPANION_ROLE_UNKNOWN"
# The account of a role (or of the pipeline) is not known: whether the role is in another
# account, and so needs the artifact bucket and key policies, cannot be told.
ROLE_ACCOUNT_UNKNOWN = "COMPANION_ROLE_ACCOUNT_UNKNOWN"
# A Region where actions run has no artifact store.
STORE_MISSING = "COMPANION_STORE_MISSING"
# A role of another account uses an artifact store without a customer managed key.
CROSS_ACCOUNT_STORE_WITHOUT_KEY = "CROSS_ACCOUNT_STORE_WITHOUT_KEY"
# A store used across accounts names its key by alias or bare key ID, not by key ARN.
CROSS_ACCOUNT_KEY_NOT_ARN = "CROSS_ACCOUNT_KEY_NOT_ARN"
# The resource a profile companion is for is not known (a value known only at run time, say).
TARGET_UNKNOWN = "COMPANION_TARGET_UNKNOWN"
# Whether a profile companion's resource is in another account than its role is not known.
TARGET_ACCOUNT_UNKNOWN = "COMPANION_TARGET_ACCOUNT_UNKNOWN"
# A profile companion's trigger depends on a value not known before run time.
UNRESOLVED_TRIGGER = "COMPANION_UNRESOLVED_TRIGGER"
