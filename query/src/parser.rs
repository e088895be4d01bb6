//! A recursive-descent parser for SeamQL. It never panics: every token access is bounded by
//! the `End` token, and every error names the line and column of the token it stopped at.

use crate::ast::{BinaryOp, ColumnRef, Diagnose, Expr, GroupKey, Item, Reference, Select, Slo, Statement, WindowWidth};
use crate::error::{Error, Result};
use crate::lexer::{tokenize, Tok, Token};
use crate::time::{now, parse_time, TIME_FORMS};
use seamdb_storage::model::TraceId;

/// Parses one SeamQL statement (an optional trailing `;` is allowed).
pub fn parse(text: &str) -> Result<Statement> {
    parse_at(text, now())
}

/// [`parse`], with `now()` the instant `now_us` (µs since the epoch) instead of this one:
/// the shards of one query must all mean the same instant.
pub fn parse_at(text: &str, now_us: i64) -> Result<Statement> {
    let tokens = tokenize(text)?;
    let mut p = Parser { text, tokens, pos: 0, depth: 0, literal: None, now: now_us };
    let statement = p.statement()?;
    p.eat_sym(";");
    p.expect_end()?;
    Ok(statement)
}

/// Parses a stored SLO definition: the text after `CREATE SLO name AS`.
pub fn parse_slo(name: &str, text: &str) -> Result<Slo> {
    let mut p = Parser { text, tokens: tokenize(text)?, pos: 0, depth: 0, literal: None, now: now() };
    let slo = p.slo_body(name.to_owned())?;
    p.eat_sym(";");
    p.expect_end()?;
    Ok(slo)
}

/// A time given outside SeamQL, on the command line (`seam retain --before`): a time or date
/// as [`parse_time`] reads it, unquoted, or a SeamQL time expression (`now() - 30d`,
/// `'2026-01-05' + 12h`), so that a time means the same on the command line as in a query.
pub fn parse_time_arg(text: &str) -> Result<i64> {
    if let Some(t) = parse_time(text) {
        return Ok(t);
    }
    let mut p = Parser { text, tokens: tokenize(text)?, pos: 0, depth: 0, literal: Some(Literal::Time), now: now() };
    let at = p.peek().clone();
    let expr = p.additive()?;
    p.expect_end()?;
    match expr {
        Expr::Time(t) => Ok(t),
        _ => Err(Error::Parse {
            line: at.line,
            column: at.column,
            message: format!("{text:?} is not a time: write {TIME_FORMS}, or now(), either plus or minus a duration"),
        }),
    }
}

/// Nesting deeper than this is refused, so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    /// What a literal means in the operand being read: a string compared with `time` is a
    /// time and one compared with `trace_id` a trace ID, resolved here, where the error can
    /// name its line and column, so that no such comparison runs with a string.
    literal: Option<Literal>,
    /// What `now()` means, µs since the epoch.
    now: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Literal {
    Time,
    TraceId,
}

/// What literals compared with `e` mean: `time` and `trace_id` (of any component) are
/// columns of every component (SPEC §2).
fn literal_kind(e: &Expr) -> Option<Literal> {
    match e {
        Expr::Column(c) if c.field == "time" => Some(Literal::Time),
        Expr::Column(c) if c.field == "trace_id" => Some(Literal::TraceId),
        _ => None,
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn error<T>(&self, expected: &str) -> Result<T> {
        let t = self.peek();
        let found = match &t.tok {
            Tok::Ident(s) => format!("{s:?}"),
            Tok::Number(s) | Tok::Duration(s) => s.clone(),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Sym(s) => format!("{s:?}"),
            Tok::End => "the end of the query".to_string(),
        };
        Err(Error::Parse { line: t.line, column: t.column, message: format!("expected {expected}, found {found}") })
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let hit = self.is_keyword(kw);
        if hit {
            self.next();
        }
        hit
    }

    fn keyword(&mut self, kw: &str) -> Result<()> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            self.error(&kw.to_ascii_uppercase())
        }
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        let hit = matches!(&self.peek().tok, Tok::Sym(s) if *s == sym);
        if hit {
            self.next();
        }
        hit
    }

    /// Takes the next token if `accept` turns it into a value; otherwise stays put.
    fn take<T>(&mut self, accept: impl FnOnce(&Tok) -> Option<T>) -> Option<T> {
        let value = accept(&self.peek().tok);
        if value.is_some() {
            self.next();
        }
        value
    }

    fn sym(&mut self, sym: &str) -> Result<()> {
        if self.eat_sym(sym) {
            Ok(())
        } else {
            self.error(&format!("{sym:?}"))
        }
    }

    /// The end of the query; a clause keyword here is one written out of SQL's order.
    fn expect_end(&self) -> Result<()> {
        match &self.peek().tok {
            Tok::End => Ok(()),
            Tok::Ident(word) if CLAUSES.iter().any(|c| word.eq_ignore_ascii_case(c)) => {
                let t = self.peek();
                Err(Error::Parse {
                    line: t.line,
                    column: t.column,
                    message: format!("{} is out of place: clauses come in the order {CLAUSE_ORDER}", word.to_uppercase()),
                })
            }
            _ => self.error("the end of the query"),
        }
    }

    /// A name that is not a reserved word.
    fn ident(&mut self, what: &str) -> Result<String> {
        match &self.peek().tok {
            Tok::Ident(s) if !RESERVED.iter().any(|k| s.eq_ignore_ascii_case(k)) => {
                let s = s.clone();
                self.next();
                Ok(s)
            }
            _ => self.error(what),
        }
    }

    fn statement(&mut self) -> Result<Statement> {
        if self.eat_keyword("explain") {
            return Ok(Statement::Explain(Box::new(self.select()?)));
        }
        if self.eat_keyword("trace") {
            return match self.take(|t| match t {
                Tok::Str(id) | Tok::Number(id) => Some(id.clone()),
                _ => None,
            }) {
                Some(id) => Ok(Statement::Trace(id)),
                None => self.error("a trace ID in quotes"),
            };
        }
        if self.eat_keyword("show") {
            if self.eat_keyword("slos") {
                return Ok(Statement::ShowSlos);
            }
            if self.eat_keyword("components") {
                return Ok(Statement::ShowComponents);
            }
            return self.error("COMPONENTS or SLOS after SHOW");
        }
        if self.eat_keyword("create") {
            self.keyword("slo")?;
            let name = self.ident("an SLO name")?;
            self.keyword("as")?;
            return Ok(Statement::CreateSlo(Box::new(self.slo_body(name)?)));
        }
        if self.eat_keyword("drop") {
            self.keyword("slo")?;
            return Ok(Statement::DropSlo(self.ident("an SLO name")?));
        }
        if self.eat_keyword("check") {
            let name = if self.eat_keyword("slos") {
                None
            } else if self.eat_keyword("slo") {
                Some(self.ident("an SLO name")?)
            } else {
                return self.error("SLO name or SLOS after CHECK");
            };
            let as_of = if self.eat_keyword("as") {
                self.keyword("of")?;
                Some(self.time("AS OF")?)
            } else {
                None
            };
            return Ok(Statement::CheckSlo { name, as_of });
        }
        if self.eat_keyword("diagnose") {
            let query = self.select()?;
            self.keyword("at")?;
            let at = self.time("AT")?;
            let baseline = if self.eat_keyword("baseline") { Some(self.time("BASELINE")?) } else { None };
            return Ok(Statement::Diagnose(Box::new(Diagnose { query, at, baseline })));
        }
        if self.eat_keyword("describe") {
            return Ok(Statement::Describe(self.ident("a component name")?));
        }
        if self.is_keyword("select") {
            return Ok(Statement::Select(Box::new(self.select()?)));
        }
        self.error("SELECT, EXPLAIN, TRACE, SHOW, DESCRIBE, CREATE SLO, DROP SLO, CHECK or DIAGNOSE")
    }

    /// `SELECT … EXPECT condition [WHEN condition]`, and its text.
    fn slo_body(&mut self, name: String) -> Result<Slo> {
        let start = self.peek().start;
        let query = self.select()?;
        if !self.is_keyword("expect") {
            return match self.expect_end() {
                Ok(()) => self.error("EXPECT and the condition each window must meet"),
                Err(e) => Err(e),
            };
        }
        self.next();
        let expect = self.expr()?;
        let when = if self.eat_keyword("when") { Some(self.expr()?) } else { None };
        let end = self.tokens[self.pos.saturating_sub(1)].end.max(start);
        let text = self.text.get(start..end).unwrap_or("").to_owned();
        Ok(Slo { name, query, expect, when, text })
    }

    /// A time expression after `clause` (`AS OF`, `AT`, `BASELINE`).
    fn time(&mut self, clause: &str) -> Result<i64> {
        let at = self.peek().clone();
        match self.within(Some(Literal::Time), |p| p.additive())? {
            Expr::Time(t) => Ok(t),
            _ => Err(Error::Parse {
                line: at.line,
                column: at.column,
                message: format!("{clause} takes a time: {TIME_FORMS}, or now(), either plus or minus a duration"),
            }),
        }
    }

    fn select(&mut self) -> Result<Select> {
        self.keyword("select")?;
        let mut items = vec![self.item()?];
        while self.eat_sym(",") {
            items.push(self.item()?);
        }
        self.keyword("from")?;
        let from = self.ident("a component name")?;
        let mut joins = Vec::new();
        while self.eat_keyword("join") {
            joins.push(self.ident("a component name to join")?);
        }
        let reference = if self.eat_keyword("reference") { Some(self.reference()?) } else { None };
        let filter = if self.eat_keyword("where") { Some(self.expr()?) } else { None };
        let mut group_by = Vec::new();
        if self.eat_keyword("group") {
            self.keyword("by")?;
            group_by.push(self.group_key()?);
            while self.eat_sym(",") {
                group_by.push(self.group_key()?);
            }
        }
        let fill = !group_by.is_empty() && self.eat_keyword("fill");
        let having = if self.eat_keyword("having") { Some(self.expr()?) } else { None };
        let as_of = if self.eat_keyword("as") {
            self.keyword("of")?;
            Some(self.time("AS OF")?)
        } else {
            None
        };
        let mut order_by = Vec::new();
        if self.eat_keyword("order") {
            self.keyword("by")?;
            loop {
                let key = self.expr()?;
                let desc = self.eat_keyword("desc");
                if !desc {
                    self.eat_keyword("asc");
                }
                order_by.push((key, desc));
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let limit = if self.eat_keyword("limit") {
            match self.take(|t| if let Tok::Number(n) = t { n.parse::<u64>().ok() } else { None }) {
                Some(n) => Some(n),
                None => return self.error("a whole number after LIMIT"),
            }
        } else {
            None
        };
        Ok(Select { items, from, joins, reference, filter, group_by, fill, as_of, having, order_by, limit })
    }

    fn item(&mut self) -> Result<Item> {
        let start = self.peek().start;
        let expr = self.expr()?;
        let end = self.tokens[self.pos.saturating_sub(1)].end.max(start);
        let text = self.text.get(start..end).unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
        // `AS OF` belongs to the statement, not to an item.
        let alias = if self.is_keyword("as")
            && !matches!(&self.tokens.get(self.pos + 1).map(|t| &t.tok), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("of"))
        {
            self.next();
            Some(self.ident("a name after AS")?)
        } else {
            None
        };
        Ok(Item { expr, alias, text })
    }

    fn reference(&mut self) -> Result<Reference> {
        if self.eat_sym("(") {
            let component = self.ident("a component name")?;
            let filter = if self.eat_keyword("where") { Some(self.expr()?) } else { None };
            self.sym(")")?;
            Ok(Reference { component, filter })
        } else {
            Ok(Reference { component: self.ident("a component name or ( after REFERENCE")?, filter: None })
        }
    }

    fn group_key(&mut self) -> Result<GroupKey> {
        if self.is_keyword("window") && matches!(self.tokens.get(self.pos + 1).map(|t| &t.tok), Some(Tok::Sym("("))) {
            self.next();
            self.sym("(")?;
            let t = self.peek().clone();
            let Some(text) = self.take(|t| if let Tok::Duration(d) = t { Some(d.clone()) } else { None }) else {
                return self.error("a window width such as 15m, 1h, 7d, 1w, 1mo, 1q or 1y");
            };
            let at = |message: String| Error::Parse { line: t.line, column: t.column, message };
            let width = window_width(&text)
                .ok_or_else(|| at(format!("{text} is not a window width (a positive number with s, m, h, d, w, mo, q or y)")))?;
            let zone = if self.eat_sym(",") {
                let z = self.peek().clone();
                let Some(name) = self.take(|t| if let Tok::Str(s) = t { Some(s.clone()) } else { None }) else {
                    return self.error("a time zone name in quotes, such as 'Europe/Berlin'");
                };
                let bad = |message: String| Error::Parse { line: z.line, column: z.column, message };
                jiff::tz::TimeZone::get(&name)
                    .map_err(|_| bad(format!("'{name}' is not a time zone (an IANA name such as 'Europe/Berlin')")))?;
                if matches!(width, WindowWidth::Fixed(us) if us % 86_400_000_000 != 0) {
                    return Err(bad(format!("a time zone applies to windows of whole days, weeks, months, quarters or years, not {text}")));
                }
                Some(name)
            } else {
                None
            };
            self.sym(")")?;
            return Ok(GroupKey::Window { width, zone, text });
        }
        let start = self.peek().start;
        match self.expr()? {
            Expr::Column(c) => Ok(GroupKey::Column(c)),
            expr => {
                let end = self.tokens[self.pos.saturating_sub(1)].end.max(start);
                let text = self.text.get(start..end).unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
                Ok(GroupKey::Expr { expr, text })
            }
        }
    }

    /// Runs `f` with literals read as `literal` says.
    fn within<T>(&mut self, literal: Option<Literal>, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let outer = std::mem::replace(&mut self.literal, literal);
        let result = f(self);
        self.literal = outer;
        result
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_DEPTH {
            return self.error(&format!("at most {MAX_DEPTH} levels of nesting"));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// expr := or
    fn expr(&mut self) -> Result<Expr> {
        self.nested(|p| p.or())
    }

    fn or(&mut self) -> Result<Expr> {
        let mut lhs = self.and()?;
        while self.eat_keyword("or") {
            lhs = binary(BinaryOp::Or, lhs, self.and()?);
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Expr> {
        let mut lhs = self.not()?;
        while self.eat_keyword("and") {
            lhs = binary(BinaryOp::And, lhs, self.not()?);
        }
        Ok(lhs)
    }

    fn not(&mut self) -> Result<Expr> {
        if self.eat_keyword("not") {
            return self.nested(|p| Ok(Expr::Not(Box::new(p.not()?))));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr> {
        let start = self.pos;
        let lhs = self.additive()?;
        let kind = literal_kind(&lhs);
        if self.eat_keyword("is") {
            let negated = self.eat_keyword("not");
            if self.eat_keyword("nan") {
                return Ok(Expr::IsNan { expr: Box::new(lhs), negated });
            }
            if !self.eat_keyword("null") {
                return self.error("NULL or NAN");
            }
            return Ok(Expr::IsNull { expr: Box::new(lhs), negated });
        }
        let negated_in = self.is_keyword("not")
            && matches!(self.tokens.get(self.pos + 1).map(|t| &t.tok), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("in"));
        if negated_in {
            self.next();
        }
        if self.eat_keyword("in") {
            self.sym("(")?;
            let list = self.within(kind, |p| {
                let mut list = vec![p.expr()?];
                while p.eat_sym(",") {
                    list.push(p.expr()?);
                }
                Ok(list)
            })?;
            self.sym(")")?;
            return Ok(Expr::In { expr: Box::new(lhs), list, negated: negated_in });
        }
        let op = match &self.peek().tok {
            Tok::Sym("=") => BinaryOp::Eq,
            Tok::Sym("!=") | Tok::Sym("<>") => BinaryOp::Ne,
            Tok::Sym("<") => BinaryOp::Lt,
            Tok::Sym("<=") => BinaryOp::Le,
            Tok::Sym(">") => BinaryOp::Gt,
            Tok::Sym(">=") => BinaryOp::Ge,
            _ => return Ok(lhs),
        };
        self.next();
        if kind.is_some() {
            return Ok(binary(op, lhs, self.within(kind, |p| p.additive())?));
        }
        let rhs = self.additive()?;
        if let Some(kind) = literal_kind(&rhs) {
            // `'2026-01-05' <= time`: the left side is read again, now knowing what it is.
            let end = self.pos;
            self.pos = start;
            let lhs = self.within(Some(kind), |p| p.additive())?;
            self.pos = end;
            return Ok(binary(op, lhs, rhs));
        }
        Ok(binary(op, lhs, rhs))
    }

    fn additive(&mut self) -> Result<Expr> {
        let mut lhs = self.multiplicative()?;
        loop {
            let op = match &self.peek().tok {
                Tok::Sym("+") => BinaryOp::Add,
                Tok::Sym("-") => BinaryOp::Sub,
                _ => return Ok(lhs),
            };
            let at = self.next();
            lhs = match (op, lhs, self.multiplicative()?) {
                // A time plus or minus a duration is a time: `now() - 7d`, `'2026-01-05' + 12h`.
                (BinaryOp::Add, Expr::Time(t), Expr::Duration(d)) | (BinaryOp::Add, Expr::Duration(d), Expr::Time(t)) => {
                    Expr::Time(t.checked_add(d).ok_or_else(|| overflow(&at))?)
                }
                (BinaryOp::Sub, Expr::Time(t), Expr::Duration(d)) => Expr::Time(t.checked_sub(d).ok_or_else(|| overflow(&at))?),
                (op, lhs, rhs) => binary(op, lhs, rhs),
            };
        }
    }

    fn multiplicative(&mut self) -> Result<Expr> {
        let mut lhs = self.unary()?;
        loop {
            let op = match &self.peek().tok {
                Tok::Sym("*") => BinaryOp::Mul,
                Tok::Sym("/") => BinaryOp::Div,
                _ => return Ok(lhs),
            };
            self.next();
            lhs = binary(op, lhs, self.unary()?);
        }
    }

    fn unary(&mut self) -> Result<Expr> {
        if self.eat_sym("-") {
            return self.nested(|p| Ok(Expr::Neg(Box::new(p.unary()?))));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr> {
        let t = self.peek().clone();
        let (line, column) = (t.line, t.column);
        if !matches!(t.tok, Tok::End) {
            self.next();
        }
        match t.tok {
            Tok::Str(s) => self.string(s, line, column),
            Tok::Number(n) if self.literal == Some(Literal::TraceId) => self.string(n, line, column),
            Tok::Number(n) if self.literal == Some(Literal::Time) => {
                Err(Error::Parse { line, column, message: format!("{n} is not a time: write {TIME_FORMS}") })
            }
            Tok::Number(n) => number(&n).ok_or_else(|| Error::Parse { line, column, message: format!("{n} is not a number") }),
            Tok::Duration(d) => match duration_us(&d) {
                Some(us) => Ok(Expr::Duration(us)),
                None => {
                    Err(Error::Parse { line, column, message: format!("{d} is not a duration (a positive number with s, m, h, d or w)") })
                }
            },
            Tok::Sym("(") => {
                let e = self.expr()?;
                self.sym(")")?;
                Ok(e)
            }
            Tok::Ident(name) if name.eq_ignore_ascii_case("true") => Ok(Expr::Bool(true)),
            Tok::Ident(name) if name.eq_ignore_ascii_case("false") => Ok(Expr::Bool(false)),
            Tok::Ident(name) if name.eq_ignore_ascii_case("null") => Ok(Expr::Null),
            Tok::Ident(name) if name.eq_ignore_ascii_case("case") => self.nested(|p| {
                let mut branches = Vec::new();
                while p.eat_keyword("when") {
                    let condition = p.expr()?;
                    p.keyword("then")?;
                    branches.push((condition, p.expr()?));
                }
                if branches.is_empty() {
                    return p.error("WHEN after CASE");
                }
                let otherwise = if p.eat_keyword("else") { Some(Box::new(p.expr()?)) } else { None };
                p.keyword("end")?;
                Ok(Expr::Case { branches, otherwise })
            }),
            Tok::Ident(name) if !RESERVED.iter().any(|k| name.eq_ignore_ascii_case(k)) => {
                if self.eat_sym("(") {
                    // A function's arguments are its own: a literal there is no time or trace ID
                    // because the call is compared with one.
                    let args = self.within(None, |p| {
                        let mut args = Vec::new();
                        if !p.eat_sym(")") {
                            args.push(p.expr()?);
                            while p.eat_sym(",") {
                                args.push(p.expr()?);
                            }
                            p.sym(")")?;
                        }
                        Ok(args)
                    })?;
                    let name = name.to_ascii_lowercase();
                    if name == "now" {
                        if !args.is_empty() {
                            return Err(Error::Parse { line, column, message: "now() takes no arguments".into() });
                        }
                        return Ok(Expr::Time(self.now));
                    }
                    return Ok(Expr::Call { name, args });
                }
                if self.eat_sym(".") {
                    let field = self.ident("a field name after the dot")?;
                    return Ok(Expr::Column(ColumnRef { component: Some(name), field }));
                }
                Ok(Expr::Column(ColumnRef { component: None, field: name }))
            }
            _ => {
                if !matches!(t.tok, Tok::End) {
                    self.pos -= 1; // point the error at the token that does not fit
                }
                self.error("a column, a number, a 'string', a function call or (")
            }
        }
    }
}

/// Words that start a clause of `SELECT`, and the order SQL writes them in.
const CLAUSES: [&str; 10] = ["select", "from", "join", "reference", "where", "group", "having", "as", "order", "limit"];
const CLAUSE_ORDER: &str =
    "SELECT … FROM … [JOIN …] [REFERENCE …] [WHERE …] [GROUP BY …] [HAVING …] [AS OF …] [ORDER BY … [ASC|DESC]] [LIMIT n]";

/// Words that end an expression or start a clause, so they cannot name a column.
const RESERVED: [&str; 27] = [
    "having",
    "order",
    "case",
    "when",
    "then",
    "else",
    "end",
    "select",
    "from",
    "join",
    "reference",
    "where",
    "group",
    "by",
    "as",
    "of",
    "limit",
    "and",
    "or",
    "not",
    "in",
    "is",
    "explain",
    "trace",
    "show",
    "describe",
    "null",
];

impl Parser<'_> {
    /// A string literal (or, for a trace ID, a number) where `self.literal` says what it is.
    fn string(&self, s: String, line: usize, column: usize) -> Result<Expr> {
        let bad = |message: String| Err(Error::Parse { line, column, message });
        match self.literal {
            None => Ok(Expr::String(s)),
            Some(Literal::Time) => match parse_time(&s) {
                Some(us) => Ok(Expr::Time(us)),
                None => bad(format!("'{s}' is not a time: write {TIME_FORMS}, or now(), either plus or minus a duration")),
            },
            Some(Literal::TraceId) => match TraceId::parse(&s) {
                Ok(id) => Ok(Expr::TraceId(id.0)),
                Err(e) => bad(e.to_string()),
            },
        }
    }
}

fn overflow(at: &Token) -> Error {
    Error::Parse { line: at.line, column: at.column, message: "the time is out of range".into() }
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }
}

fn number(text: &str) -> Option<Expr> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Expr::Int(i));
        }
    }
    text.parse::<f64>().ok().filter(|x| x.is_finite()).map(Expr::Float)
}

/// `15m` → microseconds; units s, m, h, d, w; the amount must be a positive integer.
/// A window's width: a duration, or ISO weeks, months, quarters or years.
fn window_width(text: &str) -> Option<WindowWidth> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (amount, unit) = text.split_at(split);
    let n: i64 = amount.parse().ok().filter(|&a| a > 0)?;
    match unit {
        "w" => Some(WindowWidth::Weeks(n)),
        "mo" => Some(WindowWidth::Months(n)),
        "q" => n.checked_mul(3).map(WindowWidth::Months),
        "y" => n.checked_mul(12).map(WindowWidth::Months),
        _ => duration_us(text).map(WindowWidth::Fixed),
    }
}

fn duration_us(text: &str) -> Option<i64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (amount, unit) = text.split_at(split);
    let amount: i64 = amount.parse().ok().filter(|&a| a > 0)?;
    let unit_us: i64 = match unit {
        "s" => 1_000_000,
        "m" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        "w" => 604_800_000_000,
        _ => return None,
    };
    amount.checked_mul(unit_us)
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
