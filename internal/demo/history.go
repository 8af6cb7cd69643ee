package demo

import (
	"context"
	"fmt"
	"time"

	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// HistoryResult counts what a year of history wrote.
type HistoryResult struct {
	Months, Visits, Fixes, Risks, Plans, Verified, Reopened, Cases, Eliminated, Samples int
}

// pairedCadre is a household's current cadre, as the history needs it.
type pairedCadre struct {
	id       int64
	username string
}

// history plays months of work on a freshly loaded county, one month at
// a time with the store's clock set inside that month: every household
// visited by its paired cadre (a few missed); measures planned for open
// items; cadres' visits that fix what was planned; risks that open new
// items and monitoring leads; the month assessed and its items synced;
// resolved items verified by the township; a sample re-verified; cases
// taken through their steps. Everything a visit changes goes through
// RecordVisit and everything else through the store's own steps, so the
// history obeys the same rules a user does; only routine visits that
// observed nothing new are written in bulk.
type history struct {
	g      *Generator
	s      *store.Store
	a      *assess.Assessor
	refs   []HouseholdRef
	cadre  map[int64]pairedCadre
	res    HistoryResult
	log    func(string)
	county string
	// recovered marks cases whose household's recovery visit is done.
	recovered map[int64]bool
	byID      map[int64]HouseholdRef
}

// monthDay is the clock inside a past month: its 28th, late afternoon.
func monthDay(p policy.Period) time.Time {
	return time.Date(p.Year, time.Month(p.Month), 28, 17, 0, 0, 0, time.UTC)
}

func (h *history) run(ctx context.Context, months int) error {
	h.byID = make(map[int64]HouseholdRef, len(h.refs))
	for _, r := range h.refs {
		h.byID[r.ID] = r
	}
	clock := h.s.Clock()
	defer h.s.SetClock(clock)
	now := clock()
	first := policy.PeriodOf(now.AddDate(0, 1-months, 0))
	for m := 0; m < months; m++ {
		p := policy.PeriodOf(first.Start().AddDate(0, m, 0))
		last := m == months-1
		at := monthDay(p)
		if last {
			at = now
		}
		h.s.SetClock(func() time.Time { return at })
		start := time.Now()
		if err := h.month(ctx, p, at, last); err != nil {
			return fmt.Errorf("demo history %s: %w", p, err)
		}
		h.res.Months++
		if h.log != nil {
			h.log(fmt.Sprintf("%s: %.1f s", p, time.Since(start).Seconds()))
		}
	}
	return nil
}

func (h *history) cadrePrincipal(hh HouseholdRef) auth.Principal {
	return auth.Principal{Username: h.cadre[hh.ID].username, Role: auth.PairedCadre, Area: hh.VillageCode}
}

// day is a day of the month p no later than at.
func (h *history) day(p policy.Period, at time.Time) string {
	last := 28
	if at.Year() == p.Year && int(at.Month()) == p.Month {
		last = at.Day()
	}
	return fmt.Sprintf("%s-%02d", p, 1+h.g.rng.IntN(last))
}

func (h *history) month(ctx context.Context, p policy.Period, at time.Time, last bool) error {
	n := len(h.refs)
	special := map[int64]bool{} // households whose visit this month goes through RecordVisit
	byID := h.byID
	county := auth.System("demo")

	// Measures planned for open items (帮扶措施).
	open, err := h.s.ListShortfalls(ctx, county, store.ShortfallFilter{Status: registry.ShortfallOpen, Limit: max(20, n/300)})
	if err != nil {
		return err
	}
	for _, x := range open {
		a := store.ShortfallAction{Action: "plan", Version: x.Version, Category: measureFor[x.Indicator], Cost: int64(500+h.g.rng.IntN(20000)) * 100,
			Unit: units[h.g.rng.IntN(len(units))].name}
		if _, err := h.s.ActOnShortfall(ctx, h.cadrePrincipal(byID[x.HouseholdID]), x.ID, a); err != nil {
			return err
		}
		h.res.Plans++
	}

	// Visits that carry out planned measures: the facts change, the
	// household is re-assessed, its items resolve.
	planned, err := h.s.ListShortfalls(ctx, county, store.ShortfallFilter{Status: registry.ShortfallInProgress, Limit: max(20, n/250)})
	if err != nil {
		return err
	}
	indicators := map[int64][]string{}
	var order []int64
	for _, x := range planned {
		if indicators[x.HouseholdID] == nil {
			order = append(order, x.HouseholdID)
		}
		indicators[x.HouseholdID] = append(indicators[x.HouseholdID], x.Indicator)
	}
	for _, id := range order {
		if h.g.chance(25) {
			continue // not this month
		}
		hh, err := h.s.GetHousehold(ctx, county, id)
		if err != nil {
			return err
		}
		v := registry.Visit{HouseholdID: id, Date: h.day(p, at), Kind: "in_person", Facts: fixFacts(&hh, indicators[id], p), Notes: "帮扶措施已落实"}
		if err := h.visit(ctx, byID[id], &v); err != nil {
			return err
		}
		special[id] = true
		h.res.Fixes++
	}

	// Risks seen on visits: illness, disaster, lost work. They open items
	// and monitoring leads (干部排查).
	for i := 0; i < max(2, n/2000); i++ {
		r := h.refs[h.g.rng.IntN(n)]
		if special[r.ID] {
			continue
		}
		hh, err := h.s.GetHousehold(ctx, county, r.ID)
		if err != nil {
			return err
		}
		v := registry.Visit{HouseholdID: r.ID, Date: h.day(p, at), Kind: "in_person"}
		h.riskFacts(&hh, &v, p)
		if err := h.visit(ctx, r, &v); err != nil {
			return err
		}
		special[r.ID] = true
		h.res.Risks++
	}

	// Routine visits by each paired cadre; a few households are missed,
	// more in one lagging township.
	vb, err := h.s.BeginVisits(ctx, county)
	if err != nil {
		return err
	}
	lagging := h.refs[0].VillageCode[:9]
	for _, r := range h.refs {
		if special[r.ID] {
			continue
		}
		miss := 2.0
		if r.VillageCode[:9] == lagging {
			miss = 15
		}
		if h.g.chance(miss) {
			continue
		}
		c := h.cadre[r.ID]
		kind := "in_person"
		if h.g.chance(12) {
			kind = "phone"
		}
		v := registry.Visit{County: r.VillageCode[:6], HouseholdID: r.ID, VillageCode: r.VillageCode, Period: p.String(), Kind: kind,
			Visitor: c.username, CadreID: c.id, PairedCadreID: c.id, NoProblem: h.g.chance(85)}
		v.Date = h.day(p, at)
		if err := vb.Add(&v); err != nil {
			vb.Rollback()
			return err
		}
		h.res.Visits++
	}
	if err := vb.Commit(); err != nil {
		return err
	}

	// The month's assessment (一月一研判) and its items. Past months are
	// judged by the exit standard; this month by every set in force.
	opt := assess.Options{}
	if !last {
		opt.Sets = []string{"exit-2016"}
	}
	if _, err := h.a.Period(ctx, county, p, opt); err != nil {
		return err
	}
	if _, err := h.a.SyncShortfalls(ctx, county, p); err != nil {
		return err
	}

	// The township verifies resolved items (一月一解决), now and then
	// reopening one the household says is not done.
	resolved, err := h.s.ListShortfalls(ctx, county, store.ShortfallFilter{Status: registry.ShortfallResolved, Limit: max(20, n/300)})
	if err != nil {
		return err
	}
	for _, x := range resolved {
		town := auth.Principal{Username: "zhen-" + x.VillageCode[:9], Role: auth.TownshipOfficer, Area: x.VillageCode[:9]}
		a := store.ShortfallAction{Action: "verify", Version: x.Version}
		if h.g.chance(4) {
			a = store.ShortfallAction{Action: "reopen", Version: x.Version, Reason: "入户核验：措施未落实到位"}
			h.res.Reopened++
		} else {
			h.res.Verified++
		}
		if _, err := h.s.ActOnShortfall(ctx, town, x.ID, a); err != nil {
			return err
		}
	}

	if err := h.sample(ctx, p); err != nil {
		return err
	}
	return h.cases(ctx, p, at)
}

// visit records a visit through the store as the paired cadre. The API
// re-assesses the household at once; here the month's full run, later in
// the same month, does.
func (h *history) visit(ctx context.Context, r HouseholdRef, v *registry.Visit) error {
	return h.s.RecordVisit(ctx, h.cadrePrincipal(r), v)
}

// measureFor is the measure category a cadre plans for an indicator.
var measureFor = map[string]string{
	"income": "employment", "food": "safety_net", "clothing": "safety_net", "education": "education",
	"medical": "health", "housing": "housing", "water": "other",
}

// fixFacts are what a visit sees once the measures for indicators are
// done: insurance paid, the house repaired, water piped, the child back
// in school, wages from a job.
func fixFacts(hh *registry.Household, indicators []string, p policy.Period) registry.VisitFacts {
	var f registry.VisitFacts
	yes := true
	for _, ind := range indicators {
		switch ind {
		case "food":
			f.FoodSecure = &yes
		case "clothing":
			f.ClothingSecure = &yes
		case "housing":
			g := "B"
			f.HousingGrade = &g
		case "water":
			src, litres, q, zero := "tap", 60, "tested", 0
			f.WaterSource, f.WaterLitres, f.WaterQuality, f.WaterMinutes, f.WaterOutageDays = &src, &litres, &q, &zero, &zero
		case "income":
			size := 0
			for _, m := range hh.Members {
				if !m.Deceased {
					size++
				}
			}
			f.Income = &registry.Income{Year: p.Year, Wages: int64(max(size, 1)) * 1_000_000, Transfers: 60_000}
		case "medical", "education":
			for _, m := range hh.Members {
				if m.Deceased {
					continue
				}
				mf := registry.MemberFacts{ID: m.ID}
				if ind == "medical" {
					mf.MedicalInsurance, mf.CriticalInsurance = &yes, &yes
				} else if m.StudentStatus == "dropped_out" {
					st := "junior"
					if m.Health == "serious" || m.Health == "disabled" {
						st = "home_teaching" // 送教上门
					}
					mf.StudentStatus = &st
				} else {
					continue
				}
				f.Members = append(f.Members, mf)
			}
		}
	}
	return f
}

// riskFacts fills a visit that finds a risk: serious illness, a disaster
// that damaged the house, or lost work that halved the wages.
func (h *history) riskFacts(hh *registry.Household, v *registry.Visit, p policy.Period) {
	switch h.g.pick(40, 30, 30) {
	case 0:
		for _, m := range hh.Members {
			if !m.Deceased {
				health := "serious"
				v.Facts.Members = []registry.MemberFacts{{ID: m.ID, Health: &health}}
				break
			}
		}
		v.Facts.Risks, v.Notes = []string{"illness"}, "家庭成员患大病住院"
	case 1:
		g := "C"
		v.Facts.HousingGrade = &g
		v.Facts.Risks, v.Notes = []string{"disaster"}, "暴雨致房屋受损"
	default:
		var cur registry.Income
		for _, in := range hh.Incomes {
			if in.Year <= p.Year && in.Year >= cur.Year {
				cur = in
			}
		}
		cur.Year, cur.Wages, cur.Net, cur.PerCapita = p.Year, cur.Wages/3, 0, 0
		v.Facts.Income = &cur
		v.Facts.Risks, v.Notes = []string{"unemployment"}, "务工人员返乡失业"
	}
}

// sample draws the month's re-verification sample (抽查), one household a
// village, and checks each: the verifier mostly sees what the cadre
// recorded, and now and then a house worse than recorded.
func (h *history) sample(ctx context.Context, p policy.Period) error {
	verifier := auth.Principal{Username: "demo-verifier", Role: auth.Verifier, Area: h.county}
	xs, err := h.s.DrawSample(ctx, verifier, p.String(), "", 1, int64(p.Year*100+p.Month))
	if err != nil {
		return err
	}
	for _, x := range xs {
		hh, err := h.s.GetHousehold(ctx, verifier, x.HouseholdID)
		if err != nil {
			return err
		}
		food, grade := hh.FoodSecure, hh.HousingGrade
		if h.g.chance(6) && (grade == "A" || grade == "B") {
			grade = "C"
		}
		facts := registry.VisitFacts{FoodSecure: &food, HousingGrade: &grade}
		if _, err := h.a.Check(ctx, verifier, x.ID, facts, "入户核查"); err != nil {
			return err
		}
		h.res.Samples++
	}
	return nil
}

// cases opens a few leads by the households' own reports and a
// department's file, takes this month's leads through identification
// (most within the 15 days, some rejected at the check), gives monitored
// households measures, and eliminates the risk of those stable for six
// months.
func (h *history) cases(ctx context.Context, p policy.Period, at time.Time) error {
	county := auth.System("demo")
	n := len(h.refs)
	for i := 0; i < max(1, n/5000); i++ {
		r := h.refs[h.g.rng.IntN(n)]
		c := registry.Case{HouseholdID: r.ID, Channel: "self_report", Source: "12317", Risks: []string{"illness"}, LeadDate: h.day(p, at)}
		if err := h.s.OpenCase(ctx, county, &c, "农户电话申报"); err != nil && fault.KindOf(err) != fault.Conflict {
			return err
		}
	}
	if p.Month%3 == 0 {
		var alerts []registry.DepartmentAlert
		for i := 0; i < max(1, n/5000); i++ {
			hh, err := h.s.GetHousehold(ctx, county, h.refs[h.g.rng.IntN(n)].ID)
			if err != nil {
				return err
			}
			alerts = append(alerts, registry.DepartmentAlert{Row: i + 2, IDNumber: hh.Members[0].IDNumber, Department: "县医疗保障局", Risk: "illness", Note: "自付医疗费用较高"})
		}
		rep := registry.AlertReport{File: "医保预警" + p.String() + ".csv"}
		if err := h.s.ImportAlerts(ctx, county, &rep, alerts, false); err != nil {
			return err
		}
	}
	for _, st := range []string{registry.CaseLead, registry.CaseNoticed, registry.CaseTownship, registry.CaseMonitored} {
		for before := int64(0); ; {
			cs, err := h.s.Cases(ctx, county, store.CaseFilter{Status: st, BeforeID: before})
			if err != nil {
				return err
			}
			if len(cs) == 0 {
				break
			}
			for _, c := range cs {
				if err := h.advance(ctx, c, p, at); err != nil {
					return err
				}
			}
			before = cs[len(cs)-1].ID
		}
	}
	return nil
}

// advance takes a case through the steps due by this month.
func (h *history) advance(ctx context.Context, c registry.Case, p policy.Period, at time.Time) error {
	admin := auth.System("demo")
	town := auth.Principal{Username: "zhen-" + c.VillageCode[:9], Role: auth.TownshipOfficer, Area: c.VillageCode[:9]}
	cadre := auth.Principal{Username: "cun-" + c.VillageCode, Role: auth.VillageCadre, Area: c.VillageCode}
	lead, _ := time.Parse("2006-01-02", c.LeadDate)
	step := func(p auth.Principal, days int, a registry.CaseAction) error {
		d := lead.AddDate(0, 0, days)
		if d.After(at) {
			d = at
		}
		a.Date, a.Version = d.Format("2006-01-02"), c.Version
		got, err := h.a.ActOnCase(ctx, p, c.ID, a)
		if err != nil {
			return err
		}
		c = got
		return nil
	}
	slow := c.ID%10 == 0 // one case in ten takes longer than 15 days
	if c.Status == registry.CaseLead {
		if c.ID%7 == 0 {
			return step(cadre, 2, registry.CaseAction{Action: "check", Outcome: "not_at_risk", Evidence: "入户核实：收入稳定，无返贫风险"})
		}
		category := "sudden"
		if hh, err := h.s.GetHousehold(ctx, admin, c.HouseholdID); err == nil {
			switch hh.Status {
			case "exited", "pre_exit":
				category = "unstable"
			case "non_poor":
				category = "edge"
			}
		}
		if err := step(cadre, 2, registry.CaseAction{Action: "check", Outcome: "at_risk", Category: category, Consent: true, Evidence: "入户核实表、授权承诺书"}); err != nil {
			return err
		}
		if err := step(cadre, 3, registry.CaseAction{Action: "notice", Evidence: "村民代表评议记录、公示照片"}); err != nil {
			return err
		}
	}
	if c.Status == registry.CaseNoticed && c.NoticeEnd <= at.Format("2006-01-02") {
		if err := step(town, 9, registry.CaseAction{Action: "township_review", Outcome: "approve", Evidence: "乡镇审核意见"}); err != nil {
			return err
		}
	}
	if c.Status == registry.CaseTownship {
		days := 12
		if slow {
			days = 25
		}
		if lead.AddDate(0, 0, days).After(at) {
			return nil
		}
		if err := step(admin, days, registry.CaseAction{Action: "county_approve", Outcome: "approve", Evidence: "县级确认批复"}); err != nil {
			return err
		}
		h.res.Cases++
	}
	if c.Status == registry.CaseMonitored {
		if c.MeasureCount == 0 {
			m := &registry.CaseMeasure{Category: []string{"employment", "health", "safety_net", "industry"}[c.ID%4], Description: "落实针对性帮扶措施", Unit: "县乡村振兴局"}
			if err := step(cadre, 20, registry.CaseAction{Action: "assist", Measure: m}); err != nil {
				return err
			}
		}
		approved, _ := time.Parse("2006-01-02", c.ApprovedAt)
		// A month after approval the measures work: a visit finds the
		// household back on its feet.
		if !h.recovered[c.ID] && !approved.AddDate(0, 1, 0).After(at) {
			hh, err := h.s.GetHousehold(ctx, admin, c.HouseholdID)
			if err != nil {
				return err
			}
			v := registry.Visit{HouseholdID: hh.ID, Date: h.day(p, at), Kind: "in_person", Notes: "帮扶措施见效，收入恢复",
				Facts: fixFacts(&hh, []string{"income", "housing", "water", "medical", "education"}, p)}
			if err := h.visit(ctx, HouseholdRef{ID: hh.ID, VillageCode: hh.VillageCode}, &v); err != nil {
				return err
			}
			h.recovered[c.ID] = true
		}
		if !approved.AddDate(0, registry.EliminationMonths+1, 0).After(at) {
			a := registry.CaseAction{Action: "eliminate", Evidence: "风险消除评议、公示、审批材料", Date: at.Format("2006-01-02"), Version: c.Version}
			if _, err := h.a.ActOnCase(ctx, admin, c.ID, a); err == nil {
				h.res.Eliminated++
			} else if fault.KindOf(err) != fault.Invalid {
				return err
			}
		}
	}
	return nil
}
