//! The syntax tree of a SeamQL statement (SPEC §4), as the parser produces it: names are not
//! yet resolved against a database.

/// One statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Select(Box<Select>),
    /// `EXPLAIN SELECT ...`: the plan, not the answer.
    Explain(Box<Select>),
    /// `TRACE 'id'`
    Trace(String),
    ShowComponents,
    /// `DESCRIBE component`
    Describe(String),
    /// `CREATE SLO name AS SELECT … EXPECT … [WHEN …]`
    CreateSlo(Box<Slo>),
    /// `SHOW SLOS`
    ShowSlos,
    /// `DROP SLO name`
    DropSlo(String),
    /// `CHECK SLO name [AS OF t]`; `CHECK SLOS [AS OF t]` has no name.
    CheckSlo {
        name: Option<String>,
        as_of: Option<i64>,
    },
    /// `DIAGNOSE SELECT … GROUP BY window(…) AT t [BASELINE t]`
    Diagnose(Box<Diagnose>),
}

impl Statement {
    /// Whether running it changes the database (a read-only handle refuses it).
    pub fn writes(&self) -> bool {
        matches!(self, Statement::CreateSlo(_) | Statement::DropSlo(_))
    }
}

/// An SLO: a query grouped by window, what each of its rows must meet, and when a row can
/// be judged at all (SPEC §4, "SLOs and diagnosis").
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub name: String,
    pub query: Select,
    /// A condition over the query's items that a judged row must meet.
    pub expect: Expr,
    /// A condition over the query's items without which a row is `pending`.
    pub when: Option<Expr>,
    /// The definition as written after `AS` (what the database stores).
    pub text: String,
}

/// `DIAGNOSE`: where the change of one metric between two windows comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnose {
    pub query: Select,
    /// A time in the window to explain.
    pub at: i64,
    /// A time in the window to compare with (default: the window before `at`'s).
    pub baseline: Option<i64>,
}

/// `SELECT ... FROM ... [JOIN ...] [REFERENCE ...] [WHERE ...] [GROUP BY ...] [HAVING ...]
/// [AS OF ...] [ORDER BY ...] [LIMIT n]`
#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    pub items: Vec<Item>,
    /// The driving component.
    pub from: String,
    pub joins: Vec<String>,
    pub reference: Option<Reference>,
    pub filter: Option<Expr>,
    pub group_by: Vec<GroupKey>,
    /// `GROUP BY … FILL`: windows without driving rows appear too.
    pub fill: bool,
    /// The `AS OF` time, in microseconds since the epoch.
    pub as_of: Option<i64>,
    /// A condition on output rows (their items and group keys).
    pub having: Option<Expr>,
    /// Sort keys over output rows, each with `true` for `DESC`.
    pub order_by: Vec<(Expr, bool)>,
    pub limit: Option<u64>,
}

/// One output column: an expression, its `AS` name, and its source text (the default name).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub expr: Expr,
    pub alias: Option<String>,
    pub text: String,
}

impl Item {
    /// The output column's name: the alias, else the item's text as written.
    pub fn name(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.text)
    }
}

/// `REFERENCE component` or `REFERENCE (component WHERE condition)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub component: String,
    pub filter: Option<Expr>,
}

/// A `GROUP BY` key.
#[derive(Clone, Debug, PartialEq)]
pub enum GroupKey {
    /// `window(15m)`, `window(1mo)`, `window(1d, 'Europe/Berlin')`: tumbling windows.
    Window {
        width: WindowWidth,
        /// An IANA time zone for day and calendar windows (UTC without one).
        zone: Option<String>,
        text: String,
    },
    Column(ColumnRef),
    /// A condition (`inference.score > 0.5`) or `bucket(x, width)`, named by its text.
    Expr {
        expr: Expr,
        text: String,
    },
}

/// How wide a window is (SPEC §4): a fixed duration (`s m h d`), aligned to the epoch (days
/// to local midnight in a time zone), or a number of ISO weeks (from Monday) or months
/// (`q` is 3, `y` 12), counted from 1970.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowWidth {
    Fixed(i64),
    Weeks(i64),
    Months(i64),
}

/// `field` or `component.field` (`time` included).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ColumnRef {
    pub component: Option<String>,
    pub field: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

/// An expression or condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Column(ColumnRef),
    Int(i64),
    Float(f64),
    String(String),
    Bool(bool),
    Null,
    /// A time (microseconds since the epoch): a string where a time is expected, `now()`,
    /// and either of them plus or minus a duration, resolved by the parser (SPEC §4 "Times").
    Time(i64),
    /// A duration in microseconds (`7d`); it only has a meaning added to or subtracted from
    /// a time, where the parser folds it into a [`Expr::Time`].
    Duration(i64),
    /// A trace ID: a string or number compared with `trace_id`, resolved by the parser.
    TraceId(u128),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `expr [NOT] IN (v, ...)`
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// `expr IS [NOT] NULL`
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `expr IS [NOT] NAN`
    IsNan {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `CASE WHEN condition THEN value ... [ELSE value] END`: the value of the first branch
    /// whose condition holds, else the `ELSE` value, else null.
    Case {
        branches: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    /// `name(args)`; `count()` has none. Names are lower-cased.
    Call {
        name: String,
        args: Vec<Expr>,
    },
}
