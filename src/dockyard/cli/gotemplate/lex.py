"""The lexer of Go's ``text/template`` (``text/template/parse/lex.go``), item for item.

:func:`lex` turns a template into a list of :class:`Item`; lexing stops at the first
error, which becomes an ``ERROR`` item whose value is Go's message (``unclosed action``,
``bad number syntax: "3-"``, …). Positions are character offsets into the template.
"""

from __future__ import annotations

from dockyard.cli.gotemplate.strconv import go_quote

__all__ = ["KEYWORDS", "Item", "lex"]

# item types
ERROR, BOOL, CHAR, CHAR_CONSTANT, COMPLEX, ASSIGN, DECLARE, EOF, FIELD, IDENTIFIER = range(10)
LEFT_DELIM, LEFT_PAREN, NUMBER, PIPE, RAW_STRING, RIGHT_DELIM, RIGHT_PAREN = range(10, 17)
SPACE, STRING, TEXT, VARIABLE, KEYWORD = range(17, 22)
# keywords (> KEYWORD)
BLOCK, BREAK, CONTINUE, DOT, DEFINE, ELSE, END, IF, NIL, RANGE, TEMPLATE, WITH = range(22, 34)

KEYWORDS = {
    ".": DOT, "block": BLOCK, "break": BREAK, "continue": CONTINUE, "define": DEFINE,
    "else": ELSE, "end": END, "if": IF, "range": RANGE, "nil": NIL, "template": TEMPLATE,
    "with": WITH,
}
_SPACE = " \t\r\n"
_TERMINATORS = frozenset(" \t\r\n.,|:)(")
_DIGITS_OR_EOF = frozenset(("", *"0123456789"))


class Item:
    """A lexical item: type, position, text and line (1-based)."""

    __slots__ = ("line", "pos", "typ", "val")

    def __init__(self, typ: int, pos: int, val: str, line: int) -> None:
        self.typ, self.pos, self.val, self.line = typ, pos, val, line

    def __str__(self) -> str:
        if self.typ == EOF:
            return "EOF"
        if self.typ == ERROR:
            return self.val
        if self.typ > KEYWORD:
            return f"<{self.val}>"
        if len(self.val.encode()) > 10:
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


def _alnum(c: str) -> bool:
    return c == "_" or c.isalpha() or c.isdecimal()


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = self.start = 0
        self.items: list[Item] = []
        self.paren_depth = 0

    def line_at(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def emit(self, typ: int) -> None:
        self.items.append(Item(typ, self.start, self.text[self.start : self.pos],
                               self.line_at(self.start)))
        self.start = self.pos

    def error(self, msg: str) -> bool:
        self.items.append(Item(ERROR, self.start, msg, self.line_at(self.start)))
        return False

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def at_right_delim(self) -> tuple[bool, bool]:
        rest = self.text[self.pos : self.pos + 4]
        if len(rest) >= 4 and rest[0] in _SPACE and rest[1:] == "-}}":
            return True, True
        return rest.startswith("}}"), False

    def at_terminator(self) -> bool:
        c = self.peek()
        return c == "" or c in _TERMINATORS or self.text.startswith("}}", self.pos)

    def run(self) -> list[Item]:
        ok = True
        while ok:
            ok = self.lex_text()
        return self.items

    def lex_text(self) -> bool:
        text = self.text
        x = text.find("{{", self.pos)
        if x < 0:
            self.pos = len(text)
            if self.pos > self.start:
                self.emit(TEXT)
            self.emit(EOF)
            return False
        self.pos = x
        if x > self.start:
            trim = 0
            after = text[x + 2 : x + 4]
            if len(after) == 2 and after[0] == "-" and after[1] in _SPACE:
                trim = (x - self.start) - len(text[self.start : x].rstrip(_SPACE))
            self.pos = x - trim
            if self.pos > self.start:
                self.emit(TEXT)
            self.pos = self.start = x
        return self.lex_left_delim()

    def lex_left_delim(self) -> bool:
        text = self.text
        self.pos += 2
        after = text[self.pos : self.pos + 2]
        trim = len(after) == 2 and after[0] == "-" and after[1] in _SPACE
        marker = 2 if trim else 0
        if text.startswith("/*", self.pos + marker):
            self.pos += marker
            self.start = self.pos
            return self.lex_comment()
        self.emit(LEFT_DELIM)
        self.pos += marker
        self.start = self.pos
        self.paren_depth = 0
        return self.lex_inside_action()

    def lex_comment(self) -> bool:
        self.pos += 2
        x = self.text.find("*/", self.pos)
        if x < 0:
            return self.error("unclosed comment")
        self.pos = x + 2
        delim, trim = self.at_right_delim()
        if not delim:
            return self.error("comment ends before closing delimiter")
        self.pos += (2 if trim else 0) + 2
        if trim:
            self.pos += len(self.text) - self.pos - len(self.text[self.pos :].lstrip(_SPACE))
        self.start = self.pos
        return True

    def lex_right_delim(self) -> None:
        _, trim = self.at_right_delim()
        if trim:
            self.pos += 2
            self.start = self.pos
        self.pos += 2
        self.emit(RIGHT_DELIM)
        if trim:
            self.pos += len(self.text) - self.pos - len(self.text[self.pos :].lstrip(_SPACE))
            self.start = self.pos

    def lex_inside_action(self) -> bool:
        text = self.text
        while True:
            delim, _ = self.at_right_delim()
            if delim:
                if self.paren_depth == 0:
                    self.lex_right_delim()
                    return True
                return self.error("unclosed left paren")
            c = self.peek()
            if c == "":
                return self.error("unclosed action")
            self.pos += 1
            if c in _SPACE:
                self.pos -= 1
                self.lex_space()
            elif c == "=":
                self.emit(ASSIGN)
            elif c == ":":
                if self.peek() != "=":
                    return self.error("expected :=")
                self.pos += 1
                self.emit(DECLARE)
            elif c == "|":
                self.emit(PIPE)
            elif c in "\"`'":
                if not self.lex_quote(c):
                    return False
            elif c == "$":
                if not self.lex_variable():
                    return False
            elif c == "." and text[self.pos : self.pos + 1] not in _DIGITS_OR_EOF:
                if not self.lex_field_or_variable(FIELD):
                    return False
            elif c in "+-." or "0" <= c <= "9":
                self.pos -= 1
                if not self.lex_number():
                    return False
            elif _alnum(c):
                self.pos -= 1
                if not self.lex_identifier():
                    return False
            elif c == "(":
                self.emit(LEFT_PAREN)
                self.paren_depth += 1
            elif c == ")":
                self.paren_depth -= 1
                if self.paren_depth < 0:
                    return self.error("unexpected right paren")
                self.emit(RIGHT_PAREN)
            elif c <= "\x7f" and c.isprintable():
                self.emit(CHAR)
            else:
                return self.error(f"unrecognized character in action: {_unicode_name(c)}")

    def lex_space(self) -> None:
        n = 0
        while self.peek() in _SPACE and self.peek() != "":
            self.pos += 1
            n += 1
        if self.text.startswith("-}}", self.pos):
            self.pos -= 1
            if n == 1:
                return  # the trim marker: lex_inside_action sees the right delimiter
        self.emit(SPACE)

    def lex_identifier(self) -> bool:
        while _alnum(self.peek()) and self.peek() != "":
            self.pos += 1
        word = self.text[self.start : self.pos]
        if not self.at_terminator():
            return self.error(f"bad character {_unicode_name(self.peek())}")
        if KEYWORDS.get(word, 0) > KEYWORD:
            self.emit(KEYWORDS[word])
        elif word in ("true", "false"):
            self.emit(BOOL)
        else:
            self.emit(IDENTIFIER)
        return True

    def lex_variable(self) -> bool:
        if self.at_terminator():
            self.emit(VARIABLE)
            return True
        return self.lex_field_or_variable(VARIABLE)

    def lex_field_or_variable(self, typ: int) -> bool:
        if self.at_terminator():
            self.emit(VARIABLE if typ == VARIABLE else DOT)
            return True
        while _alnum(self.peek()) and self.peek() != "":
            self.pos += 1
        if not self.at_terminator():
            return self.error(f"bad character {_unicode_name(self.peek())}")
        self.emit(typ)
        return True

    def lex_quote(self, quote: str) -> bool:
        text = self.text
        while True:
            c = text[self.pos : self.pos + 1]
            self.pos += 1
            if quote != "`" and c == "\\":
                c = text[self.pos : self.pos + 1]
                self.pos += 1
                if c not in ("", "\n"):
                    continue
            if c == "" or (c == "\n" and quote != "`"):
                return self.error({'"': "unterminated quoted string",
                                   "'": "unterminated character constant",
                                   "`": "unterminated raw quoted string"}[quote])
            if c == quote:
                break
        self.emit({'"': STRING, "'": CHAR_CONSTANT, "`": RAW_STRING}[quote])
        return True

    def lex_number(self) -> bool:
        if not self.scan_number():
            return self.error(f"bad number syntax: {_q(self.text[self.start : self.pos])}")
        if self.peek() in ("+", "-") and self.peek() != "":
            if not self.scan_number() or self.text[self.pos - 1] != "i":
                return self.error(f"bad number syntax: {_q(self.text[self.start : self.pos])}")
            self.emit(COMPLEX)
            return True
        self.emit(NUMBER)
        return True

    def accept(self, valid: str) -> bool:
        c = self.peek()
        if c != "" and c in valid:
            self.pos += 1
            return True
        return False

    def accept_run(self, valid: str) -> None:
        while self.accept(valid):
            pass

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if _alnum(self.peek()) and self.peek() != "":
            self.pos += 1
            return False
        return True


def _q(text: str) -> str:
    return go_quote(text)


def _unicode_name(c: str) -> str:
    """Go's ``%#U``: ``U+0041 'A'``."""
    if c == "":
        return "U+FFFFFFFF"  # Go's eof rune, -1, printed as %#U
    code = f"U+{ord(c):04X}"
    return f"{code} '{c}'" if c.isprintable() else code


def lex(text: str) -> list[Item]:
    """Lex a template (delimiters ``{{`` and ``}}``), ending with EOF or an error item."""
    return _Lexer(text).run()
