package policy

import (
	"cmp"
	"math"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	celtypes "cel.dev/cel-go/common/types"
)

// A fast program evaluates a checked CEL expression as a tree of Go
// closures that read the frame's columns directly. It covers what rules
// are made of: facts, int, string and bool literals, comparisons, logic,
// arithmetic, the conditional and membership in a literal list. The CEL
// text is still parsed and type-checked by cel-go, and an expression with
// anything else (a macro, a function, a double) is evaluated by cel-go.
//
// It exists because cel-go's interpreter spends about 1.6 µs judging one
// household against the exit set, 30 times what the same rules cost in
// Go; this brings a plain rule within a few times of Go.
//
// Where CEL would produce an error (overflow, division by zero) a fast
// program reports !ok and the caller asks cel-go, which gives the exact
// CEL answer, error included; so the result never differs from cel-go's.
// Tests compare the two on random facts.

// fval is a fast program's value; which field is meaningful follows from
// the expression's static type.
type fval struct {
	i int64
	s string
	b bool
}

type fastFn func(f *Frame, row int) (fval, bool)

// compileFast builds the closure tree of a checked expression, or reports
// that it uses something outside the fast subset.
func compileFast(a *ast.AST) (fastFn, bool) {
	return fastExpr(a, a.Expr())
}

func fastExpr(a *ast.AST, e ast.Expr) (fastFn, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		return fastIdent(e.AsIdent())
	case ast.LiteralKind:
		switch v := e.AsLiteral().(type) {
		case celtypes.Int:
			out := fval{i: int64(v)}
			return func(*Frame, int) (fval, bool) { return out, true }, true
		case celtypes.String:
			out := fval{s: string(v)}
			return func(*Frame, int) (fval, bool) { return out, true }, true
		case celtypes.Bool:
			out := fval{b: bool(v)}
			return func(*Frame, int) (fval, bool) { return out, true }, true
		}
		return nil, false
	case ast.CallKind:
		return fastCall(a, e)
	}
	return nil, false
}

func fastIdent(name string) (fastFn, bool) {
	i, ok := FactIndex[name]
	if !ok {
		return nil, false
	}
	sl := slots[i]
	switch Facts[i].Type {
	case Bool:
		col := sl.col
		return func(f *Frame, r int) (fval, bool) { return fval{b: f.u8[col][r] == 1}, true }, true
	case String:
		col, sy := sl.col, syms[i]
		return func(f *Frame, r int) (fval, bool) { return fval{s: sy.name(f.u8[col][r])}, true }, true
	}
	col := sl.col
	if sl.kind == kindI64 {
		return func(f *Frame, r int) (fval, bool) { return fval{i: f.i64[col][r]}, true }, true
	}
	return func(f *Frame, r int) (fval, bool) { return fval{i: int64(f.i32[col][r])}, true }, true
}

// kindOf is the static type of a node: 'i', 's', 'b', or 0 when the fast
// subset does not handle it.
func kindOf(a *ast.AST, e ast.Expr) byte {
	t := a.GetType(e.ID())
	switch {
	case t == nil:
		return 0
	case t.IsExactType(celtypes.IntType):
		return 'i'
	case t.IsExactType(celtypes.StringType):
		return 's'
	case t.IsExactType(celtypes.BoolType):
		return 'b'
	}
	return 0
}

func fastCall(a *ast.AST, e ast.Expr) (fastFn, bool) {
	c := e.AsCall()
	if c.IsMemberFunction() {
		return nil, false
	}
	args := c.Args()
	fns := make([]fastFn, 0, len(args))
	name := c.FunctionName()
	if name == operators.In {
		return fastIn(a, args)
	}
	for _, x := range args {
		fn, ok := fastExpr(a, x)
		if !ok {
			return nil, false
		}
		fns = append(fns, fn)
	}
	switch name {
	case operators.LogicalAnd:
		l, r := fns[0], fns[1]
		return func(f *Frame, row int) (fval, bool) {
			x, ok := l(f, row)
			if !ok {
				return x, false
			}
			if !x.b {
				return fval{}, true
			}
			return r(f, row)
		}, true
	case operators.LogicalOr:
		l, r := fns[0], fns[1]
		return func(f *Frame, row int) (fval, bool) {
			x, ok := l(f, row)
			if !ok {
				return x, false
			}
			if x.b {
				return fval{b: true}, true
			}
			return r(f, row)
		}, true
	case operators.LogicalNot:
		x := fns[0]
		return func(f *Frame, row int) (fval, bool) {
			v, ok := x(f, row)
			return fval{b: !v.b}, ok
		}, true
	case operators.Conditional:
		cond, yes, no := fns[0], fns[1], fns[2]
		return func(f *Frame, row int) (fval, bool) {
			v, ok := cond(f, row)
			if !ok {
				return v, false
			}
			if v.b {
				return yes(f, row)
			}
			return no(f, row)
		}, true
	case operators.Negate:
		if kindOf(a, args[0]) != 'i' {
			return nil, false
		}
		x := fns[0]
		return func(f *Frame, row int) (fval, bool) {
			v, ok := x(f, row)
			if !ok || v.i == math.MinInt64 {
				return v, false
			}
			return fval{i: -v.i}, true
		}, true
	}
	if len(fns) != 2 {
		return nil, false
	}
	if name == operators.Equals || name == operators.NotEquals {
		if fn, ok := symbolTest(args[0], []ast.Expr{args[1]}, name == operators.NotEquals); ok {
			return fn, true
		}
	}
	l, r := fns[0], fns[1]
	k := kindOf(a, args[0])
	if k == 0 || k != kindOf(a, args[1]) {
		return nil, false
	}
	switch name {
	case operators.Equals, operators.NotEquals:
		neq := name == operators.NotEquals
		if gl, gr := intGetter(args[0]), intGetter(args[1]); k == 'i' && gl != nil && gr != nil {
			return func(f *Frame, row int) (fval, bool) { return fval{b: (gl(f, row) == gr(f, row)) != neq}, true }, true
		}
		return func(f *Frame, row int) (fval, bool) {
			x, ok1 := l(f, row)
			y, ok2 := r(f, row)
			var eq bool
			switch k {
			case 'i':
				eq = x.i == y.i
			case 's':
				eq = x.s == y.s
			default:
				eq = x.b == y.b
			}
			return fval{b: eq != neq}, ok1 && ok2
		}, true
	case operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals:
		if k == 'b' {
			return nil, false
		}
		if k == 'i' {
			if fn, ok := intCompare(name, args[0], args[1]); ok {
				return fn, true
			}
		}
		return func(f *Frame, row int) (fval, bool) {
			x, ok1 := l(f, row)
			y, ok2 := r(f, row)
			var c int
			if k == 'i' {
				c = cmp.Compare(x.i, y.i)
			} else {
				c = cmp.Compare(x.s, y.s)
			}
			var b bool
			switch name {
			case operators.Less:
				b = c < 0
			case operators.LessEquals:
				b = c <= 0
			case operators.Greater:
				b = c > 0
			default:
				b = c >= 0
			}
			return fval{b: b}, ok1 && ok2
		}, true
	}
	if k != 'i' {
		return nil, false // string concatenation is left to cel-go
	}
	var op func(x, y int64) (int64, bool)
	switch name {
	case operators.Add:
		op = func(x, y int64) (int64, bool) {
			z := x + y
			return z, (z > x) == (y > 0) || y == 0
		}
	case operators.Subtract:
		op = func(x, y int64) (int64, bool) {
			z := x - y
			return z, (z < x) == (y > 0) || y == 0
		}
	case operators.Multiply:
		op = func(x, y int64) (int64, bool) {
			if x == 0 || y == 0 {
				return 0, true
			}
			z := x * y
			return z, z/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64)
		}
	case operators.Divide:
		op = func(x, y int64) (int64, bool) {
			if y == 0 || x == math.MinInt64 && y == -1 {
				return 0, false
			}
			return x / y, true
		}
	case operators.Modulo:
		op = func(x, y int64) (int64, bool) {
			if y == 0 || x == math.MinInt64 && y == -1 {
				return 0, false
			}
			return x % y, true
		}
	default:
		return nil, false
	}
	return func(f *Frame, row int) (fval, bool) {
		x, ok1 := l(f, row)
		y, ok2 := r(f, row)
		z, ok3 := op(x.i, y.i)
		return fval{i: z}, ok1 && ok2 && ok3
	}, true
}

// symbolTest compares a string fact with string literals by symbol code,
// without reading the string: the literals are entered in the fact's
// symbol table (codes never change once given), so the test is a table
// lookup. It answers whether the fact is one of them (or, with negate,
// none of them).
func symbolTest(x ast.Expr, lits []ast.Expr, negate bool) (fastFn, bool) {
	if x.Kind() != ast.IdentKind {
		return nil, false
	}
	i, ok := FactIndex[x.AsIdent()]
	if !ok || Facts[i].Type != String {
		return nil, false
	}
	var set [256]bool
	for _, l := range lits {
		if l.Kind() != ast.LiteralKind {
			return nil, false
		}
		v, ok := l.AsLiteral().(celtypes.String)
		if !ok {
			return nil, false
		}
		c, err := syms[i].code(string(v))
		if err != nil {
			return nil, false
		}
		set[c] = true
	}
	col := slots[i].col
	return func(f *Frame, r int) (fval, bool) { return fval{b: set[f.u8[col][r]] != negate}, true }, true
}

// fastIn handles x in [literal, …] for ints and strings.
func fastIn(a *ast.AST, args []ast.Expr) (fastFn, bool) {
	if len(args) != 2 || args[1].Kind() != ast.ListKind {
		return nil, false
	}
	if fn, ok := symbolTest(args[0], args[1].AsList().Elements(), false); ok {
		return fn, true
	}
	k := kindOf(a, args[0])
	x, ok := fastExpr(a, args[0])
	if !ok || (k != 'i' && k != 's') {
		return nil, false
	}
	var ints []int64
	var strs []string
	for _, el := range args[1].AsList().Elements() {
		if el.Kind() != ast.LiteralKind {
			return nil, false
		}
		switch v := el.AsLiteral().(type) {
		case celtypes.Int:
			if k != 'i' {
				return nil, false
			}
			ints = append(ints, int64(v))
		case celtypes.String:
			if k != 's' {
				return nil, false
			}
			strs = append(strs, string(v))
		default:
			return nil, false
		}
	}
	return func(f *Frame, row int) (fval, bool) {
		v, ok := x(f, row)
		if k == 'i' {
			for _, c := range ints {
				if v.i == c {
					return fval{b: true}, ok
				}
			}
			return fval{}, ok
		}
		for _, c := range strs {
			if v.s == c {
				return fval{b: true}, ok
			}
		}
		return fval{}, ok
	}, true
}

// intGetter reads an int fact or literal with no wrapping: the common
// operands of a comparison, which cannot fail.
func intGetter(e ast.Expr) func(f *Frame, r int) int64 {
	switch e.Kind() {
	case ast.LiteralKind:
		if v, ok := e.AsLiteral().(celtypes.Int); ok {
			c := int64(v)
			return func(*Frame, int) int64 { return c }
		}
	case ast.IdentKind:
		i, ok := FactIndex[e.AsIdent()]
		if !ok || Facts[i].Type != Int {
			return nil
		}
		col := slots[i].col
		if slots[i].kind == kindI64 {
			return func(f *Frame, r int) int64 { return f.i64[col][r] }
		}
		return func(f *Frame, r int) int64 { return int64(f.i32[col][r]) }
	}
	return nil
}

// intCompare compares two int facts or literals directly.
func intCompare(name string, x, y ast.Expr) (fastFn, bool) {
	l, r := intGetter(x), intGetter(y)
	if l == nil || r == nil {
		return nil, false
	}
	switch name {
	case operators.Less:
		return func(f *Frame, row int) (fval, bool) { return fval{b: l(f, row) < r(f, row)}, true }, true
	case operators.LessEquals:
		return func(f *Frame, row int) (fval, bool) { return fval{b: l(f, row) <= r(f, row)}, true }, true
	case operators.Greater:
		return func(f *Frame, row int) (fval, bool) { return fval{b: l(f, row) > r(f, row)}, true }, true
	case operators.GreaterEquals:
		return func(f *Frame, row int) (fval, bool) { return fval{b: l(f, row) >= r(f, row)}, true }, true
	}
	return nil, false
}
