package assess

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// CheckOutcome is what a re-verification found.
type CheckOutcome struct {
	SampleID     int64             `json:"sample_id"`
	Diffs        []store.CheckDiff `json:"diffs"`
	Failed       []string          `json:"failed"` // exit rules the verifier's facts fail
	Kind         string            `json:"kind"`
	Wrong        bool              `json:"wrong"`
	Contradicted bool              `json:"contradicted"`
}

// flatten turns observations into field → value, members as
// members.<id>.<field>; only observed fields appear.
func flatten(f registry.VisitFacts) map[string]string {
	out := map[string]string{}
	put := func(prefix string, v any) {
		b, _ := json.Marshal(v)
		var m map[string]any
		json.Unmarshal(b, &m)
		for k, x := range m {
			if k == "members" || k == "risks" || k == "income" || k == "id" {
				continue
			}
			out[prefix+k] = fmt.Sprint(x)
		}
	}
	put("", f)
	for _, m := range f.Members {
		put("members."+strconv.FormatInt(m.ID, 10)+".", m)
	}
	return out
}

// Check records a re-verification of a sampled household (抽查): the
// verifier's observations are compared field by field with the paired
// cadre's last visit (or, for a field that visit did not observe, with
// the registry), and judged against the exit set in force. An exited
// household that fails is wrongly exited; one outside the registry that
// fails was missed; a cadre whose last visit said "no problem" is flagged
// when the check finds a difference or a failure.
func (a *Assessor) Check(ctx context.Context, p auth.Principal, sampleID int64, facts registry.VisitFacts, note string) (*CheckOutcome, error) {
	c, err := a.S.SampleForCheck(ctx, p, sampleID)
	if err != nil {
		return nil, err
	}
	period, err := policy.ParsePeriod(c.Sample.Period)
	if err != nil {
		return nil, err
	}
	h := c.Household
	h.Members = append([]registry.Member(nil), c.Household.Members...)
	seen := flatten(facts)
	want := flatten(registry.FactsOf(&c.Household))
	if c.LastVisit != nil {
		for k, v := range flatten(c.LastVisit.Facts) {
			want[k] = v
		}
	}
	out := &CheckOutcome{SampleID: sampleID, Diffs: []store.CheckDiff{}, Failed: []string{}}
	for k, v := range seen {
		if w, ok := want[k]; ok && w != v {
			out.Diffs = append(out.Diffs, store.CheckDiff{Field: k, CadreValue: w, VerifierValue: v})
		}
	}
	sort.Slice(out.Diffs, func(i, j int) bool { return out.Diffs[i].Field < out.Diffs[j].Field })
	if _, errs := facts.Apply(&h); len(errs) > 0 {
		return nil, fault.Fields(errs)
	}
	if facts.Income != nil {
		h.Incomes = append(h.Incomes, *facts.Income)
	}
	sets, params, err := a.inForce(ctx, period)
	if err != nil {
		return nil, err
	}
	f := policy.NewFrame(1)
	row := f.AddRow(h.ID, h.VillageCode)
	if err := policy.Derive(f, row, &h, params, period); err != nil {
		return nil, err
	}
	act := &policy.Activation{Frame: f, Row: row}
	for _, cs := range sets {
		if cs.Set.Kind != policy.KindExit {
			continue
		}
		fail, _ := cs.Eval(act)
		for i, r := range cs.Set.Rules {
			if fail&(1<<i) != 0 && r.Indicator != "procedure" {
				out.Failed = append(out.Failed, r.Code)
			}
		}
	}
	switch h.Status {
	case "exited":
		out.Kind, out.Wrong = "exited", len(out.Failed) > 0
	case "non_poor":
		out.Kind, out.Wrong = "unregistered", len(out.Failed) > 0
	}
	out.Contradicted = c.LastVisit != nil && c.LastVisit.NoProblem && (len(out.Diffs) > 0 || len(out.Failed) > 0)
	err = a.S.CompleteCheck(ctx, p, c, store.CheckResult{Diffs: out.Diffs, Wrong: out.Wrong, Kind: out.Kind, Contradicted: out.Contradicted, Note: note})
	return out, err
}
