package assess

import (
	"context"

	"tuopin/internal/auth"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
)

// Stability judges a household's recorded facts of each of the
// registry.EliminationMonths months ending with period against the
// monitoring set in force in that month: a month passes when no
// monitoring rule fires (income above the range, rigid spending covered,
// guarantees held). The facts come from the month's stored snapshot, so
// the answer does not change when the registry does.
func (a *Assessor) Stability(ctx context.Context, p auth.Principal, householdID int64, period policy.Period) ([]registry.StableMonth, error) {
	f := policy.NewFrame(1)
	act := &policy.Activation{Frame: f}
	pc, line := policy.FactIndex["per_capita_income"], policy.FactIndex["monitoring_line"]
	start := period.Start().AddDate(0, 1-registry.EliminationMonths, 0)
	out := make([]registry.StableMonth, 0, registry.EliminationMonths)
	for i := 0; i < registry.EliminationMonths; i++ {
		m := policy.PeriodOf(start.AddDate(0, i, 0))
		sm := registry.StableMonth{Period: m.String()}
		finds, err := a.S.Findings(ctx, p, householdID, m.String())
		if err != nil {
			return nil, err
		}
		sets, _, err := a.inForce(ctx, m)
		if err != nil {
			return nil, err
		}
		var mon *policy.Compiled
		for _, c := range sets {
			if c.Set.Kind == policy.KindMonitor {
				mon = c
				break
			}
		}
		if len(finds) > 0 && mon != nil {
			f.Reset()
			act.Row = f.AddRow(finds[0].HouseholdID, finds[0].Village)
			if err := f.LoadSnapshot(act.Row, finds[0].Snapshot); err != nil {
				return nil, err
			}
			fail, _ := mon.Eval(act)
			sm.Assessed, sm.Passed = true, fail == 0
			sm.PerCapita, sm.Line = f.Int(pc, act.Row), f.Int(line, act.Row)
			for j, r := range mon.Set.Rules {
				if fail&(1<<j) != 0 {
					sm.Failed = append(sm.Failed, r.Code)
				}
			}
		}
		out = append(out, sm)
	}
	return out, nil
}

// ActOnCase takes a step of a monitoring case. For risk elimination the
// stability of the last six months is judged here, from the stored facts,
// and whatever the caller sent in its place is ignored.
func (a *Assessor) ActOnCase(ctx context.Context, p auth.Principal, id int64, act registry.CaseAction) (registry.Case, error) {
	if act.Action == "eliminate" {
		c, err := a.S.Case(ctx, p, id)
		if err != nil {
			return c, err
		}
		act.Stable, err = a.Stability(ctx, p, c.HouseholdID, policy.PeriodOf(a.now()))
		if err != nil {
			return c, err
		}
	} else {
		act.Stable = nil
	}
	return a.S.ActOnCase(ctx, p, id, act)
}
