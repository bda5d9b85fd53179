//! The small part of Python's expression grammar that feedparser's test
//! documents use in their `Expect:` lines: literals, names, `x.attr`,
//! `x['key']`, `x[0]`, calls, `not`/`and`/`or`, and (chained) comparisons.
//! Only parsing lives here; what an expression means for feedfold is the
//! conformance test's business.

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A string literal, escapes resolved.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// `True` / `False`.
    Bool(bool),
    /// `None`.
    NoneLit,
    /// `(a, b, …)` or `[a, b, …]`.
    Tuple(Vec<Expr>),
    /// `{…}` (only the empty one is read).
    Dict,
    /// A bare name.
    Name(String),
    /// `x.name`.
    Attr(Box<Expr>, String),
    /// `x[i]`.
    Index(Box<Expr>, Box<Expr>),
    /// `f(args)`.
    Call(Box<Expr>, Vec<Expr>),
    /// `not x`.
    Not(Box<Expr>),
    /// `a and b and …`.
    And(Vec<Expr>),
    /// `a or b or …`.
    Or(Vec<Expr>),
    /// `a op b op c …`: operands and the operators between them.
    Compare(Vec<Expr>, Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    Int(i64),
    Float(f64),
    Ident(String),
    Op(String),
}

/// Parses `source`; `None` for anything outside the subset.
pub fn parse(source: &str) -> Option<Expr> {
    let tokens = tokenize(source)?;
    let mut parser = Parser { tokens, at: 0 };
    let expr = parser.or()?;
    (parser.at == parser.tokens.len()).then_some(expr)
}

fn tokenize(source: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let (text, next) = string(&chars, i)?;
            tokens.push(Token::Str(text));
            i = next;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            tokens.push(if text.contains('.') {
                Token::Float(text.parse().ok()?)
            } else {
                Token::Int(text.parse().ok()?)
            });
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // String prefixes: u'…', b'…', r'…' (raw strings do not occur).
            if matches!(word.as_str(), "u" | "b")
                && i < chars.len()
                && matches!(chars[i], '\'' | '"')
            {
                let (text, next) = string(&chars, i)?;
                tokens.push(Token::Str(text));
                i = next;
            } else {
                tokens.push(Token::Ident(word));
            }
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if matches!(two.as_str(), "==" | "!=" | ">=" | "<=") {
                tokens.push(Token::Op(two));
                i += 2;
            } else if "()[]{}.,<>:".contains(c) {
                tokens.push(Token::Op(c.to_string()));
                i += 1;
            } else {
                return None;
            }
        }
    }
    Some(tokens)
}

/// A quoted string starting at `start`: its value and the index after it.
fn string(chars: &[char], start: usize) -> Option<(String, usize)> {
    let quote = chars[start];
    let mut out = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        let c = chars[i];
        if c == quote {
            return Some((out, i + 1));
        }
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let escape = *chars.get(i + 1)?;
        i += 2;
        let hex = |len: usize, i: &mut usize| -> Option<char> {
            let digits: String = chars.get(*i..*i + len)?.iter().collect();
            *i += len;
            char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
        };
        match escape {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'x' => out.push(hex(2, &mut i)?),
            'u' => out.push(hex(4, &mut i)?),
            'U' => out.push(hex(8, &mut i)?),
            '\\' | '\'' | '"' => out.push(escape),
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    None
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.peek() == Some(&Token::Op(op.to_owned())) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.peek() == Some(&Token::Ident(word.to_owned())) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Option<Expr> {
        let mut parts = vec![self.and()?];
        while self.eat_word("or") {
            parts.push(self.and()?);
        }
        Some(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Option<Expr> {
        let mut parts = vec![self.not()?];
        while self.eat_word("and") {
            parts.push(self.not()?);
        }
        Some(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Option<Expr> {
        if self.eat_word("not") {
            return Some(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Option<Expr> {
        let mut operands = vec![self.postfix()?];
        let mut ops = Vec::new();
        loop {
            let op = match self.peek() {
                Some(Token::Op(op))
                    if matches!(op.as_str(), "==" | "!=" | "<" | ">" | "<=" | ">=") =>
                {
                    op.clone()
                }
                Some(Token::Ident(word)) if word == "in" => "in".to_owned(),
                Some(Token::Ident(word)) if word == "is" => {
                    self.at += 1;
                    if self.eat_word("not") {
                        ops.push("is not".to_owned());
                        operands.push(self.postfix()?);
                        continue;
                    }
                    self.at -= 1;
                    "is".to_owned()
                }
                _ => break,
            };
            self.at += 1;
            ops.push(op);
            operands.push(self.postfix()?);
        }
        Some(if ops.is_empty() {
            operands.remove(0)
        } else {
            Expr::Compare(operands, ops)
        })
    }

    fn postfix(&mut self) -> Option<Expr> {
        let mut expr = self.atom()?;
        loop {
            if self.eat_op(".") {
                match self.tokens.get(self.at).cloned() {
                    Some(Token::Ident(name)) => {
                        self.at += 1;
                        expr = Expr::Attr(Box::new(expr), name);
                    }
                    _ => return None,
                }
            } else if self.eat_op("[") {
                let index = self.or()?;
                if !self.eat_op("]") {
                    return None;
                }
                expr = Expr::Index(Box::new(expr), Box::new(index));
            } else if self.eat_op("(") {
                let args = self.list(")")?;
                expr = Expr::Call(Box::new(expr), args);
            } else {
                return Some(expr);
            }
        }
    }

    /// Comma-separated expressions up to `close` (consumed).
    fn list(&mut self, close: &str) -> Option<Vec<Expr>> {
        let mut items = Vec::new();
        loop {
            if self.eat_op(close) {
                return Some(items);
            }
            items.push(self.or()?);
            if !self.eat_op(",") && !self.eat_op(close) {
                return None;
            } else if self.tokens.get(self.at - 1) == Some(&Token::Op(close.to_owned())) {
                return Some(items);
            }
        }
    }

    fn atom(&mut self) -> Option<Expr> {
        let token = self.tokens.get(self.at).cloned()?;
        self.at += 1;
        Some(match token {
            Token::Str(mut text) => {
                // Adjacent literals concatenate, as in Python.
                while let Some(Token::Str(more)) = self.peek().cloned() {
                    text.push_str(&more);
                    self.at += 1;
                }
                Expr::Str(text)
            }
            Token::Int(n) => Expr::Int(n),
            Token::Float(f) => Expr::Float(f),
            Token::Ident(word) => match word.as_str() {
                "True" => Expr::Bool(true),
                "False" => Expr::Bool(false),
                "None" => Expr::NoneLit,
                _ => Expr::Name(word),
            },
            Token::Op(op) if op == "(" => {
                let mut items = self.list(")")?;
                // `(x)` is x; `(x,)` and `(x, y)` are tuples.
                if items.len() == 1 && self.tokens.get(self.at - 2) != Some(&Token::Op(",".into()))
                {
                    items.remove(0)
                } else {
                    Expr::Tuple(items)
                }
            }
            Token::Op(op) if op == "[" => Expr::Tuple(self.list("]")?),
            Token::Op(op) if op == "{" => {
                if !self.eat_op("}") {
                    return None;
                }
                Expr::Dict
            }
            Token::Op(_) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shapes_feedparser_uses() {
        let e = parse(r"not bozo and entries[0]['title'] == 'A\xe4' and entries[0].link == entries[1].link == u'x'")
            .unwrap();
        let Expr::And(parts) = e else { panic!("{e:?}") };
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], Expr::Not(Box::new(Expr::Name("bozo".into()))));
        let Expr::Compare(operands, ops) = &parts[1] else {
            panic!()
        };
        assert_eq!(ops, &["=="]);
        assert_eq!(operands[1], Expr::Str("Aä".into()));
        let Expr::Compare(operands, _) = &parts[2] else {
            panic!()
        };
        assert_eq!(operands.len(), 3);
        let t = parse("x == (2003, 12, 31)").unwrap();
        let Expr::Compare(operands, _) = t else {
            panic!()
        };
        assert_eq!(
            operands[1],
            Expr::Tuple(vec![Expr::Int(2003), Expr::Int(12), Expr::Int(31)])
        );
        assert_eq!(parse("(x)").unwrap(), Expr::Name("x".into()));
        assert!(parse("x === y").is_none());
    }
}
