"""What the menus and buttons on every page may offer: the same rules as the pages themselves
(a link shown is a link allowed). Each right is read on first use only, so a page that does
not show the entry does not pay its query."""

from typing import Any

from django.utils.functional import cached_property

from dangjian.core.actors import Actor


class Menu:
    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    @cached_property
    def imports(self) -> list[str]:
        """The keys of the imports the actor may use (core.importing), in loading order."""
        from dangjian.core.importing import offered

        return [importer.key for importer in offered(actor=self.actor)]

    @cached_property
    def may_import(self) -> bool:
        """Whether the member import is offered (roster button and the members' subnav)."""
        return "members" in self.imports

    @cached_property
    def may_administer(self) -> bool:
        """Staff accounts and their roles (accounts.views.user_list: whoever may give roles)."""
        from dangjian.accounts.roles import GRANT

        return self.actor.scope.can(GRANT)

    @cached_property
    def may_configure_platform(self) -> bool:
        """The configuration page (accounts.views.settings_page): the platform admin."""
        from dangjian.accounts.configuration import may_configure_platform

        return may_configure_platform(actor=self.actor)

    @cached_property
    def may_edit_phrases(self) -> bool:
        """The quick-phrase lists (phrases.views.manage: a district's or street's admins)."""
        from dangjian.phrases.selectors import may_edit

        return may_edit(actor=self.actor)

    @cached_property
    def unread(self) -> int:
        """Notices not read yet (the header's badge; from the cache, see core.notifications)."""
        from dangjian.core.notifications import unread_count

        return unread_count(actor=self.actor)

    @cached_property
    def may_report(self) -> bool:
        from dangjian.membership.mobile.selectors import may_report

        return may_report(actor=self.actor)


def menu(request: Any) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    return {"menu": Menu(actor)} if actor is not None else {}
