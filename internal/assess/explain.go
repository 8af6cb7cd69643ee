package assess

import (
	"context"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/policy"
	"tuopin/internal/store"
)

// Input is one fact a rule read, with the value it had.
type Input struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
	Money bool   `json:"money,omitempty"` // in fen
}

// RuleOutcome explains one rule for one household and period.
type RuleOutcome struct {
	Code       string  `json:"code"`
	Indicator  string  `json:"indicator"`
	Expression string  `json:"expression"`
	DescZh     string  `json:"desc_zh"`
	DescEn     string  `json:"desc_en"`
	Weight     int     `json:"weight,omitempty"`
	Outcome    string  `json:"outcome"` // pass, fail or error
	Inputs     []Input `json:"inputs"`
}

// SetOutcome is one rule-set version's findings for a household.
type SetOutcome struct {
	RuleSetID  int64         `json:"ruleset_id"`
	Code       string        `json:"code"`
	Version    int           `json:"version"`
	Kind       string        `json:"kind"`
	Sense      string        `json:"sense"`
	NameZh     string        `json:"name_zh"`
	NameEn     string        `json:"name_en"`
	Passed     bool          `json:"passed"` // every rule passed
	Failed     []string      `json:"failed"`
	AssessedAt string        `json:"assessed_at"`
	Rules      []RuleOutcome `json:"rules"`
}

// Explanation is why each rule passed or failed for a household in a
// period, with the inputs it read and the version it belongs to.
type Explanation struct {
	HouseholdID int64        `json:"household_id"`
	Period      string       `json:"period"`
	Status      string       `json:"status"`
	Village     string       `json:"village_code"`
	Persons     int          `json:"persons"`
	Sets        []SetOutcome `json:"sets"`
}

// Explain returns the stored findings of a household for period (the
// latest assessed period when empty), within the principal's scope.
func (a *Assessor) Explain(ctx context.Context, p auth.Principal, householdID int64, period string) (*Explanation, error) {
	if period != "" {
		if _, err := policy.ParsePeriod(period); err != nil {
			return nil, err
		}
	}
	// The household itself must be in scope, or the answer is 404.
	if err := a.S.InScope(ctx, p, householdID); err != nil {
		return nil, err
	}
	finds, err := a.S.Findings(ctx, p, householdID, period)
	if err != nil {
		return nil, err
	}
	if len(finds) == 0 {
		return nil, fault.New(fault.NotFound, "error.no_assessment", "period", period)
	}
	ex := &Explanation{HouseholdID: householdID, Period: finds[0].Period, Status: finds[0].Status, Village: finds[0].Village, Persons: finds[0].Persons}
	f := policy.NewFrame(1)
	for _, fd := range finds {
		c, err := a.compiledByID(ctx, fd.RuleSetID)
		if err != nil {
			return nil, err
		}
		f.Reset()
		row := f.AddRow(fd.HouseholdID, fd.Village)
		if err := f.LoadSnapshot(row, fd.Snapshot); err != nil {
			return nil, err
		}
		rs := c.Set
		so := SetOutcome{RuleSetID: rs.ID, Code: rs.Code, Version: rs.Version, Kind: rs.Kind, Sense: rs.Sense, NameZh: rs.NameZh, NameEn: rs.NameEn,
			Passed: fd.Fail == 0, Failed: []string{}, AssessedAt: fd.AssessedAt}
		for i, r := range rs.Rules {
			ro := RuleOutcome{Code: r.Code, Indicator: r.Indicator, Expression: r.Expression, DescZh: r.DescZh, DescEn: r.DescEn, Weight: r.Weight, Outcome: "pass"}
			switch {
			case fd.Errs&(1<<i) != 0:
				ro.Outcome = "error"
				so.Failed = append(so.Failed, r.Code)
			case fd.Fail&(1<<i) != 0:
				ro.Outcome = "fail"
				so.Failed = append(so.Failed, r.Code)
			}
			for _, fi := range c.Programs[i].Fields {
				fc := policy.Facts[fi]
				ro.Inputs = append(ro.Inputs, Input{Name: fc.Name, Value: f.Value(fi, row), Money: fc.Money})
			}
			so.Rules = append(so.Rules, ro)
		}
		ex.Sets = append(ex.Sets, so)
	}
	return ex, nil
}

// Mismatch is a finding a replay did not reproduce.
type Mismatch struct {
	HouseholdID int64  `json:"household_id"`
	RuleSetID   int64  `json:"ruleset_id"`
	Stored      uint64 `json:"stored_mask"`
	Replayed    uint64 `json:"replayed_mask"`
}

// ReplayResult says how many stored findings a replay reproduced.
type ReplayResult struct {
	Period     string     `json:"period"`
	Findings   int        `json:"findings"`
	Identical  int        `json:"identical"`
	Mismatches []Mismatch `json:"mismatches"` // the first 100
}

// Replay judges a period's stored snapshots again with the versions that
// produced them and compares the outcomes with those stored. Nothing is
// written. A period whose registry has changed since is still reproduced:
// the snapshot, not today's registry, holds the inputs.
func (a *Assessor) Replay(ctx context.Context, p auth.Principal, period policy.Period) (*ReplayResult, error) {
	res := &ReplayResult{Period: period.String(), Mismatches: []Mismatch{}}
	f := policy.NewFrame(1)
	act := &policy.Activation{Frame: f}
	err := a.S.EachFinding(ctx, p.Area, period.String(), func(fd *store.Finding) error {
		c, err := a.compiledByID(ctx, fd.RuleSetID)
		if err != nil {
			return err
		}
		f.Reset()
		row := f.AddRow(fd.HouseholdID, fd.Village)
		if err := f.LoadSnapshot(row, fd.Snapshot); err != nil {
			return err
		}
		act.Row = row
		var fail uint64
		if err := c.Check(f, row); err != nil {
			fail = uint64(1)<<len(c.Programs) - 1
		} else {
			fail, _ = c.Eval(act)
		}
		res.Findings++
		if fail == fd.Fail {
			res.Identical++
		} else if len(res.Mismatches) < 100 {
			res.Mismatches = append(res.Mismatches, Mismatch{fd.HouseholdID, fd.RuleSetID, fd.Fail, fail})
		}
		return nil
	})
	return res, err
}
