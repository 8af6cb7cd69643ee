package policy

import (
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"tuopin/internal/fault"
	"tuopin/internal/i18n"
)

// Kinds of rule set.
const (
	KindExit      = "exit"      // 贫困退出: household exit standard
	KindMonitor   = "monitor"   // 防返贫监测: monitoring triggers
	KindExclusion = "exclusion" // 识别排除: who may not be registered
	KindMPI       = "mpi"       // multidimensional poverty deprivations
)

// Senses: what a true expression means. Under SensePass a true result
// means the standard is met; under SenseFlag it means a problem (a risk,
// an exclusion, a deprivation). Either way a finding is "pass" or "fail".
const (
	SensePass = "pass"
	SenseFlag = "flag"
)

// Indicators a rule may judge (DOMAIN.md §2, §4, §6).
var Indicators = []string{
	"income", "food", "clothing", "education", "medical", "housing", "water", "procedure",
	"monitor_unstable", "monitor_edge", "monitor_sudden", "exclusion",
	"health", "living", "sanitation", "energy", "assets",
}

// MaxRules bounds a set so its outcomes fit one 63-bit mask.
const MaxRules = 62

// RuleSet is one version of a set of rules. A version that was used by an
// assessment is never changed; a change makes a new version.
type RuleSet struct {
	ID            int64  `json:"id"`
	Code          string `json:"code"`
	Version       int    `json:"version"`
	Kind          string `json:"kind"`
	Sense         string `json:"sense"`
	NameZh        string `json:"name_zh"`
	NameEn        string `json:"name_en"`
	EffectiveFrom string `json:"effective_from"` // YYYY-MM-DD
	EffectiveTo   string `json:"effective_to"`   // YYYY-MM-DD or ""
	Source        string `json:"source"`         // the document the rules come from
	// MPI only: weights are integer units of 1/Denominator, so sums are
	// exact; Cutoff, Vulnerable and Severe are fractions such as "1/3".
	Denominator int       `json:"denominator,omitempty"`
	Cutoff      string    `json:"cutoff,omitempty"`
	Vulnerable  string    `json:"vulnerable,omitempty"`
	Severe      string    `json:"severe,omitempty"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	Used        bool      `json:"used"`
	Rules       []Rule    `json:"rules"`
}

// Rule is one CEL expression of a set.
type Rule struct {
	Code       string   `json:"code"`
	Indicator  string   `json:"indicator"`
	Expression string   `json:"expression"`
	DescZh     string   `json:"desc_zh"`
	DescEn     string   `json:"desc_en"`
	Weight     int      `json:"weight,omitempty"`
	Fields     []string `json:"fields"` // facts the expression reads, filled on compile
}

// Compiled is a rule set ready to run.
type Compiled struct {
	Set      *RuleSet
	Programs []*Program
	// Fields are the facts any rule of the set reads, by catalogue index.
	Fields []int
	mask   cel.Program
	// allFast is true when every rule has a fast program.
	allFast bool
	params  uint8 // Frame.Missing bits of the parameters the set reads
}

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{1,40}$`)

// ParseFraction reads "1/3", "0.333" or "1" as an exact fraction in (0, 1].
func ParseFraction(s string) (*big.Rat, bool) {
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 || r.Cmp(big.NewRat(1, 1)) > 0 {
		return nil, false
	}
	return r, true
}

// Compile checks every field of the set and compiles its rules. Errors
// name the rule by position, as rules[2].expression.
func (rs *RuleSet) Compile() (*Compiled, error) {
	var errs []fault.FieldError
	bad := func(field, value, key string, kv ...string) {
		errs = append(errs, fault.FieldError{Field: field, Value: value, Reason: i18n.M(key, kv...)})
	}
	if !codePattern.MatchString(rs.Code) {
		bad("code", rs.Code, "reason.rule_code")
	}
	if !slices.Contains([]string{KindExit, KindMonitor, KindExclusion, KindMPI}, rs.Kind) {
		bad("kind", rs.Kind, "reason.enum")
	}
	if rs.Sense != SensePass && rs.Sense != SenseFlag {
		bad("sense", rs.Sense, "reason.enum")
	}
	if rs.NameZh == "" {
		bad("name_zh", "", "reason.required")
	}
	if rs.NameEn == "" {
		bad("name_en", "", "reason.required")
	}
	from, err := time.Parse("2006-01-02", rs.EffectiveFrom)
	if err != nil {
		bad("effective_from", rs.EffectiveFrom, "reason.date")
	}
	if rs.EffectiveTo != "" {
		if to, err := time.Parse("2006-01-02", rs.EffectiveTo); err != nil {
			bad("effective_to", rs.EffectiveTo, "reason.date")
		} else if to.Before(from) {
			bad("effective_to", rs.EffectiveTo, "reason.date_order")
		}
	}
	if len(rs.Rules) == 0 || len(rs.Rules) > MaxRules {
		bad("rules", strconv.Itoa(len(rs.Rules)), "reason.range", "min", "1", "max", strconv.Itoa(MaxRules))
	}
	c := &Compiled{Set: rs}
	seen := map[string]bool{}
	fields := map[int]bool{}
	sum := 0
	for i := range rs.Rules {
		r := &rs.Rules[i]
		at := "rules[" + strconv.Itoa(i) + "]."
		if !codePattern.MatchString(r.Code) {
			bad(at+"code", r.Code, "reason.rule_code")
		} else if seen[r.Code] {
			bad(at+"code", r.Code, "reason.duplicate")
		}
		seen[r.Code] = true
		if !slices.Contains(Indicators, r.Indicator) {
			bad(at+"indicator", r.Indicator, "reason.enum")
		}
		if r.DescZh == "" {
			bad(at+"desc_zh", "", "reason.required")
		}
		if r.DescEn == "" {
			bad(at+"desc_en", "", "reason.required")
		}
		if rs.Kind == KindMPI {
			if r.Weight <= 0 {
				bad(at+"weight", strconv.Itoa(r.Weight), "reason.range", "min", "1", "max", strconv.Itoa(rs.Denominator))
			}
			sum += r.Weight
		}
		p, err := Compile(at+"expression", r.Expression)
		if err != nil {
			if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
				errs = append(errs, fe.Fields...)
				continue
			}
			return nil, err
		}
		r.Fields = p.FieldNames()
		for _, f := range p.Fields {
			fields[f] = true
		}
		c.Programs = append(c.Programs, p)
	}
	if rs.Kind == KindMPI {
		if rs.Denominator <= 0 || sum != rs.Denominator {
			bad("denominator", strconv.Itoa(rs.Denominator), "reason.weights_sum", "sum", strconv.Itoa(sum))
		}
		for _, fr := range []struct{ field, v string }{{"cutoff", rs.Cutoff}, {"vulnerable", rs.Vulnerable}, {"severe", rs.Severe}} {
			if _, ok := ParseFraction(fr.v); !ok {
				bad(fr.field, fr.v, "reason.fraction")
			}
		}
		if rs.Sense != SenseFlag {
			bad("sense", rs.Sense, "reason.mpi_sense")
		}
	}
	if len(errs) > 0 {
		return nil, fault.Fields(errs)
	}
	for f := range fields {
		c.Fields = append(c.Fields, f)
	}
	if c.mask, err = compileMask(c.Programs, rs.Sense == SenseFlag); err != nil {
		return nil, err
	}
	c.allFast = true
	for _, p := range c.Programs {
		c.allFast = c.allFast && p.fast != nil
	}
	sort.Ints(c.Fields)
	c.params = ParamMask(c.Fields)
	return c, nil
}

// Check reports, for a row about to be judged, a parameter the set reads
// that has no value for the row's jurisdiction and year.
func (c *Compiled) Check(f *Frame, row int) error {
	missing := f.Missing[row] & c.params
	if missing == 0 {
		return nil
	}
	for b, i := range ParamFacts {
		if missing&(1<<b) != 0 {
			year := f.Int(fIncomeYear, row)
			if year == 0 {
				year = f.Int(fPeriodYear, row)
			}
			return MissingParam(Facts[i].Param, f.Village[row], int(year))
		}
	}
	return nil
}

// Eval judges one row: bit i of fail is set when rule i fails (its
// expression is false under SensePass, true under SenseFlag). A rule
// whose evaluation errs counts as failed and sets bit i of errs, so an
// error can never pass a household silently.
func (c *Compiled) Eval(a *Activation) (fail, errs uint64) {
	if c.allFast {
		flag := c.Set.Sense == SenseFlag
		var m uint64
		i := 0
		for ; i < len(c.Programs); i++ {
			v, ok := c.Programs[i].fast(a.Frame, a.Row)
			if !ok {
				break // CEL would err here: let cel-go give its answer
			}
			if v.b == flag {
				m |= 1 << i
			}
		}
		if i == len(c.Programs) {
			return m, 0
		}
	}
	return c.EvalCEL(a)
}

// EvalCEL judges one row with cel-go's interpreter only.
func (c *Compiled) EvalCEL(a *Activation) (fail, errs uint64) {
	if out, _, err := c.mask.Eval(a); err == nil {
		if m, ok := out.(types.Int); ok {
			return uint64(m), 0
		}
	}
	return c.EvalEach(a)
}

// EvalEach judges one row rule by rule with cel-go, as Eval does when the
// joined program errs, to find which rule erred.
func (c *Compiled) EvalEach(a *Activation) (fail, errs uint64) {
	flag := c.Set.Sense == SenseFlag
	for i, p := range c.Programs {
		ok, err := p.EvalCEL(a)
		if err != nil {
			errs |= 1 << i
			fail |= 1 << i
			continue
		}
		if ok == flag {
			fail |= 1 << i
		}
	}
	return fail, errs
}

// Covers reports whether the set is in force on the period's last day.
func (rs *RuleSet) Covers(p Period) bool {
	d := p.LastDay()
	return rs.EffectiveFrom <= d && (rs.EffectiveTo == "" || rs.EffectiveTo >= d)
}
