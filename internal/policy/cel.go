package policy

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"tuopin/internal/fault"
	"tuopin/internal/i18n"
)

// Cost limits. MaxCost bounds the estimated worst case of an expression
// when it is saved or previewed; EvalCostLimit stops a running evaluation.
// The shipped rules estimate below 20.
const (
	MaxCost       = 1000
	EvalCostLimit = 10000
)

var (
	envOnce sync.Once
	celEnv  *cel.Env
	envErr  error
)

// Env is the CEL environment: one variable per fact, typed.
func Env() (*cel.Env, error) {
	envOnce.Do(func() {
		opts := make([]cel.EnvOption, 0, len(Facts))
		for _, f := range Facts {
			t := cel.IntType
			switch f.Type {
			case Bool:
				t = cel.BoolType
			case String:
				t = cel.StringType
			}
			opts = append(opts, cel.Variable(f.Name, t))
		}
		celEnv, envErr = cel.NewEnv(opts...)
	})
	return celEnv, envErr
}

// Program is a compiled, type-checked boolean expression.
type Program struct {
	Expression string
	// Fields are the facts the expression reads, by catalogue index.
	Fields []int
	// Cost is the estimated worst-case cost.
	Cost uint64
	// Loops is true when the expression has a comprehension.
	Loops bool
	prg   cel.Program
	fast  fastFn // nil when the expression is outside the fast subset
}

// Fast reports whether the program evaluates without cel-go's
// interpreter (see fast.go).
func (p *Program) Fast() bool {
	return p.fast != nil
}

// FieldNames lists the names of the facts the program reads.
func (p *Program) FieldNames() []string {
	out := make([]string, len(p.Fields))
	for i, f := range p.Fields {
		out[i] = Facts[f].Name
	}
	return out
}

type noEstimator struct{}

func (noEstimator) EstimateSize(cost.AstNode) *cost.SizeEstimate { return nil }
func (noEstimator) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

var undeclared = regexp.MustCompile(`undeclared reference to '([^']*)'`)

// Compile parses and type-checks expr. A bad expression yields a
// fault.Invalid whose field error names field, the line and column, and
// the reason in both languages.
func Compile(field, expr string) (*Program, error) {
	env, err := Env()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(expr) == "" {
		return nil, fault.Fields([]fault.FieldError{{Field: field, Reason: i18n.M("reason.required")}})
	}
	if len(expr) > 4000 {
		return nil, fault.Fields([]fault.FieldError{{Field: field, Reason: i18n.M("reason.too_long", "max", "4000")}})
	}
	checked, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		var fe []fault.FieldError
		for _, e := range iss.Errors() {
			line, col := strconv.Itoa(e.Location.Line()), strconv.Itoa(e.Location.Column()+1)
			var reason i18n.Msg
			if m := undeclared.FindStringSubmatch(e.Message); m != nil {
				reason = i18n.M("reason.cel_unknown_fact", "line", line, "column", col, "name", m[1])
			} else {
				reason = i18n.M("reason.cel_error", "line", line, "column", col, "detail", e.Message)
			}
			fe = append(fe, fault.FieldError{Field: field, Value: expr, Reason: reason})
		}
		return nil, fault.Fields(fe)
	}
	if !checked.OutputType().IsExactType(cel.BoolType) {
		return nil, fault.Fields([]fault.FieldError{{Field: field, Value: expr,
			Reason: i18n.M("reason.cel_not_bool", "type", checked.OutputType().String())}})
	}
	est, err := env.EstimateCost(checked, noEstimator{})
	if err != nil {
		return nil, err
	}
	if est.Max > MaxCost {
		return nil, fault.Fields([]fault.FieldError{{Field: field, Value: expr,
			Reason: i18n.M("reason.cel_cost", "cost", strconv.FormatUint(est.Max, 10), "max", strconv.Itoa(MaxCost))}})
	}
	loops := hasComprehension(checked.NativeRep())
	prg, err := program(env, checked, loops)
	if err != nil {
		return nil, err
	}
	out := &Program{Expression: expr, Fields: referencedFacts(checked.NativeRep()), Cost: est.Max, Loops: loops, prg: prg}
	if fn, ok := compileFast(checked.NativeRep()); ok {
		out.fast = fn
	}
	return out, nil
}

// program plans a checked expression. Every fact is a scalar, so only a
// comprehension (all, exists, map, filter over a literal list) can make an
// evaluation run long; such programs get the runtime cost limit on top of
// the estimate checked when saved, and the others skip cost tracking,
// which would double their evaluation time.
func program(env *cel.Env, checked *cel.Ast, loops bool) (cel.Program, error) {
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if loops {
		opts = append(opts, cel.CostLimit(EvalCostLimit))
	}
	return env.Program(checked, opts...)
}

func hasComprehension(a *ast.AST) bool {
	found := false
	ast.PreOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() == ast.ComprehensionKind {
			found = true
		}
	}))
	return found
}

// compileMask joins the rules of a set into one program whose result is
// the set's failure mask: bit i is 1 << i, added when rule i fails. One
// evaluation per household instead of one per rule more than halves the
// cost; each rule has compiled alone first, so the join cannot fail to
// check unless the set is too large.
func compileMask(progs []*Program, flag bool) (cel.Program, error) {
	env, err := Env()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	loops := false
	for i, p := range progs {
		if i > 0 {
			b.WriteString(" + ")
		}
		bit := strconv.FormatUint(1<<i, 10)
		if flag {
			b.WriteString("((" + p.Expression + ") ? " + bit + " : 0)")
		} else {
			b.WriteString("((" + p.Expression + ") ? 0 : " + bit + ")")
		}
		loops = loops || p.Loops
	}
	checked, iss := env.Compile(b.String())
	if iss != nil && iss.Err() != nil {
		return nil, iss.Err()
	}
	return program(env, checked, loops)
}

// referencedFacts lists, in catalogue order, the facts an expression names.
func referencedFacts(a *ast.AST) []int {
	seen := map[int]bool{}
	for _, r := range a.ReferenceMap() {
		if len(r.OverloadIDs) > 0 || r.Name == "" {
			continue
		}
		if i, ok := FactIndex[r.Name]; ok {
			seen[i] = true
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// Activation lets a program read one row of a frame. It converts only the
// facts an expression names, when it names them.
type Activation struct {
	Frame *Frame
	Row   int
}

// ResolveName implements interpreter.Activation.
func (a *Activation) ResolveName(name string) (any, bool) {
	i, ok := FactIndex[name]
	if !ok {
		return nil, false
	}
	switch Facts[i].Type {
	case Bool:
		return types.Bool(a.Frame.Bool(i, a.Row)), true
	case String:
		return syms[i].val(a.Frame.sym(i, a.Row)), true
	}
	return types.Int(a.Frame.Int(i, a.Row)), true
}

// Parent implements interpreter.Activation.
func (a *Activation) Parent() interpreter.Activation { return nil }

// Eval runs the program on the activation's row. An evaluation error (an
// overflow, the cost limit) is returned, never taken as an outcome.
func (p *Program) Eval(a *Activation) (bool, error) {
	if p.fast != nil {
		if v, ok := p.fast(a.Frame, a.Row); ok {
			return v.b, nil
		}
	}
	return p.EvalCEL(a)
}

// EvalCEL runs the program with cel-go's interpreter only.
func (p *Program) EvalCEL(a *Activation) (bool, error) {
	out, _, err := p.prg.Eval(a)
	if err != nil {
		return false, err
	}
	return out == types.True, nil
}

func (s *symbols) val(c uint8) ref.Val {
	t := s.table.Load()
	if int(c) < len(t.vals) {
		return t.vals[c]
	}
	return types.String("")
}
