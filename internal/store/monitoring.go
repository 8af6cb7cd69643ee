package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/idcard"
	"tuopin/internal/registry"
)

const caseCols = `c.id, c.county, c.household_id, c.village_code, h.head_name, c.channel, c.source, c.risks, c.category, c.status, c.lead_date,
	c.notice_start, c.notice_end, c.approved_at, c.late, c.closed_at, c.created_by, c.version`

func scanCase(sc scanner) (registry.Case, error) {
	var c registry.Case
	var risks string
	var late int
	err := sc.Scan(&c.ID, &c.County, &c.HouseholdID, &c.VillageCode, &c.HeadName, &c.Channel, &c.Source, &risks, &c.Category, &c.Status, &c.LeadDate,
		&c.NoticeStart, &c.NoticeEnd, &c.ApprovedAt, &late, &c.ClosedAt, &c.CreatedBy, &c.Version)
	c.Risks, c.Late = []string{}, late != 0
	if risks != "" {
		c.Risks = strings.Split(risks, ",")
	}
	return c, err
}

// caseActive lists the statuses of a case still being worked.
const caseActive = `('lead', 'checked', 'noticed', 'township', 'monitored')`

func dayOf(t time.Time) string { return t.Format("2006-01-02") }

func badField(field, value, key string, kv ...string) error {
	return fault.Fields([]fault.FieldError{{Field: field, Value: value, Reason: i18n.M(key, kv...)}})
}

// OpenCase records a monitoring lead for a household in scope. A
// household with a case still being worked gets no second one: the answer
// is a conflict naming the open case.
func (s *Store) OpenCase(ctx context.Context, p auth.Principal, c *registry.Case, note string) error {
	if !p.CanVisit() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		id, err := s.openCase(ctx, tx, p, c, note)
		if err == nil && id != c.ID {
			return fault.New(fault.Conflict, "error.case_open", "id", strconv.FormatInt(id, 10))
		}
		return err
	})
}

// openCase opens a lead in tx and returns its ID, or the ID of the case
// the household already has open (leaving c's ID zero).
func (s *Store) openCase(ctx context.Context, tx *sql.Tx, p auth.Principal, c *registry.Case, note string) (int64, error) {
	var errs []fault.FieldError
	if !slices.Contains(registry.CaseChannels, c.Channel) {
		errs = append(errs, fault.FieldError{Field: "channel", Value: c.Channel, Reason: i18n.M("reason.enum")})
	}
	for _, r := range c.Risks {
		if !slices.Contains(registry.RiskKinds, r) {
			errs = append(errs, fault.FieldError{Field: "risks", Value: r, Reason: i18n.M("reason.enum")})
		}
	}
	if c.LeadDate == "" {
		c.LeadDate = dayOf(s.now())
	} else if d, err := time.Parse("2006-01-02", c.LeadDate); err != nil || d.After(s.now()) {
		errs = append(errs, fault.FieldError{Field: "lead_date", Value: c.LeadDate, Reason: i18n.M("reason.date")})
	}
	if len(errs) > 0 {
		return 0, fault.Fields(errs)
	}
	h, err := s.getHousehold(ctx, tx, p, c.HouseholdID)
	if err != nil {
		return 0, err
	}
	var open int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM monitoring_cases WHERE household_id = $1 AND status IN `+caseActive, h.ID).Scan(&open)
	if err == nil {
		return open, nil
	} else if !isNoRows(err) {
		return 0, err
	}
	c.County, c.VillageCode, c.HeadName, c.Status, c.CreatedBy, c.Version = h.County, h.VillageCode, h.HeadName, registry.CaseLead, p.Username, 1
	if c.Risks == nil {
		c.Risks = []string{}
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO monitoring_cases (county, household_id, village_code, channel, source, risks, status, lead_date, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, c.County, c.HouseholdID, c.VillageCode, c.Channel, c.Source,
		strings.Join(c.Risks, ","), c.Status, c.LeadDate, c.CreatedBy).Scan(&c.ID); err != nil {
		return 0, err
	}
	if err := s.addCaseStep(ctx, tx, p, c.ID, registry.CaseStep{Step: "lead", Outcome: c.Channel, Date: c.LeadDate, Note: note}); err != nil {
		return 0, err
	}
	return c.ID, s.logChange(ctx, tx, p, c.County, "case", c.ID, c.HouseholdID, "open", nil, c)
}

func (s *Store) addCaseStep(ctx context.Context, tx *sql.Tx, p auth.Principal, caseID int64, st registry.CaseStep) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO monitoring_steps (case_id, step, outcome, actor, step_date, at, evidence, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		caseID, st.Step, st.Outcome, p.Username, st.Date, s.stamp(), st.Evidence, st.Note)
	return err
}

func (s *Store) caseByID(ctx context.Context, q querier, p auth.Principal, id int64) (registry.Case, error) {
	cond, args := scopeCond(p, "c", []any{id})
	c, err := scanCase(q.QueryRowContext(ctx, `SELECT `+caseCols+` FROM monitoring_cases c JOIN households h ON h.id = c.household_id
		WHERE c.id = $1 AND `+cond, args...))
	if isNoRows(err) {
		return c, notFound()
	}
	return c, err
}

// Case returns a case in scope with its steps and measures. Roles that
// may not see personal data get no risks, which can reveal health.
func (s *Store) Case(ctx context.Context, p auth.Principal, id int64) (registry.Case, error) {
	c, err := s.caseByID(ctx, s.r, p, id)
	if err != nil {
		return c, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, step, outcome, actor, step_date, at, evidence, note FROM monitoring_steps WHERE case_id = $1 ORDER BY id`, id)
	if err != nil {
		return c, err
	}
	for rows.Next() {
		var st registry.CaseStep
		if err := rows.Scan(&st.ID, &st.Step, &st.Outcome, &st.Actor, &st.Date, &st.At, &st.Evidence, &st.Note); err != nil {
			rows.Close()
			return c, err
		}
		c.Steps = append(c.Steps, st)
	}
	rows.Close()
	if c.Measures, err = s.caseMeasures(ctx, s.r, id); err != nil {
		return c, err
	}
	c.MeasureCount = len(c.Measures)
	s.flagCase(&c)
	if !p.SeesPersonal() {
		c.Risks = []string{}
	}
	return c, nil
}

func (s *Store) caseMeasures(ctx context.Context, q querier, id int64) ([]registry.CaseMeasure, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, category, description, unit, cost, start_date, actor FROM monitoring_measures WHERE case_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.CaseMeasure{}
	for rows.Next() {
		var m registry.CaseMeasure
		if err := rows.Scan(&m.ID, &m.Category, &m.Description, &m.Unit, &m.Cost, &m.StartDate, &m.Actor); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// flagCase sets Overdue: a case not approved ApprovalDays after its lead,
// or monitored MeasureDays with no measure (MeasureCount must be set).
func (s *Store) flagCase(c *registry.Case) {
	today := dayOf(s.now())
	switch c.Status {
	case registry.CaseLead, registry.CaseChecked, registry.CaseNoticed, registry.CaseTownship:
		if lead, err := time.Parse("2006-01-02", c.LeadDate); err == nil && dayOf(lead.AddDate(0, 0, registry.ApprovalDays)) < today {
			c.Overdue = "approval"
		}
	case registry.CaseMonitored:
		if ap, err := time.Parse("2006-01-02", c.ApprovedAt); err == nil && c.MeasureCount == 0 && dayOf(ap.AddDate(0, 0, registry.MeasureDays)) < today {
			c.Overdue = "measure"
		}
	}
}

// CaseFilter selects cases for a list: an area, a status, a household, and a page of
// at most Limit (1,000) cases with IDs below BeforeID (0: from the newest).
type CaseFilter struct {
	Area        string
	Status      string
	HouseholdID int64
	BeforeID    int64
	Limit       int
}

// Cases lists the cases of an area in scope, newest first, each with its
// overdue flag.
func (s *Store) Cases(ctx context.Context, p auth.Principal, f CaseFilter) ([]registry.Case, error) {
	area, ok := effectiveArea(p, f.Area)
	if !ok {
		return nil, notFound()
	}
	lo, hi := auth.AreaRange(area)
	q := `SELECT ` + caseCols + `, (SELECT COUNT(*) FROM monitoring_measures m WHERE m.case_id = c.id)
		FROM monitoring_cases c JOIN households h ON h.id = c.household_id WHERE c.village_code >= $1 AND c.village_code < $2`
	args := []any{lo, hi}
	if f.Status != "" {
		args = append(args, f.Status)
		q += ` AND c.status = $` + strconv.Itoa(len(args))
	}
	if f.BeforeID > 0 {
		args = append(args, f.BeforeID)
		q += ` AND c.id < $` + strconv.Itoa(len(args))
	}
	if f.HouseholdID > 0 {
		args = append(args, f.HouseholdID)
		q += ` AND c.household_id = $` + strconv.Itoa(len(args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY c.id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Case{}
	var c0 registry.Case
	for rows.Next() {
		c, err := scanCase(scannerFunc(func(dest ...any) error { return rows.Scan(append(dest, &c0.MeasureCount)...) }))
		if err != nil {
			return nil, err
		}
		c.MeasureCount = c0.MeasureCount
		s.flagCase(&c)
		if !p.SeesPersonal() {
			c.Risks = []string{}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// scannerFunc adapts a function to scanner, to scan extra columns.
type scannerFunc func(dest ...any) error

func (f scannerFunc) Scan(dest ...any) error { return f(dest...) }

// Notices is the public notice (公示) of an area: cases whose village
// notice runs on day. It carries no ID number, phone, bank account,
// health data or risk.
func (s *Store) Notices(ctx context.Context, p auth.Principal, area, day string) ([]registry.NoticeEntry, error) {
	area, ok := effectiveArea(p, area)
	if !ok {
		return nil, notFound()
	}
	if day == "" {
		day = dayOf(s.now())
	}
	lo, hi := auth.AreaRange(area)
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.village_code, h.group_name, h.head_name, c.category, c.notice_start, c.notice_end,
		(SELECT COUNT(*) FROM members m WHERE m.household_id = h.id AND m.deceased = 0)
		FROM monitoring_cases c JOIN households h ON h.id = c.household_id
		WHERE c.village_code >= $1 AND c.village_code < $2 AND c.notice_start <> '' AND c.notice_start <= $3 AND c.notice_end >= $3
		ORDER BY c.village_code, c.id`, lo, hi, day)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.NoticeEntry{}
	for rows.Next() {
		var e registry.NoticeEntry
		if err := rows.Scan(&e.CaseID, &e.VillageCode, &e.Group, &e.HeadName, &e.Category, &e.NoticeStart, &e.NoticeEnd, &e.Size); err != nil {
			return nil, err
		}
		if d, ok := s.div.Get(e.VillageCode); ok {
			e.VillageName = d.Name
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ActOnCase takes the next step of a case: the household check with
// signed consent, the village review and notice, the township review, the
// county's approval, a measure of assistance, or risk elimination. Each
// step is allowed only from the status it follows and to the roles that
// take it; evidence is required; a stale version is a conflict.
func (s *Store) ActOnCase(ctx context.Context, p auth.Principal, id int64, a registry.CaseAction) (registry.Case, error) {
	var out registry.Case
	if !p.CanVisit() {
		return out, fault.New(fault.Forbidden, "error.forbidden")
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseByID(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if a.Version != c.Version {
			return fault.New(fault.Conflict, "error.conflict")
		}
		before := c
		today := dayOf(s.now())
		if a.Date == "" {
			a.Date = today
		} else if _, err := time.Parse("2006-01-02", a.Date); err != nil || a.Date > today || a.Date < c.LeadDate {
			return badField("date", a.Date, "reason.step_date", "lead", c.LeadDate)
		}
		wrongStatus := func() error { return badField("action", a.Action, "reason.case_status", "status", c.Status) }
		needEvidence := func() error {
			if strings.TrimSpace(a.Evidence) == "" {
				return badField("evidence", "", "reason.required")
			}
			return nil
		}
		review := func(from, next string) error {
			if c.Status != from {
				return wrongStatus()
			}
			if err := needEvidence(); err != nil {
				return err
			}
			switch a.Outcome {
			case "approve":
				c.Status = next
			case "reject":
				c.Status, c.ClosedAt = registry.CaseRejected, a.Date
			default:
				return badField("outcome", a.Outcome, "reason.enum")
			}
			return nil
		}
		step := registry.CaseStep{Step: a.Action, Outcome: a.Outcome, Date: a.Date, Evidence: a.Evidence, Note: a.Note}
		switch a.Action {
		case "check": // 入户核实
			if c.Status != registry.CaseLead {
				return wrongStatus()
			}
			if err := needEvidence(); err != nil {
				return err
			}
			switch a.Outcome {
			case "at_risk":
				if !a.Consent {
					return badField("consent", "false", "reason.consent")
				}
				if !slices.Contains(registry.CaseCategories, a.Category) {
					return badField("category", a.Category, "reason.enum")
				}
				c.Status, c.Category = registry.CaseChecked, a.Category
				step.Outcome = "at_risk:" + a.Category
			case "not_at_risk":
				c.Status, c.ClosedAt = registry.CaseRejected, a.Date
			default:
				return badField("outcome", a.Outcome, "reason.enum")
			}
		case "notice": // 村级评议、公示
			if c.Status != registry.CaseChecked {
				return wrongStatus()
			}
			if err := needEvidence(); err != nil {
				return err
			}
			if a.NoticeDays == 0 {
				a.NoticeDays = registry.NoticeDays
			}
			if a.NoticeDays < registry.NoticeDays || a.NoticeDays > 30 {
				return badField("notice_days", strconv.Itoa(a.NoticeDays), "reason.range", "min", strconv.Itoa(registry.NoticeDays), "max", "30")
			}
			start, _ := time.Parse("2006-01-02", a.Date)
			c.Status, c.NoticeStart, c.NoticeEnd = registry.CaseNoticed, a.Date, dayOf(start.AddDate(0, 0, a.NoticeDays))
		case "township_review": // 乡镇审核
			if p.Role != auth.TownshipOfficer && p.Role != auth.CountyAdmin {
				return fault.New(fault.Forbidden, "error.forbidden")
			}
			if c.Status == registry.CaseNoticed && a.Date < c.NoticeEnd {
				return badField("date", a.Date, "reason.notice_running", "end", c.NoticeEnd)
			}
			if err := review(registry.CaseNoticed, registry.CaseTownship); err != nil {
				return err
			}
		case "county_approve": // 县级确认
			if p.Role != auth.CountyAdmin {
				return fault.New(fault.Forbidden, "error.forbidden")
			}
			if err := review(registry.CaseTownship, registry.CaseMonitored); err != nil {
				return err
			}
			if c.Status == registry.CaseMonitored {
				lead, _ := time.Parse("2006-01-02", c.LeadDate)
				c.ApprovedAt, c.Late = a.Date, a.Date > dayOf(lead.AddDate(0, 0, registry.ApprovalDays))
			}
		case "assist": // 帮扶措施
			if c.Status != registry.CaseMonitored {
				return wrongStatus()
			}
			m := a.Measure
			if m == nil {
				return badField("measure", "", "reason.required")
			}
			if _, ok := registry.MeasureCategories[m.Category]; !ok {
				return badField("measure.category", m.Category, "reason.enum")
			}
			if strings.TrimSpace(m.Description) == "" {
				return badField("measure.description", "", "reason.required")
			}
			if strings.TrimSpace(m.Unit) == "" {
				return badField("measure.unit", "", "reason.required")
			}
			if m.Cost < 0 {
				return badField("measure.cost", strconv.FormatInt(m.Cost, 10), "reason.negative")
			}
			m.StartDate, m.Actor = a.Date, p.Username
			if err := tx.QueryRowContext(ctx, `INSERT INTO monitoring_measures (case_id, category, description, unit, cost, start_date, actor)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, c.ID, m.Category, m.Description, m.Unit, m.Cost, m.StartDate, m.Actor).Scan(&m.ID); err != nil {
				return err
			}
			step.Outcome, step.Note = m.Category, strings.TrimSpace(m.Description+" "+a.Note)
		case "eliminate": // 风险消除
			if p.Role != auth.CountyAdmin {
				return fault.New(fault.Forbidden, "error.forbidden")
			}
			if c.Status != registry.CaseMonitored {
				return wrongStatus()
			}
			if err := needEvidence(); err != nil {
				return err
			}
			ms, err := s.caseMeasures(ctx, tx, c.ID)
			if err != nil {
				return err
			}
			if len(ms) == 0 {
				return badField("measures", "0", "reason.no_measure")
			}
			if len(a.Stable) < registry.EliminationMonths {
				return badField("stable", strconv.Itoa(len(a.Stable)), "reason.not_stable", "period", "", "months", strconv.Itoa(registry.EliminationMonths))
			}
			var months []string
			for i, m := range a.Stable {
				next := ""
				if t, err := time.Parse("2006-01", m.Period); err == nil {
					next = t.AddDate(0, 1, 0).Format("2006-01")
				}
				// Consecutive months, none after the step's own month.
				if !m.Assessed || !m.Passed || m.Period > a.Date[:7] || (i+1 < len(a.Stable) && a.Stable[i+1].Period != next) {
					return badField("stable", m.Period, "reason.not_stable", "period", m.Period, "months", strconv.Itoa(registry.EliminationMonths))
				}
				months = append(months, m.Period)
			}
			if first := a.Stable[0].Period; c.ApprovedAt == "" || first < c.ApprovedAt[:7] {
				// The stable months must follow the approval: income that was
				// already above the range then says nothing about the measures.
				return badField("stable", first, "reason.not_stable", "period", first, "months", strconv.Itoa(registry.EliminationMonths))
			}
			c.Status, c.ClosedAt = registry.CaseEliminated, a.Date
			step.Outcome = "stable:" + strings.Join(months, ",")
		default:
			return badField("action", a.Action, "reason.enum")
		}
		c.Version++
		res, err := tx.ExecContext(ctx, `UPDATE monitoring_cases SET category = $1, status = $2, notice_start = $3, notice_end = $4, approved_at = $5,
			late = $6, closed_at = $7, version = $8 WHERE id = $9 AND version = $10`,
			c.Category, c.Status, c.NoticeStart, c.NoticeEnd, c.ApprovedAt, b2i(c.Late), c.ClosedAt, c.Version, c.ID, before.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fault.New(fault.Conflict, "error.conflict")
		}
		if err := s.addCaseStep(ctx, tx, p, c.ID, step); err != nil {
			return err
		}
		if err := s.logChange(ctx, tx, p, c.County, "case", c.ID, c.HouseholdID, a.Action, before, c); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return out, err
	}
	return s.Case(ctx, p, id)
}

// ImportAlerts matches a department's data file to members by ID number
// and opens a lead (channel department) for each household matched that
// has no case yet. A file with any row in error writes nothing: the
// report names every bad row. dryRun checks and writes nothing either.
func (s *Store) ImportAlerts(ctx context.Context, p auth.Principal, rep *registry.AlertReport, alerts []registry.DepartmentAlert, dryRun bool) error {
	if !p.CanVisit() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	rep.Rows, rep.Errors = len(alerts), []fault.FieldError{}
	lo, hi := p.ScopeRange()
	bad := func(a registry.DepartmentAlert, field, value, key string) {
		rep.Errors = append(rep.Errors, fault.FieldError{Row: a.Row, Field: field, Value: value, Reason: i18n.M(key)})
	}
	type match struct {
		a      registry.DepartmentAlert
		hh     int64
		county string
	}
	// The unique index is (county, id_number): match within each county
	// in scope.
	var counties []string
	crows, err := s.r.QueryContext(ctx, `SELECT DISTINCT county FROM households WHERE village_code >= $1 AND village_code < $2`, lo, hi)
	if err != nil {
		return err
	}
	for crows.Next() {
		var c string
		if err := crows.Scan(&c); err != nil {
			crows.Close()
			return err
		}
		counties = append(counties, c)
	}
	crows.Close()
	var matched []match
	for _, a := range alerts {
		num, pr := idcard.Parse(a.IDNumber, s.now())
		if pr != idcard.OK {
			bad(a, "id_number", idcard.Mask(a.IDNumber), "id."+string(pr))
			continue
		}
		n := num.Text
		if a.Risk != "" && !slices.Contains(registry.RiskKinds, a.Risk) {
			bad(a, "risk", a.Risk, "reason.enum")
			continue
		}
		if strings.TrimSpace(a.Department) == "" {
			bad(a, "department", "", "reason.required")
			continue
		}
		var hh int64
		var county string
		err := sql.ErrNoRows
		for _, c := range counties {
			err = s.r.QueryRowContext(ctx, `SELECT m.household_id, h.county FROM members m JOIN households h ON h.id = m.household_id
				WHERE m.county = $1 AND m.id_number = $2 AND h.village_code >= $3 AND h.village_code < $4`, c, n, lo, hi).Scan(&hh, &county)
			if !isNoRows(err) {
				break
			}
		}
		if isNoRows(err) {
			bad(a, "id_number", idcard.Mask(n), "reason.no_member")
			continue
		} else if err != nil {
			return err
		}
		matched = append(matched, match{a, hh, county})
	}
	rep.Matched = len(matched)
	if len(rep.Errors) > 0 || dryRun || len(matched) == 0 {
		rep.Committed = len(rep.Errors) == 0 && !dryRun
		return nil
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		rep.Opened, rep.AlreadyOpen = 0, 0
		for _, m := range matched {
			c := registry.Case{HouseholdID: m.hh, Channel: "department", Source: rep.File + " #" + strconv.Itoa(m.a.Row) + " " + m.a.Department}
			if m.a.Risk != "" {
				c.Risks = []string{m.a.Risk}
			}
			id, err := s.openCase(ctx, tx, p, &c, m.a.Note)
			if err != nil {
				return err
			}
			if id == c.ID {
				rep.Opened++
			} else {
				rep.AlreadyOpen++
			}
		}
		return s.logChange(ctx, tx, p, matched[0].county, "alert_file", 0, 0, "import", nil, rep)
	})
	rep.Committed = err == nil
	return err
}
