// Package policy holds policy as data: the facts a rule may read about a
// household, rule sets of CEL expressions (cel.dev/cel-go) with versions
// and effective dates, the parameter tables (income lines and other
// thresholds keyed by jurisdiction, year and kind), and the
// Alkire–Foster multidimensional poverty measure (MPI).
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"sync/atomic"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"tuopin/internal/registry"
)

// Type is the CEL type of a fact.
type Type uint8

// Fact types.
const (
	Int Type = iota
	Bool
	String
)

func (t Type) String() string {
	switch t {
	case Bool:
		return "bool"
	case String:
		return "string"
	}
	return "int"
}

// Fact is one named value a rule may read. Money is in fen. List names the
// registry code list a string fact takes its values from. Param marks a
// value resolved from the parameter tables rather than from the household.
type Fact struct {
	Name  string
	Type  Type
	List  string
	Money bool
	Param string // parameter kind, for parameter facts
}

// Facts is the catalogue, in snapshot order. It is append-only: stored
// snapshots are arrays in this order, so a fact is never removed or moved,
// and a new one goes at the end.
var Facts = []Fact{
	{Name: "status", Type: String, List: "status"},
	{Name: "attribute", Type: String, List: "attribute"},
	{Name: "standard", Type: String, List: "standard"},
	{Name: "identified_year", Type: Int},
	{Name: "exit_year", Type: Int},
	{Name: "period_year", Type: Int},
	{Name: "persons", Type: Int},
	{Name: "food_secure", Type: Bool},
	{Name: "clothing_secure", Type: Bool},
	{Name: "income_year", Type: Int},
	{Name: "per_capita_income", Type: Int, Money: true},
	{Name: "net_income", Type: Int, Money: true},
	{Name: "prev_per_capita_income", Type: Int, Money: true},
	{Name: "medical_spending", Type: Int, Money: true},
	{Name: "schooling_spending", Type: Int, Money: true},
	{Name: "disaster_loss", Type: Int, Money: true},
	{Name: "rigid_spending", Type: Int, Money: true},
	{Name: "children_6_15", Type: Int},
	{Name: "children_out_of_school", Type: Int},
	{Name: "children_health_excused", Type: Int},
	{Name: "members_without_medical", Type: Int},
	{Name: "members_without_critical", Type: Int},
	{Name: "members_serious_illness", Type: Int},
	{Name: "members_disabled", Type: Int},
	{Name: "members_civil_servant", Type: Int},
	{Name: "members_deceased", Type: Int},
	{Name: "members_undernourished", Type: Int},
	{Name: "members_able_to_work", Type: Int},
	{Name: "max_schooling_years", Type: Int},
	{Name: "housing_grade", Type: String, List: "grade"},
	{Name: "housing_structure", Type: String, List: "structure"},
	{Name: "relocation", Type: String, List: "relocation"},
	{Name: "water_source", Type: String, List: "water_source"},
	{Name: "water_quality", Type: String, List: "water_quality"},
	{Name: "water_litres", Type: Int},
	{Name: "water_minutes", Type: Int},
	{Name: "water_outage_days", Type: Int},
	{Name: "electricity", Type: Bool},
	{Name: "cooking_fuel", Type: String, List: "fuel"},
	{Name: "improved_sanitation", Type: Bool},
	{Name: "assets", Type: Int},
	{Name: "child_deaths", Type: Int},
	{Name: "has_car", Type: Bool},
	{Name: "has_town_house", Type: Bool},
	{Name: "has_business", Type: Bool},
	{Name: "income_line", Type: Int, Money: true, Param: ParamExitLine},
	{Name: "monitoring_line", Type: Int, Money: true, Param: ParamMonitoringLine},
	{Name: "water_litres_min", Type: Int, Param: ParamWaterLitres},
	{Name: "water_minutes_max", Type: Int, Param: ParamWaterMinutes},
	{Name: "water_outage_max", Type: Int, Param: ParamWaterOutage},
}

// FactIndex maps a fact name to its position in Facts.
var FactIndex = func() map[string]int {
	m := make(map[string]int, len(Facts))
	for i, f := range Facts {
		m[f.Name] = i
	}
	return m
}()

// MustFact returns the index of a fact the code itself relies on.
func MustFact(name string) int {
	i, ok := FactIndex[name]
	if !ok {
		panic("policy: unknown fact " + name)
	}
	return i
}

// ParamFacts are the indices of the parameter facts, in catalogue order.
var ParamFacts = func() []int {
	var out []int
	for i, f := range Facts {
		if f.Param != "" {
			out = append(out, i)
		}
	}
	if len(out) > 8 {
		panic("policy: Frame.Missing holds 8 parameter facts")
	}
	return out
}()

// ParamMask is the Frame.Missing bits of the parameter facts among
// fields (catalogue indices).
func ParamMask(fields []int) uint8 {
	var m uint8
	for _, i := range fields {
		if b := paramBit[i]; b >= 0 {
			m |= 1 << b
		}
	}
	return m
}

// paramBit is each fact's bit in Frame.Missing, -1 for facts that are
// not parameters.
var paramBit = func() []int {
	out := make([]int, len(Facts))
	for i := range out {
		out[i] = -1
	}
	for b, i := range ParamFacts {
		out[i] = b
	}
	return out
}()

// slot says where a fact's column lives in a Frame.
type slot struct {
	kind uint8 // 0 int32, 1 int64, 2 uint8
	col  int
}

const (
	kindI32 = iota
	kindI64
	kindU8
)

var slots, nI32, nI64, nU8 = func() ([]slot, int, int, int) {
	s := make([]slot, len(Facts))
	var a, b, c int
	for i, f := range Facts {
		switch {
		case f.Type == Int && f.Money:
			s[i] = slot{kindI64, b}
			b++
		case f.Type == Int:
			s[i] = slot{kindI32, a}
			a++
		default:
			s[i] = slot{kindU8, c}
			c++
		}
	}
	return s, a, b, c
}()

// symbols is the string table of one string fact: symbol 0 is "", the
// codes of its list follow, and values outside the list are added on
// first sight (the registry checks codes, so that is rare), up to 255.
type symbols struct {
	mu    sync.Mutex
	table atomic.Pointer[symTable]
}

type symTable struct {
	names  []string
	quoted [][]byte  // names as JSON strings, for snapshots
	vals   []ref.Val // names as CEL strings, built once
	index  map[string]uint8
}

var syms = func() []*symbols {
	out := make([]*symbols, len(Facts))
	for i, f := range Facts {
		if f.Type != String {
			continue
		}
		t := &symTable{names: []string{""}, index: map[string]uint8{"": 0}}
		for _, c := range registry.Lists[f.List] {
			t.index[c] = uint8(len(t.names))
			t.names = append(t.names, c)
		}
		for _, n := range t.names {
			t.vals = append(t.vals, types.String(n))
			t.quoted = append(t.quoted, strconv.AppendQuote(nil, n))
		}
		s := &symbols{}
		s.table.Store(t)
		out[i] = s
	}
	return out
}()

// errTooManySymbols is returned when a string fact has more than 255
// distinct values, which the registry's code lists never reach.
var errTooManySymbols = errors.New("policy: too many distinct values for a string fact")

func (s *symbols) code(v string) (uint8, error) {
	if c, ok := s.table.Load().index[v]; ok {
		return c, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table.Load()
	if c, ok := t.index[v]; ok {
		return c, nil
	}
	if len(t.names) >= 255 {
		return 0, errTooManySymbols
	}
	n := &symTable{names: append(append([]string(nil), t.names...), v), vals: append(append([]ref.Val(nil), t.vals...), types.String(v)),
		quoted: append(append([][]byte(nil), t.quoted...), strconv.AppendQuote(nil, v)), index: make(map[string]uint8, len(t.index)+1)}
	for k, c := range t.index {
		n.index[k] = c
	}
	c := uint8(len(t.names))
	n.index[v] = c
	s.table.Store(n)
	return c, nil
}

func (s *symbols) name(c uint8) string {
	t := s.table.Load()
	if int(c) < len(t.names) {
		return t.names[c]
	}
	return ""
}

// Frame holds the facts of many households column by column, so a million
// households fit in about 150 MB and a rule reads one column at a time.
// Row r describes the household HouseholdID[r] in village Village[r].
type Frame struct {
	HouseholdID []int64
	Village     []string
	// Missing has bit i set when parameter fact ParamFacts[i] has no value
	// for the row's jurisdiction and year; a rule that reads it errs.
	Missing []uint8
	i32     [][]int32
	i64     [][]int64
	u8      [][]uint8
}

// NewFrame makes a frame with room for n rows.
func NewFrame(n int) *Frame {
	f := &Frame{i32: make([][]int32, nI32), i64: make([][]int64, nI64), u8: make([][]uint8, nU8)}
	f.Grow(n)
	return f
}

// Len is the number of rows.
func (f *Frame) Len() int { return len(f.HouseholdID) }

// Grow makes room for n more rows without reallocating.
func (f *Frame) Grow(n int) {
	if cap(f.HouseholdID)-len(f.HouseholdID) >= n {
		return
	}
	c := len(f.HouseholdID) + n
	f.HouseholdID = append(make([]int64, 0, c), f.HouseholdID...)
	f.Village = append(make([]string, 0, c), f.Village...)
	f.Missing = append(make([]uint8, 0, c), f.Missing...)
	for i := range f.i32 {
		f.i32[i] = append(make([]int32, 0, c), f.i32[i]...)
	}
	for i := range f.i64 {
		f.i64[i] = append(make([]int64, 0, c), f.i64[i]...)
	}
	for i := range f.u8 {
		f.u8[i] = append(make([]uint8, 0, c), f.u8[i]...)
	}
}

// AddRow appends an empty row and returns its index.
func (f *Frame) AddRow(householdID int64, village string) int {
	f.HouseholdID = append(f.HouseholdID, householdID)
	f.Village = append(f.Village, village)
	f.Missing = append(f.Missing, 0)
	for i := range f.i32 {
		f.i32[i] = append(f.i32[i], 0)
	}
	for i := range f.i64 {
		f.i64[i] = append(f.i64[i], 0)
	}
	for i := range f.u8 {
		f.u8[i] = append(f.u8[i], 0)
	}
	return len(f.HouseholdID) - 1
}

// Reset empties the frame, keeping its memory.
func (f *Frame) Reset() {
	f.HouseholdID = f.HouseholdID[:0]
	f.Village = f.Village[:0]
	f.Missing = f.Missing[:0]
	for i := range f.i32 {
		f.i32[i] = f.i32[i][:0]
	}
	for i := range f.i64 {
		f.i64[i] = f.i64[i][:0]
	}
	for i := range f.u8 {
		f.u8[i] = f.u8[i][:0]
	}
}

// CopyRow copies row r of src over row dst of f.
func (f *Frame) CopyRow(dst int, src *Frame, r int) {
	f.HouseholdID[dst] = src.HouseholdID[r]
	f.Village[dst] = src.Village[r]
	f.Missing[dst] = src.Missing[r]
	for i := range f.i32 {
		f.i32[i][dst] = src.i32[i][r]
	}
	for i := range f.i64 {
		f.i64[i][dst] = src.i64[i][r]
	}
	for i := range f.u8 {
		f.u8[i][dst] = src.u8[i][r]
	}
}

// SetInt sets an int fact; values outside int32 are clamped for non-money
// facts, which only hold counts, years and small measures.
func (f *Frame) SetInt(fact, row int, v int64) {
	s := slots[fact]
	switch s.kind {
	case kindI64:
		f.i64[s.col][row] = v
	case kindI32:
		if v > 1<<31-1 {
			v = 1<<31 - 1
		} else if v < -1<<31 {
			v = -1 << 31
		}
		f.i32[s.col][row] = int32(v)
	}
}

// SetBool sets a bool fact.
func (f *Frame) SetBool(fact, row int, v bool) {
	var b uint8
	if v {
		b = 1
	}
	f.u8[slots[fact].col][row] = b
}

// SetString sets a string fact.
func (f *Frame) SetString(fact, row int, v string) error {
	c, err := syms[fact].code(v)
	if err != nil {
		return fmt.Errorf("%s=%q: %w", Facts[fact].Name, v, err)
	}
	f.u8[slots[fact].col][row] = c
	return nil
}

// Int reads an int fact.
func (f *Frame) Int(fact, row int) int64 {
	s := slots[fact]
	if s.kind == kindI64 {
		return f.i64[s.col][row]
	}
	return int64(f.i32[s.col][row])
}

// Bool reads a bool fact.
func (f *Frame) Bool(fact, row int) bool { return f.u8[slots[fact].col][row] == 1 }

// Str reads a string fact.
func (f *Frame) Str(fact, row int) string { return syms[fact].name(f.u8[slots[fact].col][row]) }

// sym reads the symbol of a string fact.
func (f *Frame) sym(fact, row int) uint8 { return f.u8[slots[fact].col][row] }

// Value reads any fact as a Go value (int64, bool or string).
func (f *Frame) Value(fact, row int) any {
	switch Facts[fact].Type {
	case Bool:
		return f.Bool(fact, row)
	case String:
		return f.Str(fact, row)
	}
	return f.Int(fact, row)
}

// AppendSnapshot appends row r as a JSON array in catalogue order: the
// inputs every rule read, stored with the findings.
func (f *Frame) AppendSnapshot(b []byte, r int) []byte {
	b = append(b, '[')
	for i, fc := range Facts {
		if i > 0 {
			b = append(b, ',')
		}
		if fc.Param != "" && f.missing(i, r) {
			b = append(b, "null"...)
			continue
		}
		switch fc.Type {
		case Int:
			b = strconv.AppendInt(b, f.Int(i, r), 10)
		case Bool:
			b = strconv.AppendBool(b, f.Bool(i, r))
		case String:
			t := syms[i].table.Load()
			if c := f.sym(i, r); int(c) < len(t.quoted) {
				b = append(b, t.quoted[c]...)
			} else {
				b = append(b, `""`...)
			}
		}
	}
	return append(b, ']')
}

// missing reports whether parameter fact i has no value in row r.
func (f *Frame) missing(i, r int) bool {
	b := paramBit[i]
	return b >= 0 && f.Missing[r]&(1<<b) != 0
}

// LoadSnapshot fills row from a snapshot written by AppendSnapshot. A
// snapshot shorter than the catalogue (written before facts were added)
// leaves the newer facts at their zero values.
func (f *Frame) LoadSnapshot(row int, data []byte) error {
	var vals []any
	if err := json.Unmarshal(data, &vals); err != nil {
		return err
	}
	if len(vals) > len(Facts) {
		return errors.New("policy: snapshot has more values than the fact catalogue")
	}
	f.Missing[row] = 0
	for i, v := range vals {
		if b := paramBit[i]; v == nil && b >= 0 {
			f.Missing[row] |= 1 << b
			f.SetInt(i, row, 0)
			continue
		}
		ok := false
		switch Facts[i].Type {
		case Int:
			var x float64
			if x, ok = v.(float64); ok {
				f.SetInt(i, row, int64(x))
			}
		case Bool:
			var b bool
			if b, ok = v.(bool); ok {
				f.SetBool(i, row, b)
			}
		case String:
			var s string
			if s, ok = v.(string); ok {
				if err := f.SetString(i, row, s); err != nil {
					return err
				}
			}
		}
		if !ok {
			return errors.New("policy: snapshot value of " + Facts[i].Name + " has the wrong type")
		}
	}
	return nil
}

// SnapshotHash is the FNV-1a hash of a snapshot, as a signed integer so
// both engines store it in a plain integer column.
func SnapshotHash(b []byte) int64 {
	h := fnv.New64a()
	h.Write(b)
	return int64(h.Sum64())
}
