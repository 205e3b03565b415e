package lang

// The syntax tree: statements (spec §8) and expressions (spec §7). Every
// node records where it starts; the evaluator reports errors there.

// Pos is a place in the script: the byte offset and the 1-based line and
// column (in characters) PowerShell prints as "At line:L char:C".
type Pos struct {
	Offset, Line, Col int
}

// Script is a whole script block: its statements and its source.
type Script struct {
	Statements []Statement
	Source     string // the text of the block, braces excluded
	Start      Pos
}

// Statement is one statement of a statement list (§8.1).
type Statement interface{ At() Pos }

// Expr is an expression (§7).
type Expr interface{ At() Pos }

// Pipeline is a pipeline statement (§8.2): elements joined by '|'. The
// first element may be an expression; the others are commands.
type Pipeline struct {
	P        Pos
	Elements []PipeElement
	Text     string // the source of the pipeline, for error positions
}

// PipeElement is an expression or a command in a pipeline.
type PipeElement interface{ At() Pos }

// ExprElement is an expression leading a pipeline.
type ExprElement struct {
	X Expr
}

// Command is a command invocation (§8.2.1): its name and its arguments.
type Command struct {
	P       Pos
	Name    string // as written; empty when NameExpr is set
	NameLen int
	Invoke  bool // called with '&'
	Args    []CommandArg
}

// CommandArg is one parameter, argument or splat of a command.
type CommandArg struct {
	P         Pos
	Param     string // "-Name" written as Name; empty for a plain argument
	Colon     bool   // -Name:value
	Value     Expr   // the argument, or the -Name:value value; nil for a bare parameter
	Splat     string // @name splatting: the variable's name
	ParamText string // the parameter as written, dash included
}

// Assignment is `target op value` (§7.11), op being "=", "+=", "-=", "*=",
// "/=" or "%=".
type Assignment struct {
	P      Pos
	Target Expr
	Op     string
	Value  Statement
}

// If is an if statement with its elseif clauses (§8.3).
type If struct {
	P       Pos
	Clauses []IfClause
	Else    *Script
}

// IfClause is one condition and the block it guards.
type IfClause struct {
	Cond *Pipeline
	Body *Script
}

// Foreach is `foreach ($v in pipeline) { ... }` (§8.4.4).
type Foreach struct {
	P    Pos
	Var  string
	In   *Pipeline
	Body *Script
}

// While is `while (cond) { ... }` (§8.4.2).
type While struct {
	P    Pos
	Cond *Pipeline
	Body *Script
}

// Try is try { } catch [types] { } … finally { } (§8.7).
type Try struct {
	P       Pos
	Body    *Script
	Catches []Catch
	Finally *Script
}

// Catch is one catch clause; no Types catches everything.
type Catch struct {
	Types []string
	Body  *Script
}

// Flow is return, exit, throw, break or continue (§8.5) with its optional
// value.
type Flow struct {
	P       Pos
	Keyword string // lower case
	Value   *Pipeline
}

// At implements Statement, PipeElement and Expr for each node.
func (n *Pipeline) At() Pos    { return n.P }
func (n *ExprElement) At() Pos { return n.X.At() }
func (n *Command) At() Pos     { return n.P }
func (n *Assignment) At() Pos  { return n.P }
func (n *If) At() Pos          { return n.P }
func (n *Foreach) At() Pos     { return n.P }
func (n *While) At() Pos       { return n.P }
func (n *Flow) At() Pos        { return n.P }
func (n *Try) At() Pos         { return n.P }

// Const is a literal number or a single-quoted or bareword string.
type Const struct {
	P     Pos
	Value any // int32, int64, float64 or string
}

// Expandable is a double-quoted string (§2.3.5.2): literal text and the
// expressions ($var, $(...)) it expands, in order.
type Expandable struct {
	P     Pos
	Parts []Expr // *Const strings and expressions
}

// Variable is $name (§2.3.6); Name excludes the '$' and any scope is kept
// ("env:PATH").
type Variable struct {
	P    Pos
	Name string
}

// Binary is `l op r`; Op is lower case ("-eq", "+", "-and", ",").
type Binary struct {
	P    Pos
	Op   string
	L, R Expr
}

// Unary is `op x`: "-not", "!", "-", "+", "-bnot", "++", "--".
type Unary struct {
	P  Pos
	Op string
	X  Expr
}

// Cast is `[type]x` (§7.2.9); TypeLit alone is `[type]`.
type Cast struct {
	P    Pos
	Type string
	X    Expr
}

// TypeLit is a type literal `[type]` (§7.1.10).
type TypeLit struct {
	P    Pos
	Type string
}

// Member is `x.name` or `x::name` (§7.1.2); Name is a *Const string or an
// expression.
type Member struct {
	P      Pos
	X      Expr
	Name   Expr
	Static bool
}

// Invoke is `x.name(args)` or `x::name(args)` (§7.1.3).
type Invoke struct {
	P      Pos
	X      Expr
	Name   Expr
	Static bool
	Args   []Expr
}

// Index is `x[i]` (§7.1.4).
type Index struct {
	P     Pos
	X     Expr
	Index Expr
}

// ArrayLit is a comma list `a, b, c` (§7.3).
type ArrayLit struct {
	P     Pos
	Elems []Expr
}

// SubExpr is `$( statements )` (§7.1.6); Array marks `@( statements )`
// (§7.1.7).
type SubExpr struct {
	P     Pos
	Body  *Script
	Array bool
}

// Paren is `( pipeline )` (§7.1.1).
type Paren struct {
	P    Pos
	Pipe Statement
}

// Hash is a hash literal `@{ k = v; ... }` (§7.1.9), keys in order.
type Hash struct {
	P      Pos
	Keys   []Expr
	Values []Statement
}

// Block is a script block literal `{ ... }` (§7.1.8).
type Block struct {
	P    Pos
	Body *Script
}

// At implements Expr for each node.
func (n *Const) At() Pos      { return n.P }
func (n *Expandable) At() Pos { return n.P }
func (n *Variable) At() Pos   { return n.P }
func (n *Binary) At() Pos     { return n.P }
func (n *Unary) At() Pos      { return n.P }
func (n *Cast) At() Pos       { return n.P }
func (n *TypeLit) At() Pos    { return n.P }
func (n *Member) At() Pos     { return n.P }
func (n *Invoke) At() Pos     { return n.P }
func (n *Index) At() Pos      { return n.P }
func (n *ArrayLit) At() Pos   { return n.P }
func (n *SubExpr) At() Pos    { return n.P }
func (n *Paren) At() Pos      { return n.P }
func (n *Hash) At() Pos       { return n.P }
func (n *Block) At() Pos      { return n.P }
