"""Where API keys sit: a key is its user's own record (see dangjian.core.access)."""

from dangjian.api.models import ApiKey
from dangjian.core.access import Rule, register

register(ApiKey, Rule(user="user_id"))
