package assess

import (
	"context"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
	"tuopin/internal/store"
)

// Rate is a measured ratio against its threshold. A nil *Rate means there
// is no data to measure it from, which is shown as such, never as zero.
type Rate struct {
	Numerator   int64   `json:"numerator"`
	Denominator int64   `json:"denominator"`
	Value       float64 `json:"value"`
	Limit       float64 `json:"limit"` // the threshold, as a fraction
	Rule        string  `json:"rule"`  // lt, le or ge: how Value must compare with Limit
	OK          bool    `json:"ok"`
}

// rate builds a Rate; limitBP is the threshold in basis points.
func rate(num, den, limitBP int64, rule string) *Rate {
	if den <= 0 {
		return nil
	}
	r := &Rate{Numerator: num, Denominator: den, Value: float64(num) / float64(den), Limit: float64(limitBP) / 10000, Rule: rule}
	// Compare exactly: num/den against limitBP/10000.
	lhs, rhs := num*10000, limitBP*den
	switch rule {
	case "lt":
		r.OK = lhs < rhs
	case "le":
		r.OK = lhs <= rhs
	case "ge":
		r.OK = lhs >= rhs
	}
	return r
}

// AreaExit is the exit evaluation of one area (贫困退出): the registered
// population, who is still poor, who now meets the exit standard, and the
// indicators an evaluation judges with their thresholds.
type AreaExit struct {
	Code               string `json:"code"`
	Name               string `json:"name"`
	Level              string `json:"level"`
	Households         int64  `json:"households"`
	Persons            int64  `json:"persons"`
	PoorHouseholds     int64  `json:"poor_households"`
	PoorPersons        int64  `json:"poor_persons"`
	EligibleHouseholds int64  `json:"eligible_households"`
	EligiblePersons    int64  `json:"eligible_persons"`
	ExitedHouseholds   int64  `json:"exited_households"`
	ExitedPersons      int64  `json:"exited_persons"`
	RuralPopulation    *int64 `json:"rural_population"`
	Incidence          *Rate  `json:"incidence"`
	IncidenceAfterExit *Rate  `json:"incidence_after_exit"`
	WrongfulExit       *Rate  `json:"wrongful_exit"`
	Missed             *Rate  `json:"missed"`
	Approval           *Rate  `json:"approval"`
	// Ready is nil when an indicator has no data.
	Ready *bool `json:"ready"`
}

// HouseholdExit is one household's exit eligibility (户脱贫).
type HouseholdExit struct {
	HouseholdID int64    `json:"household_id"`
	Status      string   `json:"status"`
	Persons     int      `json:"persons"`
	Eligible    bool     `json:"eligible"`
	Failed      []string `json:"failed"`
}

// ExitReport rolls the exit findings of a period up from household to
// village to county for an area.
type ExitReport struct {
	Period     string          `json:"period"`
	RuleSetID  int64           `json:"ruleset_id"`
	RuleSet    string          `json:"ruleset"`
	Version    int             `json:"version"`
	Area       AreaExit        `json:"area"`
	Rows       []AreaExit      `json:"rows"`
	Households []HouseholdExit `json:"households,omitempty"`
}

// scopedArea narrows area to the principal's scope; outside it is 404.
func scopedArea(p auth.Principal, area string) (string, error) {
	switch {
	case area == "":
		return p.Area, nil
	case strings.HasPrefix(area, p.Area):
		return area, nil
	}
	return "", fault.New(fault.NotFound, "error.not_found")
}

// period resolves an empty period to the latest assessed in area.
func (a *Assessor) period(ctx context.Context, area, period string) (string, error) {
	if period != "" {
		_, err := policy.ParsePeriod(period)
		return period, err
	}
	ps, err := a.S.Periods(ctx, area)
	if err != nil {
		return "", err
	}
	if len(ps) == 0 {
		return "", fault.New(fault.NotFound, "error.no_assessment", "period", "")
	}
	return ps[0], nil
}

// setOfPeriod finds the version of a kind (and code, when given) that a
// period's findings in area were made with; the latest when several.
func (a *Assessor) setOfPeriod(ctx context.Context, area, period, kind, code string) (*policy.Compiled, error) {
	used, err := a.S.RuleSetsOfPeriod(ctx, period, area)
	if err != nil {
		return nil, err
	}
	var best *policy.Compiled
	for _, id := range used {
		c, err := a.compiledByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if c.Set.Kind == kind && (code == "" || c.Set.Code == code) && (best == nil || c.Set.ID > best.Set.ID) {
			best = c
		}
	}
	if best == nil {
		return nil, fault.New(fault.NotFound, "error.no_assessment", "period", period)
	}
	return best, nil
}

func isPoor(status string) bool {
	return status == "poor" || status == "pre_exit" || status == "returned"
}

// ExitReport builds the roll-up for area and period (latest when empty).
func (a *Assessor) ExitReport(ctx context.Context, p auth.Principal, area, period string) (*ExitReport, error) {
	v, err := a.S.Memo(ctx, func() (any, error) { return a.exitReport(ctx, p, area, period) }, "exit", p.Area, area, period)
	if err != nil {
		return nil, err
	}
	return v.(*ExitReport), nil
}

func (a *Assessor) exitReport(ctx context.Context, p auth.Principal, area, period string) (*ExitReport, error) {
	area, err := scopedArea(p, area)
	if err != nil {
		return nil, err
	}
	div := a.S.Divisions()
	self, ok := div.Get(area)
	if area != "" && !ok {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	if period, err = a.period(ctx, area, period); err != nil {
		return nil, err
	}
	c, err := a.setOfPeriod(ctx, area, period, policy.KindExit, "")
	if err != nil {
		return nil, err
	}
	year, _ := strconv.Atoi(period[:4])
	groups, err := a.S.StatusGroups(ctx, c.Set.ID, period, area)
	if err != nil {
		return nil, err
	}
	pops, err := a.S.VillagePopulations(ctx, area, year)
	if err != nil {
		return nil, err
	}
	samples, err := a.S.VerificationCounts(ctx, area, period)
	if err != nil {
		return nil, err
	}
	surveys, err := a.S.SurveyCounts(ctx, area, period)
	if err != nil {
		return nil, err
	}
	params, err := a.S.Params(ctx)
	if err != nil {
		return nil, err
	}
	rep := &ExitReport{Period: period, RuleSetID: c.Set.ID, RuleSet: c.Set.Code, Version: c.Set.Version, Rows: []AreaExit{}}

	// Villages are the unit every total is built from.
	type village struct {
		g                             AreaExit
		exitedSample, exitedWrong     int64
		unregSampled                  bool
		unregWrong, surveyed, approve int64
	}
	vs := map[string]*village{}
	get := func(code string) *village {
		v := vs[code]
		if v == nil {
			v = &village{g: AreaExit{Code: code}}
			vs[code] = v
		}
		return v
	}
	for _, g := range groups {
		v := get(g.Village)
		if g.Status == "non_poor" {
			continue
		}
		v.g.Households += g.Households
		v.g.Persons += g.Persons
		switch {
		case isPoor(g.Status):
			v.g.PoorHouseholds += g.Households
			v.g.PoorPersons += g.Persons
			if g.Pass {
				v.g.EligibleHouseholds += g.Households
				v.g.EligiblePersons += g.Persons
			}
		case g.Status == "exited":
			v.g.ExitedHouseholds += g.Households
			v.g.ExitedPersons += g.Persons
		}
	}
	for code, n := range pops {
		n := n
		get(code).g.RuralPopulation = &n
	}
	for _, s := range samples {
		v := get(s.Village)
		if s.Kind == "exited" {
			v.exitedSample += s.Persons
			v.exitedWrong += s.Wrong
		} else {
			v.unregSampled = true
			v.unregWrong += s.Wrong
		}
	}
	for _, s := range surveys {
		v := get(s.Village)
		v.surveyed += s.Surveyed
		v.approve += s.Approves
	}

	// sum adds up the villages under prefix and judges the result at level.
	sum := func(prefix, level string) AreaExit {
		out := AreaExit{Code: prefix, Level: level}
		if d, ok := div.Get(prefix); ok {
			out.Name = d.Name
		}
		var pop, exitedSample, exitedWrong, unregPop, unregWrong, surveyed, approve int64
		popKnown, unregKnown, anyUnreg := true, true, false
		n := 0
		for code, v := range vs {
			if !strings.HasPrefix(code, prefix) {
				continue
			}
			n++
			g := v.g
			out.Households += g.Households
			out.Persons += g.Persons
			out.PoorHouseholds += g.PoorHouseholds
			out.PoorPersons += g.PoorPersons
			out.EligibleHouseholds += g.EligibleHouseholds
			out.EligiblePersons += g.EligiblePersons
			out.ExitedHouseholds += g.ExitedHouseholds
			out.ExitedPersons += g.ExitedPersons
			if g.RuralPopulation == nil {
				if g.Persons > 0 {
					popKnown = false
				}
			} else {
				pop += *g.RuralPopulation
			}
			exitedSample += v.exitedSample
			exitedWrong += v.exitedWrong
			if v.unregSampled {
				anyUnreg = true
				if g.RuralPopulation == nil {
					unregKnown = false
				} else {
					unregPop += *g.RuralPopulation - g.Persons
				}
				unregWrong += v.unregWrong
			}
			surveyed += v.surveyed
			approve += v.approve
		}
		if n == 0 {
			popKnown = false
		}
		kind, rule := policy.ParamCountyRate, "le"
		if level == division.Village {
			kind, rule = policy.ParamVillageRate, "lt"
		}
		limit := func(k string) int64 {
			pr, _ := params.Lookup(k, prefix, year)
			return pr.Value
		}
		if popKnown && pop > 0 {
			out.RuralPopulation = &pop
			out.Incidence = rate(out.PoorPersons, pop, limit(kind), rule)
			out.IncidenceAfterExit = rate(out.PoorPersons-out.EligiblePersons, pop, limit(kind), rule)
		}
		if level != division.Village {
			out.WrongfulExit = rate(exitedWrong, exitedSample, limit(policy.ParamWrongfulExit), "le")
			if anyUnreg && unregKnown {
				out.Missed = rate(unregWrong, unregPop, limit(policy.ParamMissed), "le")
			}
			out.Approval = rate(approve, surveyed, limit(policy.ParamApproval), "ge")
		}
		var checks []*Rate
		if level == division.Village {
			checks = []*Rate{out.Incidence}
		} else {
			checks = []*Rate{out.Incidence, out.WrongfulExit, out.Missed, out.Approval}
		}
		ready, known := true, true
		for _, r := range checks {
			if r == nil {
				known = false
			} else if !r.OK {
				ready = false
			}
		}
		if !ready || known {
			out.Ready = &ready
		}
		return out
	}
	level := self.Level
	if area == "" {
		level = "country"
	}
	rep.Area = sum(area, level)
	if level == division.Village {
		hh, err := a.householdExits(ctx, p, c, area, period)
		if err != nil {
			return nil, err
		}
		rep.Households = hh
		return rep, nil
	}
	children := div.Children(area)
	for _, ch := range children {
		rep.Rows = append(rep.Rows, sum(ch.Code, ch.Level))
	}
	return rep, nil
}

// householdExits lists a village's households with their eligibility.
func (a *Assessor) householdExits(ctx context.Context, p auth.Principal, c *policy.Compiled, village, period string) ([]HouseholdExit, error) {
	out := []HouseholdExit{}
	err := a.S.EachFinding(ctx, village, period, func(fd *store.Finding) error {
		if fd.RuleSetID != c.Set.ID {
			return nil
		}
		h := HouseholdExit{HouseholdID: fd.HouseholdID, Status: fd.Status, Persons: fd.Persons, Failed: []string{}}
		for i, r := range c.Set.Rules {
			if fd.Fail&(1<<i) != 0 {
				h.Failed = append(h.Failed, r.Code)
			}
		}
		h.Eligible = isPoor(fd.Status) && fd.Fail == 0
		out = append(out, h)
		return nil
	})
	return out, err
}

// MPIReport is the measure for an area with the version it came from.
type MPIReport struct {
	Period    string `json:"period"`
	RuleSetID int64  `json:"ruleset_id"`
	RuleSet   string `json:"ruleset"`
	Version   int    `json:"version"`
	policy.MPI
}

// MPI measures multidimensional poverty for area and period with the MPI
// set code (mpi-global when empty) at cutoff k (the set's own when empty),
// from the stored deprivation findings, broken down by sub-area.
func (a *Assessor) MPI(ctx context.Context, p auth.Principal, area, period, code, k string) (*MPIReport, error) {
	v, err := a.S.Memo(ctx, func() (any, error) { return a.mpi(ctx, p, area, period, code, k) }, "mpi", p.Area, area, period, code, k)
	if err != nil {
		return nil, err
	}
	return v.(*MPIReport), nil
}

func (a *Assessor) mpi(ctx context.Context, p auth.Principal, area, period, code, k string) (*MPIReport, error) {
	area, err := scopedArea(p, area)
	if err != nil {
		return nil, err
	}
	if _, ok := a.S.Divisions().Get(area); area != "" && !ok {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	if code == "" {
		code = "mpi-global"
	}
	if period, err = a.period(ctx, area, period); err != nil {
		return nil, err
	}
	c, err := a.setOfPeriod(ctx, area, period, policy.KindMPI, code)
	if err != nil {
		return nil, err
	}
	if k == "" {
		k = c.Set.Cutoff
	}
	cut, ok := policy.ParseFraction(k)
	if !ok {
		return nil, fault.Fields([]fault.FieldError{{Field: "k", Value: k, Reason: i18n.M("reason.fraction")}})
	}
	sub := map[int]int{0: 2, 2: 4, 4: 6, 6: 9, 9: 12, 12: 12}[len(area)]
	groups, err := a.S.MaskGroups(ctx, c.Set.ID, period, area, sub)
	if err != nil {
		return nil, err
	}
	m := policy.ComputeMPI(c.Set, new(big.Rat).Set(cut), area, groups)
	if len(area) == 12 {
		m.SubAreas = nil
	}
	sort.Slice(m.SubAreas, func(i, j int) bool { return m.SubAreas[i].Area < m.SubAreas[j].Area })
	return &MPIReport{Period: period, RuleSetID: c.Set.ID, RuleSet: c.Set.Code, Version: c.Set.Version, MPI: m}, nil
}
