"""The site's words in Jinja: one environment per language, its words without values folded in
when a template compiles, the others looked up as a page renders."""

from __future__ import annotations

import re
from collections.abc import Iterator

from jinja2 import Environment
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from services.formats import number, when
from services.language import DEFAULT, catalogue, current, language

# Whitespace in a {% trans %} block, as Jinja's trimmed policy folds it into the message id.
TRIMMED = re.compile(r"\s*\n\s*")


class Folded(Extension):
    """Words known when a template compiles are translated then, into the language of its
    environment: `_("…")` and `{% trans %}…{% endtrans %}` without values become text in the
    compiled template, so a page pays for a lookup only where a value goes into its words.
    Folded words are escaped like any other text (Jinja's own calls would trust them)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        words = catalogue(getattr(self.environment, "words_language", DEFAULT))
        tokens = list(stream)
        at = 0
        while at < len(tokens):
            token = tokens[at]
            kinds = [t.type for t in tokens[at : at + 4]]
            if token.test("name:_") and kinds == ["name", "lparen", "string", "rparen"]:
                said = words.gettext(tokens[at + 2].value).replace("%%", "%")
                yield Token(token.lineno, "string", said)
                at += 4
                continue
            block = tokens[at : at + 7]
            if (
                len(block) == 7
                and [t.type for t in block] == [*BLOCK, "data", *BLOCK]
                and block[1].test("name:trans")
                and block[5].test("name:endtrans")
            ):
                message = TRIMMED.sub(" ", block[3].value.strip()).replace("%", "%%")
                yield Token(token.lineno, "data", words.gettext(message).replace("%%", "%"))
                at += 7
                continue
            yield token
            at += 1


BLOCK = ("block_begin", "name", "block_end")


def install(env: Environment, code: str = DEFAULT) -> None:
    """Jinja's i18n extension on `env`, for pages in `code`: `_()`, `ngettext()` and
    `{% trans %}` (whitespace trimmed), folded when they hold no value and otherwise looked up in
    the current language as they render; plus the `when` and `number` filters."""
    env.extend(words_language=code)
    env.add_extension(Folded)
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: catalogue(current.get()).gettext(message),
        ngettext=lambda one, many, num: catalogue(current.get()).ngettext(one, many, num),
        newstyle=True,
    )
    env.filters["when"] = when
    env.filters["number"] = number
    env.globals["language"] = language
