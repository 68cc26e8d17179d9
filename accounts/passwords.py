"""Password rules beyond Django's own: an offline breached-password list (a bundled file,
accounts/data/README.md), also matched once the digits and symbols people add to a common
word ("baseball2026!!") are taken off."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

BREACHED_LIST = Path(__file__).resolve().parent / "data" / "breached-passwords.txt.gz"
# Words anyone who saw the demo or the product knows: never a real account's password.
PROJECT_WORDS = frozenset({"tsunagu", "tsunagu-demo", "tsunagu-demo-2026", "hikikomori"})
# What people put before or after a common word to pass a length rule.
_PADDING = re.compile(r"^[\d\W_]+|[\d\W_]+$")
SHORTEST_CORE = 4


class BreachedPasswordValidator(CommonPasswordValidator):
    def __init__(self, password_list_path: Path | str = BREACHED_LIST) -> None:
        super().__init__(password_list_path)
        self.passwords = self.passwords | PROJECT_WORDS

    def validate(self, password: str, user: Any = None) -> None:
        typed = password.lower().strip()
        core = _PADDING.sub("", typed)
        if typed in self.passwords or (len(core) >= SHORTEST_CORE and core in self.passwords):
            raise ValidationError(self.get_error_message(), code="password_too_common")

    def get_error_message(self) -> str:
        return _(
            "このパスワードは流出したパスワードの一覧にあるか、それによく似ています。"
            "推測されにくいものにしてください。"
        )

    def get_help_text(self) -> str:
        return _(
            "流出したパスワードの一覧にあるもの（とそれに数字や記号を足しただけのもの）は使えません。"
        )
