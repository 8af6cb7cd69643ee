package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// assessCmd runs the monthly assessment for a period, or replays a past
// period that was already assessed and checks it reproduces.
func (e *env) assessCmd(ctx context.Context, args []string) error {
	fs, db := e.flags("assess")
	period := fs.String("period", "", "period YYYY-MM (default: this month)")
	area := fs.String("area", "", "division code to assess (default: everything)")
	sets := fs.String("set", "", "rule-set codes, comma-separated (default: all in force)")
	force := fs.Bool("force", false, "assess a past period again from today's facts instead of replaying it")
	_, s, err := e.openWith(ctx, fs, db, args)
	if err != nil {
		return err
	}
	defer s.Close()
	p := policy.PeriodOf(s.Now())
	if *period != "" {
		if p, err = policy.ParsePeriod(*period); err != nil {
			return err
		}
	}
	who := auth.System("cli")
	who.Area = *area
	a := assess.New(s)
	if !*force && p.String() < policy.PeriodOf(s.Now()).String() {
		// Replay a month a full run assessed; a month with only the
		// re-assessments of edited households is assessed in full.
		done, err := s.Periods(ctx, *area)
		if err != nil {
			return err
		}
		if slices.Contains(done, p.String()) {
			start := time.Now()
			res, err := a.Replay(ctx, who, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "重放 replayed %s: %d 条结论 findings, %d 相同 identical, %d 不同 different (%.1f s)\n",
				res.Period, res.Findings, res.Identical, len(res.Mismatches), time.Since(start).Seconds())
			for _, m := range res.Mismatches {
				fmt.Fprintf(e.out, "  household %d ruleset %d: stored %b, replayed %b\n", m.HouseholdID, m.RuleSetID, m.Stored, m.Replayed)
			}
			if res.Identical != res.Findings {
				return fault.New(fault.Internal, "error.replay_differs")
			}
			return nil
		}
	}
	opt := assess.Options{}
	if *sets != "" {
		opt.Sets = strings.Split(*sets, ",")
	}
	prog := e.progress("assess")
	if prog != nil {
		opt.Progress = func(n int) { prog(n, 0) }
	}
	start := time.Now()
	run, err := a.Period(ctx, who, p, opt)
	e.endProgress()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "研判 assessed %s: %d 户 households, %d 户未达退出标准 not meeting the exit standard, %d 户有无法判定的规则 with rules that could not be judged, %.1f s (run %d)\n",
		run.Period, run.Households, run.Failed, run.Errors, time.Since(start).Seconds(), run.ID)
	return e.syncShortfalls(ctx, a, who, p)
}

// syncShortfalls opens and resolves shortfall items after a full run.
func (e *env) syncShortfalls(ctx context.Context, a *assess.Assessor, who auth.Principal, p policy.Period) error {
	start := time.Now()
	n, err := a.SyncShortfalls(ctx, who, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "短板 shortfalls synced for %d 户 households in %.1f s\n", n, time.Since(start).Seconds())
	return nil
}

// explain prints why each rule passed or failed for one household.
func (e *env) explain(ctx context.Context, args []string) error {
	fs, db := e.flags("explain")
	period := fs.String("period", "", "period YYYY-MM (default: the latest assessed)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	pos, s, err := e.openWith(ctx, fs, db, args)
	if err != nil {
		return err
	}
	defer s.Close()
	if len(pos) != 1 {
		return usageError{"explain: give a household ID or household number"}
	}
	id, err := householdRef(ctx, s, pos[0])
	if err != nil {
		return err
	}
	ex, err := assess.New(s).Explain(ctx, auth.System("cli"), id, *period)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.out, ex)
	}
	fmt.Fprintf(e.out, "户 household %d  %s  %s  %s  %d 人 persons\n", ex.HouseholdID, ex.Period, ex.Village, i18n.T(e.lang, "code.status."+ex.Status), ex.Persons)
	for _, set := range ex.Sets {
		name := set.NameZh
		if e.lang == i18n.EN {
			name = set.NameEn
		}
		verdict := i18n.T(e.lang, "outcome.all_pass")
		if !set.Passed {
			verdict = i18n.T(e.lang, "outcome.some_fail") + " " + strings.Join(set.Failed, ", ")
		}
		fmt.Fprintf(e.out, "\n%s v%d  %s\n  %s\n", set.Code, set.Version, name, verdict)
		for _, r := range set.Rules {
			desc := r.DescZh
			if e.lang == i18n.EN {
				desc = r.DescEn
			}
			fmt.Fprintf(e.out, "  [%s] %-20s %s\n", i18n.T(e.lang, "outcome."+r.Outcome), r.Code, desc)
			fmt.Fprintf(e.out, "         %s\n", r.Expression)
			var ins []string
			for _, in := range r.Inputs {
				ins = append(ins, in.Name+"="+formatInput(in))
			}
			fmt.Fprintf(e.out, "         %s\n", strings.Join(ins, "  "))
		}
	}
	return nil
}

func formatInput(in assess.Input) string {
	if v, ok := in.Value.(int64); ok && in.Money {
		return registry.FormatYuan(v) + "元"
	}
	if s, ok := in.Value.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(in.Value)
}

// householdRef reads a household ID, or a household number (户编号).
func householdRef(ctx context.Context, s *store.Store, ref string) (int64, error) {
	hs, _, err := s.ListHouseholds(ctx, auth.System("cli"), store.HouseholdFilter{Q: ref, PageSize: 2})
	if err != nil {
		return 0, err
	}
	for _, h := range hs {
		if h.Number == ref {
			return h.ID, nil
		}
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.New(fault.NotFound, "error.not_found")
	}
	return id, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// exitReport prints the exit roll-up; --json prints the API's answer.
func (e *env) exitReport(ctx context.Context, args []string) error {
	fs, db := e.flags("exit-report")
	area := fs.String("area", "", "division code (county, township or village)")
	period := fs.String("period", "", "period YYYY-MM (default: the latest assessed)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	_, s, err := e.openWith(ctx, fs, db, args)
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := assess.New(s).ExitReport(ctx, auth.System("cli"), *area, *period)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.out, rep)
	}
	fmt.Fprintf(e.out, "%s  %s v%d  %s\n\n", rep.Period, rep.RuleSet, rep.Version, i18n.T(e.lang, "exit.title"))
	tw := tabwriter.NewWriter(e.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	heads := []string{"exit.area", "exit.households", "exit.persons", "exit.poor", "exit.eligible", "exit.rural", "exit.incidence", "exit.incidence_after", "exit.wrongful", "exit.missed", "exit.approval", "exit.ready"}
	for _, h := range heads {
		fmt.Fprint(tw, i18n.T(e.lang, h)+"\t")
	}
	fmt.Fprintln(tw)
	for _, r := range append(rep.Rows, rep.Area) {
		name := r.Name
		if name == "" {
			name = r.Code
		}
		pop := i18n.T(e.lang, "exit.no_data")
		if r.RuralPopulation != nil {
			pop = strconv.FormatInt(*r.RuralPopulation, 10)
		}
		ready := i18n.T(e.lang, "exit.no_data")
		if r.Ready != nil {
			ready = i18n.T(e.lang, "exit.ready_"+strconv.FormatBool(*r.Ready))
		}
		fmt.Fprintf(tw, "%s %s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Code, name, r.Households, r.Persons, r.PoorPersons, r.EligiblePersons, pop,
			e.rate(r.Incidence), e.rate(r.IncidenceAfterExit), e.rate(r.WrongfulExit), e.rate(r.Missed), e.rate(r.Approval), ready)
	}
	tw.Flush()
	if len(rep.Households) > 0 {
		fmt.Fprintln(e.out)
		for _, h := range rep.Households {
			ok := i18n.T(e.lang, "exit.ready_"+strconv.FormatBool(h.Eligible))
			fmt.Fprintf(e.out, "  %d  %s  %d  %s  %s\n", h.HouseholdID, i18n.T(e.lang, "code.status."+h.Status), h.Persons, ok, strings.Join(h.Failed, ","))
		}
	}
	return nil
}

// rate renders a rate with its threshold, or "no data".
func (e *env) rate(r *assess.Rate) string {
	if r == nil {
		return i18n.T(e.lang, "exit.no_data")
	}
	op := map[string]string{"lt": "<", "le": "≤", "ge": "≥"}[r.Rule]
	mark := "✓"
	if !r.OK {
		mark = "✗"
	}
	return fmt.Sprintf("%.2f%% (%s%.0f%%) %s", r.Value*100, op, r.Limit*100, mark)
}

// mpiCmd prints the MPI of an area.
func (e *env) mpiCmd(ctx context.Context, args []string) error {
	fs, db := e.flags("mpi")
	area := fs.String("area", "", "division code")
	period := fs.String("period", "", "period YYYY-MM (default: the latest assessed)")
	set := fs.String("set", "mpi-global", "MPI rule set: mpi-global or mpi-china")
	k := fs.String("k", "", "poverty cutoff as a fraction, such as 1/3 (default: the set's)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	_, s, err := e.openWith(ctx, fs, db, args)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := assess.New(s).MPI(ctx, auth.System("cli"), *area, *period, *set, *k)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.out, m)
	}
	fmt.Fprintf(e.out, "%s %s v%d  k=%s  %s\n", m.Period, m.RuleSet, m.Version, m.K, m.Area)
	fmt.Fprintf(e.out, "H %.4f  A %.4f  M0 %.4f  persons %d  poor %d  vulnerable %.4f  severe %.4f\n\n", m.H, m.A, m.M0, m.Persons, m.PoorPersons, m.Vulnerable, m.Severe)
	tw := tabwriter.NewWriter(e.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "indicator\tweight\tuncensored\tcensored\tcontribution\t")
	for _, ind := range m.Indicators {
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.4f\t%.1f%%\t\n", ind.Code, ind.Weight, ind.Uncensored, ind.Censored, ind.Contribution*100)
	}
	tw.Flush()
	if len(m.SubAreas) > 0 {
		fmt.Fprintln(e.out)
		tw = tabwriter.NewWriter(e.out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "area\tpersons\tH\tA\tM0\t")
		for _, sa := range m.SubAreas {
			name := sa.Area
			if d, ok := s.Divisions().Get(sa.Area); ok {
				name += " " + d.Name
			}
			fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%.4f\t\n", name, sa.Persons, sa.H, sa.A, sa.M0)
		}
		tw.Flush()
	}
	return nil
}

// rules lists, shows, saves and previews rule sets.
func (e *env) rules(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"rules: say list, show, save or preview"}
	}
	fs, db := e.flags("rules " + args[0])
	all := fs.Bool("all", false, "list every version, not only the latest")
	version := fs.Int("version", 0, "version to show (default: latest)")
	area := fs.String("area", "", "preview within this division")
	pos, s, err := e.openWith(ctx, fs, db, args[1:])
	if err != nil {
		return err
	}
	defer s.Close()
	switch args[0] {
	case "list":
		sets, err := s.RuleSets(ctx, *all)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.out, 0, 0, 2, ' ', 0)
		for _, rs := range sets {
			name := rs.NameZh
			if e.lang == i18n.EN {
				name = rs.NameEn
			}
			to := rs.EffectiveTo
			if to == "" {
				to = "…"
			}
			fmt.Fprintf(tw, "%d\t%s\tv%d\t%s\t%d rules\t%s – %s\tused=%v\t%s\t\n", rs.ID, rs.Code, rs.Version, rs.Kind, len(rs.Rules), rs.EffectiveFrom, to, rs.Used, name)
		}
		return tw.Flush()
	case "show":
		if len(pos) != 1 {
			return usageError{"rules show CODE"}
		}
		sets, err := s.RuleSets(ctx, true)
		if err != nil {
			return err
		}
		var found *policy.RuleSet
		for _, rs := range sets {
			if rs.Code == pos[0] && (*version == 0 || rs.Version == *version) {
				found = rs
			}
		}
		if found == nil {
			return fault.New(fault.NotFound, "error.not_found")
		}
		return printJSON(e.out, found)
	case "save":
		if len(pos) != 1 {
			return usageError{"rules save FILE.json"}
		}
		b, err := os.ReadFile(pos[0])
		if err != nil {
			return err
		}
		var rs policy.RuleSet
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rs); err != nil {
			return fault.Fields([]fault.FieldError{{Field: "body", Value: err.Error(), Reason: i18n.M("reason.bad_json")}})
		}
		saved, err := s.SaveRuleSet(ctx, "cli", &rs)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "已保存 saved %s v%d (id %d)\n", saved.Code, saved.Version, saved.ID)
		return nil
	case "preview":
		if len(pos) != 1 {
			return usageError{"rules preview EXPRESSION"}
		}
		who := auth.System("cli")
		who.Area = *area
		start := time.Now()
		pv, err := assess.New(s).Preview(ctx, who, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "%s: %d / %d 户 households match, %d could not be judged (%.2f s)\n", pv.Period, pv.Matches, pv.Households, pv.Errors, time.Since(start).Seconds())
		for _, m := range pv.First {
			var ins []string
			for _, name := range pv.Fields {
				f := policy.Facts[policy.FactIndex[name]]
				ins = append(ins, name+"="+formatInput(assess.Input{Name: name, Value: m.Inputs[name], Money: f.Money}))
			}
			fmt.Fprintf(e.out, "  %d  %s  %s  %s  %s\n", m.HouseholdID, m.Number, m.HeadName, m.Village, strings.Join(ins, "  "))
		}
		return nil
	}
	return usageError{"rules: say list, show, save or preview"}
}

// params lists and sets the parameter table.
func (e *env) params(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"params: say list or set"}
	}
	fs, db := e.flags("params " + args[0])
	var p policy.Param
	fs.StringVar(&p.Kind, "kind", "", "parameter kind")
	fs.StringVar(&p.Jurisdiction, "jurisdiction", "", "division code prefix (empty: national)")
	fs.IntVar(&p.Year, "year", 0, "first year it applies to")
	fs.Int64Var(&p.Value, "value", 0, "value in the kind's unit (fen, litres, minutes, days or basis points)")
	fs.StringVar(&p.Certainty, "certainty", "C", "C confirmed, P provincial or secondary, U unconfirmed")
	fs.StringVar(&p.Source, "source", "", "the document it comes from")
	_, s, err := e.openWith(ctx, fs, db, args[1:])
	if err != nil {
		return err
	}
	defer s.Close()
	switch args[0] {
	case "list":
		ps, err := s.Params(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.out, 0, 0, 2, ' ', 0)
		for _, r := range ps.All() {
			j := r.Jurisdiction
			if j == "" {
				j = "全国 national"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d %s\t%s\t%s\t\n", r.Kind, j, r.Year, r.Value, policy.UnitOf(r.Kind), r.Certainty, r.Source)
		}
		return tw.Flush()
	case "set":
		if err := s.SaveParam(ctx, "cli", p); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "已保存 saved %s %q %d = %d\n", p.Kind, p.Jurisdiction, p.Year, p.Value)
		return nil
	}
	return usageError{"params: say list or set"}
}

// population imports village rural populations from a CSV of
// village_code,year,rural_population[,source], all or nothing.
func (e *env) population(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		return usageError{"population import FILE.csv"}
	}
	fs, db := e.flags("population import")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"population import FILE.csv"}
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return err
	}
	s, err := e.open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	var rows []store.VillagePopulation
	var fileRow []int // the file row of each entry of rows
	var errs []fault.FieldError
	for i, r := range recs {
		if i == 0 && len(r) > 0 && strings.Contains(r[0], "village") {
			continue
		}
		if len(r) < 3 {
			errs = append(errs, fault.FieldError{Row: i + 1, Field: "row", Reason: i18n.M("reason.required")})
			continue
		}
		year, err1 := strconv.Atoi(strings.TrimSpace(r[1]))
		n, err2 := strconv.ParseInt(strings.TrimSpace(r[2]), 10, 64)
		if err1 != nil {
			errs = append(errs, fault.FieldError{Row: i + 1, Field: "year", Value: r[1], Reason: i18n.M("reason.not_integer")})
		}
		if err2 != nil {
			errs = append(errs, fault.FieldError{Row: i + 1, Field: "rural_population", Value: r[2], Reason: i18n.M("reason.not_integer")})
		}
		v := store.VillagePopulation{Village: strings.TrimSpace(r[0]), Year: year, Population: n}
		if len(r) > 3 {
			v.Source = r[3]
		}
		rows = append(rows, v)
		fileRow = append(fileRow, i+1)
	}
	for _, fe := range s.CheckVillagePopulations(rows) {
		if fe.Field == "year" || fe.Field == "rural_population" {
			if bad := slices.ContainsFunc(errs, func(x fault.FieldError) bool { return x.Row == fileRow[fe.Row-1] && x.Field == fe.Field }); bad {
				continue // already reported as not a number
			}
		}
		fe.Row = fileRow[fe.Row-1]
		errs = append(errs, fe)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Row < errs[j].Row })
		return fault.Fields(errs)
	}
	if err := s.SetVillagePopulations(ctx, rows); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "已导入 imported %d 村 villages\n", len(rows))
	return nil
}

// openWith parses args with fs and opens the database --db names.
func (e *env) openWith(ctx context.Context, fs *flag.FlagSet, db *string, args []string) ([]string, *store.Store, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return nil, nil, err
	}
	s, err := e.open(ctx, *db)
	return pos, s, err
}

// auditCmd verifies the hash-chained audit log.
func (e *env) auditCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{"audit verify"}
	}
	fs, db := e.flags("audit verify")
	_, s, err := e.openWith(ctx, fs, db, args[1:])
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	n, bad, err := s.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if bad != nil {
		return fault.New(fault.Invalid, "error.audit_broken", "seq", strconv.FormatInt(bad.Seq, 10),
			"problem", i18n.T(i18n.ZH, "audit."+string(bad.Problem))+" / "+i18n.T(i18n.EN, "audit."+string(bad.Problem)))
	}
	fmt.Fprintf(e.out, "审计日志完整 audit log intact: %d 条 entries checked in %.1f s\n", n, time.Since(start).Seconds())
	return nil
}

// visitCmd records a visit for scripts, or prints a month's coverage.
func (e *env) visitCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "coverage") {
		return usageError{"visit add | visit coverage"}
	}
	fs, db := e.flags("visit " + args[0])
	var v registry.Visit
	ref := fs.String("household", "", "household ID or number")
	fs.StringVar(&v.Date, "date", "", "visit date YYYY-MM-DD (default: today)")
	fs.StringVar(&v.Kind, "kind", "in_person", "in_person or phone")
	facts := fs.String("facts", "", `observed facts as JSON, e.g. {"housing_grade":"B","income":{"year":2026,"wages":3000000}}`)
	fs.StringVar(&v.Notes, "notes", "", "notes")
	noProblem := fs.Bool("no-problem", false, "the visitor found nothing wrong")
	user := fs.String("user", "", "the account recording the visit (default: the operator, county-wide)")
	area := fs.String("area", "", "coverage: division code")
	period := fs.String("period", "", "coverage: month YYYY-MM (default: this month)")
	asJSON := fs.Bool("json", false, "coverage: print the API's JSON")
	_, s, err := e.openWith(ctx, fs, db, args[1:])
	if err != nil {
		return err
	}
	defer s.Close()
	if args[0] == "coverage" {
		if *period == "" {
			*period = policy.PeriodOf(s.Now()).String()
		}
		cov, err := s.VisitCoverage(ctx, auth.System("cli"), *area, *period)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(e.out, cov)
		}
		fmt.Fprintf(e.out, "%s %s 走访覆盖 visit coverage: %d / %d 户 households by their paired cadre (%.1f%%), %d only by others, %d without a paired cadre\n",
			cov.Period, cov.Area, cov.Total.ByPairedCadre, cov.Total.Households, cov.Total.Rate*100, cov.Total.OnlyByOthers, cov.Total.NoPairedCadre)
		for _, a := range cov.Areas {
			fmt.Fprintf(e.out, "  %s %s  %d / %d  %.1f%%\n", a.Area, a.Name, a.ByPairedCadre, a.Households, a.Rate*100)
		}
		if len(cov.Missed) > 0 {
			fmt.Fprintf(e.out, "未走访 missed (first %d):\n", len(cov.Missed))
			for _, m := range cov.Missed {
				fmt.Fprintf(e.out, "  %d  %s  %s  %s  %s\n", m.HouseholdID, m.Number, m.HeadName, m.Village, m.CadreName)
			}
		}
		return nil
	}
	who := auth.System("cli")
	if *user != "" {
		u, err := s.UserByName(ctx, *user)
		if err != nil {
			return err
		}
		who = u.Principal()
	}
	if *ref == "" {
		return usageError{"visit add: give --household"}
	}
	if v.HouseholdID, err = householdRef(ctx, s, *ref); err != nil {
		return err
	}
	if v.Date == "" {
		v.Date = s.Now().Format("2006-01-02")
	}
	if *facts != "" {
		dec := json.NewDecoder(strings.NewReader(*facts))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v.Facts); err != nil {
			return fault.Fields([]fault.FieldError{{Field: "facts", Value: err.Error(), Reason: i18n.M("reason.bad_json")}})
		}
	}
	v.NoProblem = *noProblem
	if err := assess.New(s).RecordVisit(ctx, who, &v); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "已记录走访 visit recorded: %d (household %d, %s)\n", v.ID, v.HouseholdID, v.Date)
	return nil
}

// boardCmd prints the 清零 board, or recounts it from the items.
func (e *env) boardCmd(ctx context.Context, args []string) error {
	check := len(args) > 0 && args[0] == "check"
	if check {
		args = args[1:]
	}
	fs, db := e.flags("board")
	area := fs.String("area", "", "division code")
	period := fs.String("period", "", "month YYYY-MM (default: this month)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	_, s, err := e.openWith(ctx, fs, db, args)
	if err != nil {
		return err
	}
	defer s.Close()
	if check {
		diffs, err := s.CheckBoard(ctx)
		if err != nil {
			return err
		}
		for _, d := range diffs {
			fmt.Fprintf(e.out, "  %s %s %s: kept %d, counted %d\n", d.Table, d.Village, d.Key, d.Kept, d.Counted)
		}
		if len(diffs) > 0 {
			return fault.New(fault.Internal, "error.board_differs", "n", strconv.Itoa(len(diffs)))
		}
		fmt.Fprintln(e.out, "清零看板与明细一致 board counts agree with the items")
		return nil
	}
	if *period == "" {
		*period = policy.PeriodOf(s.Now()).String()
	}
	b, err := s.Board(ctx, auth.System("cli"), *area, *period)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.out, b)
	}
	fmt.Fprintf(e.out, "%s %s 清零看板 board: %d 未销号 unresolved, %d 逾期 overdue\n", b.Period, b.Area, b.Unresolve, b.Overdue)
	for _, c := range b.Totals {
		fmt.Fprintf(e.out, "  %-10s open %d  in progress %d  resolved %d  verified %d  overdue %d\n", c.Indicator, c.Open, c.InProgress, c.Resolved, c.Verified, c.Overdue)
	}
	return nil
}

// sampleCmd draws or lists a month's re-verification sample (抽查).
func (e *env) sampleCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "draw" && args[0] != "list") {
		return usageError{"sample draw | sample list"}
	}
	fs, db := e.flags("sample " + args[0])
	area := fs.String("area", "", "division code")
	period := fs.String("period", "", "month YYYY-MM (default: this month)")
	per := fs.Int("per-village", 5, "households drawn in each village")
	seed := fs.Int64("seed", 1, "seed; the same seed, month and registry draw the same households")
	_, s, err := e.openWith(ctx, fs, db, args[1:])
	if err != nil {
		return err
	}
	defer s.Close()
	if *period == "" {
		*period = policy.PeriodOf(s.Now()).String()
	}
	who := auth.System("cli")
	var xs []store.Sample
	if args[0] == "draw" {
		xs, err = s.DrawSample(ctx, who, *period, *area, *per, *seed)
	} else {
		xs, err = s.Samples(ctx, who, *period, *area)
	}
	if err != nil {
		return err
	}
	for _, x := range xs {
		fmt.Fprintf(e.out, "  %d  %s  household %d  %s  %s\n", x.ID, x.Village, x.HouseholdID, x.Status, x.Verifier)
	}
	fmt.Fprintf(e.out, "%s 抽查 sample: %d 户 households\n", *period, len(xs))
	return nil
}
