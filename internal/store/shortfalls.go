package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
)

const shortfallCols = `id, county, household_id, village_code, ruleset_code, rule_code, indicator, status, opened_period, opened_at,
	measure_category, measure_cost, measure_unit, deadline, planned_by, resolution, evidence, resolved_by, resolved_at,
	verified_by, verified_at, reopened, version`

func scanShortfall(sc scanner) (registry.Shortfall, error) {
	var x registry.Shortfall
	err := sc.Scan(&x.ID, &x.County, &x.HouseholdID, &x.VillageCode, &x.RuleSetCode, &x.RuleCode, &x.Indicator, &x.Status, &x.OpenedPeriod, &x.OpenedAt,
		&x.MeasureCategory, &x.MeasureCost, &x.MeasureUnit, &x.Deadline, &x.PlannedBy, &x.Resolution, &x.Evidence, &x.ResolvedBy, &x.ResolvedAt,
		&x.VerifiedBy, &x.VerifiedAt, &x.Reopened, &x.Version)
	return x, err
}

// active statuses: an item not yet verified.
const activeStatuses = `('open', 'in_progress', 'resolved')`

// SyncShortfalls brings one household's shortfall items in line with its
// finding for an exit rule set: a failed rule opens an item (or reopens a
// resolved one), a rule that passes again resolves its open item. Rules of
// the procedure indicator and households outside the registry open none.
func (s *Store) SyncShortfalls(ctx context.Context, rs *policy.RuleSet, f Finding) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.syncShortfalls(ctx, tx, rs, f) })
}

func (s *Store) syncShortfalls(ctx context.Context, tx *sql.Tx, rs *policy.RuleSet, f Finding) error {
	active, err := activeItems(ctx, tx, rs.Code, f.HouseholdID, f.HouseholdID)
	if err != nil {
		return err
	}
	d := tallyDelta{}
	if err := s.applyFinding(ctx, tx, d, rs, f, active[f.HouseholdID]); err != nil {
		return err
	}
	return d.flush(ctx, tx)
}

// activeItems reads the active items of a rule set for the households
// with IDs from lo to hi, by household and rule.
func activeItems(ctx context.Context, q querier, set string, lo, hi int64) (map[int64]map[string]registry.Shortfall, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+shortfallCols+` FROM shortfalls WHERE household_id >= $1 AND household_id <= $2 AND ruleset_code = $3
		AND status IN `+activeStatuses, lo, hi, set)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]map[string]registry.Shortfall{}
	for rows.Next() {
		x, err := scanShortfall(rows)
		if err != nil {
			return nil, err
		}
		if out[x.HouseholdID] == nil {
			out[x.HouseholdID] = map[string]registry.Shortfall{}
		}
		out[x.HouseholdID][x.RuleCode] = x
	}
	return out, rows.Err()
}

// findingChanges reports whether applyFinding would change anything, so
// a sync can skip households whose items already match.
func findingChanges(rs *policy.RuleSet, f Finding, active map[string]registry.Shortfall) bool {
	for i, r := range rs.Rules {
		if r.Indicator == "procedure" || f.Status == "non_poor" {
			continue
		}
		failed := f.Fail&(1<<i) != 0
		x, has := active[r.Code]
		if (failed && (!has || x.Status == registry.ShortfallResolved)) ||
			(!failed && has && (x.Status == registry.ShortfallOpen || x.Status == registry.ShortfallInProgress)) {
			return true
		}
	}
	return false
}

// applyFinding opens, reopens and resolves one household's items so they
// match its finding f; active holds its active items by rule.
func (s *Store) applyFinding(ctx context.Context, tx *sql.Tx, d tallyDelta, rs *policy.RuleSet, f Finding, active map[string]registry.Shortfall) error {
	sys := auth.System("assessment")
	now := s.stamp()
	for i, r := range rs.Rules {
		if r.Indicator == "procedure" || f.Status == "non_poor" {
			continue
		}
		failed := f.Fail&(1<<i) != 0
		x, has := active[r.Code]
		switch {
		case failed && !has:
			x = registry.Shortfall{County: f.County, HouseholdID: f.HouseholdID, VillageCode: f.Village, RuleSetCode: rs.Code, RuleCode: r.Code,
				Indicator: r.Indicator, Status: registry.ShortfallOpen, OpenedPeriod: f.Period, OpenedAt: now, Version: 1}
			if err := tx.QueryRowContext(ctx, `INSERT INTO shortfalls (county, household_id, village_code, ruleset_code, rule_code, indicator, status, opened_period, opened_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, x.County, x.HouseholdID, x.VillageCode, x.RuleSetCode, x.RuleCode, x.Indicator,
				x.Status, x.OpenedPeriod, x.OpenedAt).Scan(&x.ID); err != nil {
				return err
			}
			d.move(nil, &x)
			if err := s.logChange(ctx, tx, sys, x.County, "shortfall", x.ID, x.HouseholdID, "open", nil, x); err != nil {
				return err
			}
		case failed && x.Status == registry.ShortfallResolved:
			before := x
			x.Status, x.Reopened, x.Version = registry.ShortfallOpen, x.Reopened+1, x.Version+1
			if x.MeasureCategory != "" {
				x.Status = registry.ShortfallInProgress
			}
			x.Resolution, x.ResolvedBy, x.ResolvedAt = "", "", ""
			if err := s.saveShortfall(ctx, tx, d, sys, "reopen", before, x); err != nil {
				return err
			}
		case !failed && has && (x.Status == registry.ShortfallOpen || x.Status == registry.ShortfallInProgress):
			before := x
			x.Status, x.Resolution, x.ResolvedBy, x.ResolvedAt, x.Version = registry.ShortfallResolved, "auto", sys.Username, now, x.Version+1
			if err := s.saveShortfall(ctx, tx, d, sys, "resolve", before, x); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveShortfall writes an item's state if it still has the version it was
// read with, and logs the change.
func (s *Store) saveShortfall(ctx context.Context, tx *sql.Tx, d tallyDelta, p auth.Principal, action string, before, x registry.Shortfall) error {
	res, err := tx.ExecContext(ctx, `UPDATE shortfalls SET status = $1, measure_category = $2, measure_cost = $3, measure_unit = $4, deadline = $5,
		planned_by = $6, resolution = $7, evidence = $8, resolved_by = $9, resolved_at = $10, verified_by = $11, verified_at = $12, reopened = $13,
		version = $14 WHERE id = $15 AND version = $16`,
		x.Status, x.MeasureCategory, x.MeasureCost, x.MeasureUnit, x.Deadline, x.PlannedBy, x.Resolution, x.Evidence, x.ResolvedBy, x.ResolvedAt,
		x.VerifiedBy, x.VerifiedAt, x.Reopened, x.Version, x.ID, before.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fault.New(fault.Conflict, "error.conflict")
	}
	d.move(&before, &x)
	return s.logChange(ctx, tx, p, x.County, "shortfall", x.ID, x.HouseholdID, action, before, x)
}

// Shortfalls lists a household's items, newest first.
func (s *Store) Shortfalls(ctx context.Context, p auth.Principal, householdID int64) ([]registry.Shortfall, error) {
	if _, err := s.getHousehold(ctx, s.r, p, householdID); err != nil {
		return nil, err
	}
	return s.queryShortfalls(ctx, `SELECT `+shortfallCols+` FROM shortfalls WHERE household_id = $1 ORDER BY id DESC`, householdID)
}

// queryShortfalls runs a query of shortfallCols and scans every row.
func (s *Store) queryShortfalls(ctx context.Context, q string, args ...any) ([]registry.Shortfall, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Shortfall{}
	for rows.Next() {
		x, err := scanShortfall(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// shortfall reads one item in scope for update.
func (s *Store) shortfall(ctx context.Context, tx *sql.Tx, p auth.Principal, id int64) (registry.Shortfall, error) {
	lo, hi := auth.AreaRange(p.Area)
	x, err := scanShortfall(tx.QueryRowContext(ctx, `SELECT `+shortfallCols+` FROM shortfalls WHERE id = $1 AND village_code >= $2 AND village_code < $3`, id, lo, hi))
	if isNoRows(err) {
		return x, fault.New(fault.NotFound, "error.not_found")
	}
	return x, err
}

// ShortfallAction is a step in an item's work: plan a measure, resolve
// with evidence, verify, or reopen.
type ShortfallAction struct {
	Action   string `json:"action"` // plan, resolve, verify, reopen
	Version  int    `json:"version"`
	Category string `json:"category,omitempty"`
	Cost     int64  `json:"cost,omitempty"` // fen
	Unit     string `json:"unit,omitempty"`
	Deadline string `json:"deadline,omitempty"` // default: today + the category's days
	Evidence string `json:"evidence,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// ActOnShortfall applies one step to an item in scope. Each step is
// allowed only from the statuses it follows; verifying needs a person
// other than the one who resolved it; a stale version is a conflict.
func (s *Store) ActOnShortfall(ctx context.Context, p auth.Principal, id int64, a ShortfallAction) (registry.Shortfall, error) {
	var out registry.Shortfall
	if !p.CanVisit() && !p.CanVerify() {
		return out, fault.New(fault.Forbidden, "error.forbidden")
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		x, err := s.shortfall(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if a.Version != x.Version {
			return fault.New(fault.Conflict, "error.conflict")
		}
		before := x
		x.Version++
		now := s.now()
		bad := func(field, value, key string, kv ...string) error {
			return fault.Fields([]fault.FieldError{{Field: field, Value: value, Reason: i18n.M(key, kv...)}})
		}
		wrongStatus := func() error { return bad("action", a.Action, "reason.shortfall_status", "status", x.Status) }
		switch a.Action {
		case "plan":
			if x.Status != registry.ShortfallOpen && x.Status != registry.ShortfallInProgress {
				return wrongStatus()
			}
			days, ok := registry.MeasureCategories[a.Category]
			if !ok {
				return bad("category", a.Category, "reason.enum")
			}
			if a.Cost < 0 {
				return bad("cost", strconv.FormatInt(a.Cost, 10), "reason.negative")
			}
			if strings.TrimSpace(a.Unit) == "" {
				return bad("unit", "", "reason.required")
			}
			if a.Deadline == "" {
				// The county's own deadline for the category, else the default.
				if params, err := s.Params(ctx); err == nil {
					if v, ok := params.Lookup(policy.ParamDeadlinePrefix+a.Category, x.VillageCode, now.Year()); ok {
						days = int(v.Value)
					}
				}
				a.Deadline = now.AddDate(0, 0, days).Format("2006-01-02")
			} else if _, err := time.Parse("2006-01-02", a.Deadline); err != nil {
				return bad("deadline", a.Deadline, "reason.date")
			}
			x.Status, x.MeasureCategory, x.MeasureCost, x.MeasureUnit, x.Deadline, x.PlannedBy = registry.ShortfallInProgress, a.Category, a.Cost, a.Unit, a.Deadline, p.Username
		case "resolve":
			if x.Status != registry.ShortfallOpen && x.Status != registry.ShortfallInProgress {
				return wrongStatus()
			}
			if strings.TrimSpace(a.Evidence) == "" {
				return bad("evidence", "", "reason.required")
			}
			x.Status, x.Resolution, x.Evidence, x.ResolvedBy, x.ResolvedAt = registry.ShortfallResolved, "reported", a.Evidence, p.Username, s.stamp()
		case "verify":
			if x.Status != registry.ShortfallResolved {
				return wrongStatus()
			}
			if x.ResolvedBy == p.Username {
				return fault.New(fault.Forbidden, "error.verify_own")
			}
			x.Status, x.VerifiedBy, x.VerifiedAt = registry.ShortfallVerified, p.Username, s.stamp()
		case "reopen":
			if x.Status != registry.ShortfallResolved && x.Status != registry.ShortfallVerified {
				return wrongStatus()
			}
			if strings.TrimSpace(a.Reason) == "" {
				return bad("reason", "", "reason.required")
			}
			x.Status, x.Reopened, x.Resolution, x.ResolvedBy, x.ResolvedAt, x.VerifiedBy, x.VerifiedAt = registry.ShortfallOpen, x.Reopened+1, "", "", "", "", ""
			if x.MeasureCategory != "" {
				x.Status = registry.ShortfallInProgress
			}
		default:
			return bad("action", a.Action, "reason.enum")
		}
		d := tallyDelta{}
		if err := s.saveShortfall(ctx, tx, d, p, a.Action, before, x); err != nil {
			return err
		}
		if err := d.flush(ctx, tx); err != nil {
			return err
		}
		out = x
		return nil
	})
	return out, err
}

// SyncShortfalls is SyncShortfalls inside the writer's transaction, so a
// re-assessment and the items it opens or resolves commit together.
func (w *FindingWriter) SyncShortfalls(rs *policy.RuleSet, f Finding) error {
	return w.s.syncShortfalls(w.ctx, w.tx, rs, f)
}

// SyncPeriodShortfalls brings the items of every household in area in
// line with its findings of a period for the exit set rs, in chunks of a
// thousand households per transaction. It returns how many households it
// looked at: those that failed a rule or had an active item.
func (s *Store) SyncPeriodShortfalls(ctx context.Context, rs *policy.RuleSet, period, area string) (int, error) {
	lo, hi := auth.AreaRange(area)
	var last int64 = -1
	n := 0
	for {
		// Only a household that failed a rule or has an active item can
		// change its items; the others are skipped in the query.
		rows, err := s.r.QueryContext(ctx, `SELECT household_id, county, village_code, status, fail_mask FROM assessments a
			WHERE period = $1 AND household_id > $2 AND ruleset_id = $3 AND village_code >= $4 AND village_code < $5
			AND (fail_mask <> 0 OR EXISTS (SELECT 1 FROM shortfalls x WHERE x.household_id = a.household_id AND x.ruleset_code = $6
			AND x.status IN `+activeStatuses+`))
			ORDER BY household_id LIMIT 1000`, period, last, rs.ID, lo, hi, rs.Code)
		if err != nil {
			return n, err
		}
		var batch []Finding
		for rows.Next() {
			f := Finding{Period: period, RuleSetID: rs.ID}
			var mask int64
			if err := rows.Scan(&f.HouseholdID, &f.County, &f.Village, &f.Status, &mask); err != nil {
				rows.Close()
				return n, err
			}
			f.Fail = uint64(mask)
			batch = append(batch, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		if len(batch) == 0 {
			return n, nil
		}
		// One read of the chunk's active items; a transaction only for the
		// households whose items change.
		active, err := activeItems(ctx, s.r, rs.Code, batch[0].HouseholdID, batch[len(batch)-1].HouseholdID)
		if err != nil {
			return n, err
		}
		var changed []Finding
		for _, f := range batch {
			if findingChanges(rs, f, active[f.HouseholdID]) {
				changed = append(changed, f)
			}
		}
		if len(changed) > 0 {
			err = s.tx(ctx, func(tx *sql.Tx) error {
				// Read again under the write lock: an item may have moved
				// since the read above.
				active, err := activeItems(ctx, tx, rs.Code, changed[0].HouseholdID, changed[len(changed)-1].HouseholdID)
				if err != nil {
					return err
				}
				d := tallyDelta{}
				for _, f := range changed {
					if err := s.applyFinding(ctx, tx, d, rs, f, active[f.HouseholdID]); err != nil {
						return err
					}
				}
				return d.flush(ctx, tx)
			})
			if err != nil {
				return n, err
			}
		}
		n += len(batch)
		last = batch[len(batch)-1].HouseholdID
	}
}

// ShortfallFilter selects items for a list: an area, a status (or
// "active" for open and in progress), an indicator, only overdue ones.
type ShortfallFilter struct {
	Area      string
	Status    string
	Indicator string
	Overdue   bool
	AfterID   int64 // the last ID of the previous page
	Limit     int
}

// ListShortfalls lists the items in scope that match f, by ID.
func (s *Store) ListShortfalls(ctx context.Context, p auth.Principal, f ShortfallFilter) ([]registry.Shortfall, error) {
	area, ok := effectiveArea(p, f.Area)
	if !ok {
		return nil, notFound()
	}
	lo, hi := auth.AreaRange(area)
	// For a township or a village the village index narrows the items;
	// for a county, walking the items by ID and stopping at the page is
	// faster than sorting every item of the county, so the comparison is
	// written where no index can serve it.
	areaCol := "village_code"
	if len(area) <= 6 {
		areaCol = "(village_code || '')"
	}
	q := `SELECT ` + shortfallCols + ` FROM shortfalls WHERE ` + areaCol + ` >= $1 AND ` + areaCol + ` < $2 AND id > $3`
	args := []any{lo, hi, f.AfterID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch f.Status {
	case "":
	case "active":
		q += ` AND status IN ('open', 'in_progress')`
	default:
		q += ` AND status = ` + arg(f.Status)
	}
	if f.Indicator != "" {
		q += ` AND indicator = ` + arg(f.Indicator)
	}
	if f.Overdue {
		q += ` AND status IN ('open', 'in_progress') AND deadline > '' AND deadline < ` + arg(s.now().Format("2006-01-02"))
	}
	if f.Limit <= 0 || f.Limit > 10000 {
		f.Limit = 10000
	}
	return s.queryShortfalls(ctx, q+` ORDER BY id LIMIT `+strconv.Itoa(f.Limit), args...)
}
