package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/fault"
	"tuopin/internal/registry"
)

const accountabilityCols = `a.id, a.county, a.cadre_id, c.name, a.area, a.rule, a.period, a.basis, a.status, a.findings, a.decision, a.evidence,
	a.opened_by, a.opened_at, a.decided_by, a.decided_at, a.version`

func scanAccountability(sc scanner) (registry.AccountabilityCase, error) {
	var x registry.AccountabilityCase
	err := sc.Scan(&x.ID, &x.County, &x.CadreID, &x.CadreName, &x.Area, &x.Rule, &x.Period, &x.Basis, &x.Status, &x.Findings, &x.Decision, &x.Evidence,
		&x.OpenedBy, &x.OpenedAt, &x.DecidedBy, &x.DecidedAt, &x.Version)
	return x, err
}

// ruleHit is a cadre a rule found, with what it found.
type ruleHit struct {
	cadre int64
	area  string
	basis string
}

// ScanAccountability applies the accountability rules to a month and
// opens a case for every cadre a rule finds, once per cadre, rule and
// month (a second scan opens nothing new):
//   - missed_visits: the cadre left at least one of their households
//     unvisited in this month and in the month before;
//   - contradicted: a "no problem" of the cadre was contradicted by
//     verification in the month;
//   - overdue_item: an item of the cadre's households is unresolved more
//     than thirty days past its deadline.
//
// It returns the cases it opened.
func (s *Store) ScanAccountability(ctx context.Context, p auth.Principal, period string) ([]registry.AccountabilityCase, error) {
	if !p.CanHoldAccountable() {
		return nil, fault.New(fault.Forbidden, "error.forbidden")
	}
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return nil, badField("period", period, "reason.period")
	}
	hits := map[string][]ruleHit{}
	// Two months of missed visits, counted as the scorecards count them.
	cur, err := s.CadreCounts(ctx, p, "", period, 28)
	if err != nil {
		return nil, err
	}
	prev, err := s.CadreCounts(ctx, p, "", t.AddDate(0, -1, 0).Format("2006-01"), 28)
	if err != nil {
		return nil, err
	}
	missedBefore := map[int64]string{}
	for _, c := range prev {
		if c.Counts.Visited < c.Counts.Households {
			missedBefore[c.CadreID] = fmt.Sprintf("%d/%d", c.Counts.Visited, c.Counts.Households)
		}
	}
	for _, c := range cur {
		if before, ok := missedBefore[c.CadreID]; ok && c.Counts.Visited < c.Counts.Households {
			hits["missed_visits"] = append(hits["missed_visits"], ruleHit{c.CadreID, c.Area,
				fmt.Sprintf("visited %s households in %s and %d/%d in %s", before, t.AddDate(0, -1, 0).Format("2006-01"), c.Counts.Visited, c.Counts.Households, period)})
		}
	}
	lo, hi := p.ScopeRange()
	collect := func(rule, q string, args ...any) error {
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h ruleHit
			if err := rows.Scan(&h.cadre, &h.area, &h.basis); err != nil {
				return err
			}
			hits[rule] = append(hits[rule], h)
		}
		return rows.Err()
	}
	// A contradicted "no problem": the flags the re-verification raised.
	if err := collect("contradicted", `SELECT f.cadre_id, c.area, 'households ' || `+groupConcat(s.Dialect, "CAST(f.household_id AS TEXT)")+`
		FROM cadre_flags f JOIN cadres c ON c.id = f.cadre_id JOIN households h ON h.id = f.household_id
		WHERE f.period = $1 AND h.village_code >= $2 AND h.village_code < $3 GROUP BY f.cadre_id, c.area`, period, lo, hi); err != nil {
		return nil, err
	}
	// Items unresolved thirty days past their deadline, by the cadre of the
	// household now.
	limit := t.AddDate(0, 1, -1-registry.OverdueDays).Format("2006-01-02")
	if err := collect("overdue_item", `SELECT pr.cadre_id, c.area, 'items ' || `+groupConcat(s.Dialect, "CAST(x.id AS TEXT)")+`
		FROM shortfalls x JOIN pairings pr ON pr.household_id = x.household_id AND pr.end_date = '' JOIN cadres c ON c.id = pr.cadre_id
		WHERE x.village_code >= $1 AND x.village_code < $2 AND x.status IN ('open', 'in_progress') AND x.deadline > '' AND x.deadline < $3
		GROUP BY pr.cadre_id, c.area`, lo, hi, limit); err != nil {
		return nil, err
	}
	opened := []registry.AccountabilityCase{}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		for _, rule := range registry.AccountabilityRules {
			for _, h := range hits[rule] {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accountability_cases WHERE cadre_id = $1 AND rule = $2 AND period = $3`,
					h.cadre, rule, period).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					continue
				}
				x := registry.AccountabilityCase{CadreID: h.cadre, Area: h.area, Rule: rule, Period: period, Basis: truncate(h.basis, 2000)}
				if err := s.insertAccountability(ctx, tx, p, &x); err != nil {
					return err
				}
				opened = append(opened, x)
			}
		}
		return nil
	})
	return opened, err
}

// groupConcat is the dialect's aggregate that joins strings with commas.
func groupConcat(d Dialect, expr string) string {
	if d == Postgres {
		return "string_agg(" + expr + ", ',')"
	}
	return "group_concat(" + expr + ", ',')"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (s *Store) insertAccountability(ctx context.Context, tx *sql.Tx, p auth.Principal, x *registry.AccountabilityCase) error {
	x.County, x.Status, x.OpenedBy, x.OpenedAt, x.Version = division.CountyOf(x.Area), registry.AccountabilityOpen, p.Username, s.stamp(), 1
	if err := tx.QueryRowContext(ctx, `INSERT INTO accountability_cases (county, cadre_id, area, rule, period, basis, status, opened_by, opened_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, x.County, x.CadreID, x.Area, x.Rule, x.Period, x.Basis, x.Status, x.OpenedBy, x.OpenedAt).Scan(&x.ID); err != nil {
		return err
	}
	return s.logChange(ctx, tx, p, x.County, "accountability", x.ID, 0, "open", nil, x)
}

// OpenAccountability opens a case by hand against a cadre in scope, with
// the reason.
func (s *Store) OpenAccountability(ctx context.Context, p auth.Principal, x *registry.AccountabilityCase) error {
	if !p.CanHoldAccountable() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	if strings.TrimSpace(x.Basis) == "" {
		return badField("basis", "", "reason.required")
	}
	if _, err := time.Parse("2006-01", x.Period); err != nil {
		return badField("period", x.Period, "reason.period")
	}
	c, err := s.GetCadre(ctx, p, x.CadreID)
	if err != nil {
		return err
	}
	x.Area, x.Rule = c.Area, "manual"
	return s.tx(ctx, func(tx *sql.Tx) error { return s.insertAccountability(ctx, tx, p, x) })
}

// AccountabilityCases lists cases in scope, newest first, optionally of a
// status.
func (s *Store) AccountabilityCases(ctx context.Context, p auth.Principal, status string) ([]registry.AccountabilityCase, error) {
	if !p.CanHoldAccountable() {
		return nil, fault.New(fault.Forbidden, "error.forbidden")
	}
	lo, hi := p.ScopeRange()
	q := `SELECT ` + accountabilityCols + ` FROM accountability_cases a JOIN cadres c ON c.id = a.cadre_id WHERE a.area >= $1 AND a.area < $2`
	args := []any{lo, hi}
	if status != "" {
		q += ` AND a.status = $3`
		args = append(args, status)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY a.id DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.AccountabilityCase{}
	for rows.Next() {
		x, err := scanAccountability(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// AccountabilityCase returns a case in scope with its tolerance requests.
func (s *Store) AccountabilityCase(ctx context.Context, p auth.Principal, id int64) (registry.AccountabilityCase, error) {
	if !p.CanHoldAccountable() {
		return registry.AccountabilityCase{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	x, err := s.accountability(ctx, s.r, p, id)
	if err != nil {
		return x, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, case_id, facts, distinction, deciding_body, status, outcome, correction_plan, corrected_at,
		filed_by, filed_at, decided_by, decided_at, version FROM tolerance_requests WHERE case_id = $1 ORDER BY id`, id)
	if err != nil {
		return x, err
	}
	defer rows.Close()
	for rows.Next() {
		var t registry.ToleranceRequest
		if err := rows.Scan(&t.ID, &t.CaseID, &t.Facts, &t.Distinction, &t.DecidingBody, &t.Status, &t.Outcome, &t.CorrectionPlan, &t.CorrectedAt,
			&t.FiledBy, &t.FiledAt, &t.DecidedBy, &t.DecidedAt, &t.Version); err != nil {
			return x, err
		}
		x.Tolerance = append(x.Tolerance, t)
	}
	return x, rows.Err()
}

func (s *Store) accountability(ctx context.Context, q querier, p auth.Principal, id int64) (registry.AccountabilityCase, error) {
	lo, hi := p.ScopeRange()
	x, err := scanAccountability(q.QueryRowContext(ctx, `SELECT `+accountabilityCols+` FROM accountability_cases a JOIN cadres c ON c.id = a.cadre_id
		WHERE a.id = $1 AND a.area >= $2 AND a.area < $3`, id, lo, hi))
	if isNoRows(err) {
		return x, notFound()
	}
	return x, err
}

// AccountabilityAction is a step on a case: investigate (with findings)
// or decide (with a decision and evidence).
type AccountabilityAction struct {
	Action   string `json:"action"`
	Version  int    `json:"version"`
	Findings string `json:"findings"`
	Decision string `json:"decision"`
	Evidence string `json:"evidence"`
}

// ActOnAccountability takes a step on a case. A case is investigated
// before it is decided, a decision needs evidence, a decided case takes
// no more steps, and a stale version is a conflict.
func (s *Store) ActOnAccountability(ctx context.Context, p auth.Principal, id int64, a AccountabilityAction) (registry.AccountabilityCase, error) {
	if !p.CanHoldAccountable() {
		return registry.AccountabilityCase{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		x, err := s.accountability(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if a.Version != x.Version {
			return fault.New(fault.Conflict, "error.conflict")
		}
		before := x
		switch a.Action {
		case "investigate":
			if x.Status == registry.AccountabilityDecided {
				return badField("action", a.Action, "reason.case_status", "status", x.Status)
			}
			if strings.TrimSpace(a.Findings) == "" {
				return badField("findings", "", "reason.required")
			}
			x.Status, x.Findings = registry.AccountabilityInvestigating, a.Findings
		case "decide":
			if x.Status != registry.AccountabilityInvestigating {
				return badField("action", a.Action, "reason.case_status", "status", x.Status)
			}
			if !slices.Contains(registry.AccountabilityDecisions, a.Decision) {
				return badField("decision", a.Decision, "reason.enum")
			}
			if strings.TrimSpace(a.Evidence) == "" {
				return badField("evidence", "", "reason.required")
			}
			x.Status, x.Decision, x.Evidence, x.DecidedBy, x.DecidedAt = registry.AccountabilityDecided, a.Decision, a.Evidence, p.Username, s.stamp()
		default:
			return badField("action", a.Action, "reason.enum")
		}
		x.Version++
		res, err := tx.ExecContext(ctx, `UPDATE accountability_cases SET status = $1, findings = $2, decision = $3, evidence = $4, decided_by = $5, decided_at = $6,
			version = $7 WHERE id = $8 AND version = $9`, x.Status, x.Findings, x.Decision, x.Evidence, x.DecidedBy, x.DecidedAt, x.Version, x.ID, before.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fault.New(fault.Conflict, "error.conflict")
		}
		return s.logChange(ctx, tx, p, x.County, "accountability", x.ID, 0, a.Action, before, x)
	})
	if err != nil {
		return registry.AccountabilityCase{}, err
	}
	return s.AccountabilityCase(ctx, p, id)
}

// ToleranceAction files, decides or closes a tolerance request: file
// (facts, distinction, deciding body), decide (outcome, and a correction
// plan unless refused), correct (the plan carried out).
type ToleranceAction struct {
	Action         string `json:"action"`
	RequestID      int64  `json:"request_id"`
	Version        int    `json:"version"`
	Facts          string `json:"facts"`
	Distinction    string `json:"distinction"`
	DecidingBody   string `json:"deciding_body"`
	Outcome        string `json:"outcome"`
	CorrectionPlan string `json:"correction_plan"`
}

// ActOnTolerance takes a step on a tolerance request of a case in scope.
// Anyone who may visit or hold accountable may file; only the role that
// may decide tolerance decides; a decided request's correction plan is
// then tracked until it is carried out.
func (s *Store) ActOnTolerance(ctx context.Context, p auth.Principal, caseID int64, a ToleranceAction) (registry.AccountabilityCase, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// The cadre a case is about may file on it from outside the case's
		// area; anyone else needs the case in scope.
		x, err := s.accountability(ctx, tx, auth.System("scope"), caseID)
		if err != nil {
			return err
		}
		var own int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cadres WHERE id = $1 AND username = $2 AND username <> ''`, x.CadreID, p.Username).Scan(&own); err != nil {
			return err
		}
		if !p.InScope(x.Area) && own == 0 {
			return notFound()
		}
		switch a.Action {
		case "file":
			if !p.CanVisit() && !p.CanHoldAccountable() {
				return fault.New(fault.Forbidden, "error.forbidden")
			}
			if !slices.Contains(registry.ToleranceDistinctions, a.Distinction) {
				return badField("distinction", a.Distinction, "reason.enum")
			}
			if strings.TrimSpace(a.Facts) == "" {
				return badField("facts", "", "reason.required")
			}
			if strings.TrimSpace(a.DecidingBody) == "" {
				return badField("deciding_body", "", "reason.required")
			}
			t := registry.ToleranceRequest{CaseID: x.ID, Facts: a.Facts, Distinction: a.Distinction, DecidingBody: a.DecidingBody, Status: "filed",
				FiledBy: p.Username, FiledAt: s.stamp(), Version: 1}
			if err := tx.QueryRowContext(ctx, `INSERT INTO tolerance_requests (case_id, facts, distinction, deciding_body, status, filed_by, filed_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, t.CaseID, t.Facts, t.Distinction, t.DecidingBody, t.Status, t.FiledBy, t.FiledAt).Scan(&t.ID); err != nil {
				return err
			}
			return s.logChange(ctx, tx, p, x.County, "tolerance", t.ID, 0, "file", nil, t)
		case "decide", "correct":
		default:
			return badField("action", a.Action, "reason.enum")
		}
		var t registry.ToleranceRequest
		err = tx.QueryRowContext(ctx, `SELECT id, status, outcome, correction_plan, corrected_at, decided_by, decided_at, version FROM tolerance_requests
			WHERE id = $1 AND case_id = $2`, a.RequestID, x.ID).Scan(&t.ID, &t.Status, &t.Outcome, &t.CorrectionPlan, &t.CorrectedAt, &t.DecidedBy, &t.DecidedAt, &t.Version)
		if isNoRows(err) {
			return notFound()
		} else if err != nil {
			return err
		}
		if a.Version != t.Version {
			return fault.New(fault.Conflict, "error.conflict")
		}
		before := t
		switch a.Action {
		case "decide":
			if !p.CanDecideTolerance() {
				return fault.New(fault.Forbidden, "error.forbidden")
			}
			if t.Status != "filed" {
				return badField("action", a.Action, "reason.case_status", "status", t.Status)
			}
			if !slices.Contains(registry.ToleranceOutcomes, a.Outcome) {
				return badField("outcome", a.Outcome, "reason.enum")
			}
			if a.Outcome != "refused" && strings.TrimSpace(a.CorrectionPlan) == "" {
				return badField("correction_plan", "", "reason.required")
			}
			t.Status, t.Outcome, t.CorrectionPlan, t.DecidedBy, t.DecidedAt = "decided", a.Outcome, a.CorrectionPlan, p.Username, s.stamp()
			if a.Outcome == "refused" {
				t.Status = "closed"
			}
		case "correct":
			if !p.CanHoldAccountable() {
				return fault.New(fault.Forbidden, "error.forbidden")
			}
			if t.Status != "decided" {
				return badField("action", a.Action, "reason.case_status", "status", t.Status)
			}
			t.Status, t.CorrectedAt = "corrected", s.stamp()
		}
		t.Version++
		if _, err := tx.ExecContext(ctx, `UPDATE tolerance_requests SET status = $1, outcome = $2, correction_plan = $3, corrected_at = $4, decided_by = $5,
			decided_at = $6, version = $7 WHERE id = $8`, t.Status, t.Outcome, t.CorrectionPlan, t.CorrectedAt, t.DecidedBy, t.DecidedAt, t.Version, t.ID); err != nil {
			return err
		}
		return s.logChange(ctx, tx, p, x.County, "tolerance", t.ID, 0, a.Action, before, t)
	})
	if err != nil {
		return registry.AccountabilityCase{}, err
	}
	if !p.CanHoldAccountable() {
		// A filer who may not read cases gets the case without its list.
		return registry.AccountabilityCase{ID: caseID}, nil
	}
	return s.AccountabilityCase(ctx, p, caseID)
}
