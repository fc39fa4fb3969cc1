"""Settings for the intake load test (bench/servicedesk.py): the project's settings with the
anonymous and per-key submission limits raised. Those limits stop one address or one key from
flooding the desk; a load test from a single loopback address would trip them at once."""

from dangjian.config.settings import *  # noqa: F403

DANGJIAN = {
    **DANGJIAN,  # noqa: F405
    "ANONYMOUS_SUBMISSIONS": 10**9,
    "ANONYMOUS_SUBMISSIONS_SITE": 10**9,
    "API_POSTS_PER_MINUTE": 10**9,
}
