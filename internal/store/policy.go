package store

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
)

// seedPolicy stores the shipped rule sets whose code the database does
// not hold yet, and the shipped parameter rows it lacks. A county's own
// changes are never overwritten.
func (s *Store) seedPolicy(ctx context.Context) error {
	sets, err := policy.Builtin()
	if err != nil {
		return err
	}
	params, err := policy.BuiltinParams()
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, rs := range sets {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rule_sets WHERE code = $1`, rs.Code).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			rs.CreatedAt = s.now()
			if err := s.insertRuleSet(ctx, tx, rs); err != nil {
				return err
			}
			if err := s.logChange(ctx, tx, auth.System("tuopin"), "", "ruleset", rs.ID, 0, "seed", nil, rs); err != nil {
				return err
			}
		}
		for _, p := range params {
			if _, err := tx.ExecContext(ctx, `INSERT INTO policy_params (jurisdiction, kind, year, value, source, certainty, updated_by, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, 'tuopin', $7) ON CONFLICT (jurisdiction, kind, year) DO NOTHING`,
				p.Jurisdiction, p.Kind, p.Year, p.Value, p.Source, p.Certainty, s.stamp()); err != nil {
				return err
			}
		}
		return bumpPolicy(ctx, tx)
	})
}

func (s *Store) insertRuleSet(ctx context.Context, tx *sql.Tx, rs *policy.RuleSet) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO rule_sets (code, version, kind, sense, name_zh, name_en, effective_from, effective_to,
		source, denominator, cutoff, vulnerable, severe, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		rs.Code, rs.Version, rs.Kind, rs.Sense, rs.NameZh, rs.NameEn, rs.EffectiveFrom, rs.EffectiveTo,
		rs.Source, rs.Denominator, rs.Cutoff, rs.Vulnerable, rs.Severe, rs.CreatedBy, rs.CreatedAt.UTC().Format(time.RFC3339Nano)).Scan(&rs.ID)
	if err != nil {
		return err
	}
	for i, r := range rs.Rules {
		if _, err := tx.ExecContext(ctx, `INSERT INTO rules (ruleset_id, position, code, indicator, expression, desc_zh, desc_en, weight, fields)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			rs.ID, i, r.Code, r.Indicator, r.Expression, r.DescZh, r.DescEn, r.Weight, strings.Join(r.Fields, ",")); err != nil {
			return err
		}
	}
	return nil
}

const ruleSetSelect = `SELECT id, code, version, kind, sense, name_zh, name_en, effective_from, effective_to, source,
	denominator, cutoff, vulnerable, severe, created_by, created_at, used FROM rule_sets`

// RuleSets returns rule sets with their rules: every version when all is
// set, else the latest version of each code. Ordered by code, version.
func (s *Store) RuleSets(ctx context.Context, all bool) ([]*policy.RuleSet, error) {
	q := ruleSetSelect
	if !all {
		q += ` WHERE version = (SELECT MAX(version) FROM rule_sets r2 WHERE r2.code = rule_sets.code)`
	}
	return s.ruleSets(ctx, s.r, q+` ORDER BY code, version`)
}

// RuleSet returns one version by ID.
func (s *Store) RuleSet(ctx context.Context, id int64) (*policy.RuleSet, error) {
	sets, err := s.ruleSets(ctx, s.r, ruleSetSelect+` WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(sets) == 0 {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	return sets[0], nil
}

// RuleSetsInForce returns, for each code, the latest version in force on
// the period's last day.
func (s *Store) RuleSetsInForce(ctx context.Context, p policy.Period) ([]*policy.RuleSet, error) {
	all, err := s.RuleSets(ctx, true)
	if err != nil {
		return nil, err
	}
	var out []*policy.RuleSet
	for _, rs := range all {
		if !rs.Covers(p) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Code == rs.Code {
			out[n-1] = rs // versions come in ascending order
			continue
		}
		out = append(out, rs)
	}
	return out, nil
}

func (s *Store) ruleSets(ctx context.Context, q querier, query string, args ...any) ([]*policy.RuleSet, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []*policy.RuleSet
	byID := map[int64]*policy.RuleSet{}
	for rows.Next() {
		rs := &policy.RuleSet{}
		var created string
		var used int
		if err := rows.Scan(&rs.ID, &rs.Code, &rs.Version, &rs.Kind, &rs.Sense, &rs.NameZh, &rs.NameEn, &rs.EffectiveFrom, &rs.EffectiveTo,
			&rs.Source, &rs.Denominator, &rs.Cutoff, &rs.Vulnerable, &rs.Severe, &rs.CreatedBy, &created, &used); err != nil {
			rows.Close()
			return nil, err
		}
		rs.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
		rs.Used = used == 1
		rs.Rules = []policy.Rule{}
		out = append(out, rs)
		byID[rs.ID] = rs
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	rrows, err := q.QueryContext(ctx, `SELECT ruleset_id, code, indicator, expression, desc_zh, desc_en, weight, fields FROM rules ORDER BY ruleset_id, position`)
	if err != nil {
		return nil, err
	}
	defer rrows.Close()
	for rrows.Next() {
		var id int64
		var r policy.Rule
		var fields string
		if err := rrows.Scan(&id, &r.Code, &r.Indicator, &r.Expression, &r.DescZh, &r.DescEn, &r.Weight, &fields); err != nil {
			return nil, err
		}
		if fields != "" {
			r.Fields = strings.Split(fields, ",")
		}
		if rs := byID[id]; rs != nil {
			rs.Rules = append(rs.Rules, r)
		}
	}
	return out, rrows.Err()
}

// SaveRuleSet stores rs as a new version of its code (version 1 for a new
// code). Stored versions are never edited, so every finding keeps pointing
// at the rules that produced it. A set equal to the latest version is not
// stored again. The rules are compiled first; errors name the field.
func (s *Store) SaveRuleSet(ctx context.Context, actor string, rs *policy.RuleSet) (*policy.RuleSet, error) {
	if _, err := rs.Compile(); err != nil {
		return nil, err
	}
	var saved *policy.RuleSet
	err := s.tx(ctx, func(tx *sql.Tx) error {
		latest, err := s.ruleSets(ctx, tx, ruleSetSelect+` WHERE code = $1 ORDER BY version DESC LIMIT 1`, rs.Code)
		if err != nil {
			return err
		}
		n := *rs
		n.Version, n.CreatedBy, n.CreatedAt, n.Used = 1, actor, s.now(), false
		if len(latest) > 0 {
			if sameRules(latest[0], rs) {
				saved = latest[0]
				return nil
			}
			if latest[0].Kind != rs.Kind {
				return fault.Fields([]fault.FieldError{{Field: "kind", Value: rs.Kind, Reason: i18n.M("reason.kind_fixed", "kind", latest[0].Kind)}})
			}
			n.Version = latest[0].Version + 1
		}
		if err := s.insertRuleSet(ctx, tx, &n); err != nil {
			return err
		}
		saved = &n
		if err := s.logChange(ctx, tx, auth.System(actor), "", "ruleset", n.ID, 0, "create", nil, &n); err != nil {
			return err
		}
		return bumpPolicy(ctx, tx)
	})
	return saved, err
}

// sameRules reports whether b would store exactly what a holds.
func sameRules(a, b *policy.RuleSet) bool {
	x, y := *a, *b
	x.ID, x.Version, x.CreatedBy, x.CreatedAt, x.Used = 0, 0, "", time.Time{}, false
	y.ID, y.Version, y.CreatedBy, y.CreatedAt, y.Used = 0, 0, "", time.Time{}, false
	return reflect.DeepEqual(x, y)
}

// MarkUsed records that findings were written with these versions.
func (s *Store) MarkUsed(ctx context.Context, ids []int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return markUsed(ctx, tx, ids) })
}

// markUsed records that assessments used these versions.
func markUsed(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE rule_sets SET used = 1 WHERE id = $1 AND used = 0`, id); err != nil {
			return err
		}
	}
	return nil
}

// Params returns the parameter table.
func (s *Store) Params(ctx context.Context) (*policy.Params, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT jurisdiction, kind, year, value, source, certainty FROM policy_params`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []policy.Param
	for rows.Next() {
		var p policy.Param
		if err := rows.Scan(&p.Jurisdiction, &p.Kind, &p.Year, &p.Value, &p.Source, &p.Certainty); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return policy.NewParams(out), rows.Err()
}

// SaveParam adds or replaces one parameter row. Findings keep the values
// they read in their snapshots, so a change never rewrites the past.
func (s *Store) SaveParam(ctx context.Context, actor string, p policy.Param) error {
	if errs := p.Check(); len(errs) > 0 {
		return fault.Fields(errs)
	}
	if p.Jurisdiction != "" {
		if _, ok := s.div.Get(p.Jurisdiction); !ok {
			return fault.Fields([]fault.FieldError{{Field: "jurisdiction", Value: p.Jurisdiction, Reason: i18n.M("reason.division_unknown")}})
		}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_params (jurisdiction, kind, year, value, source, certainty, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (jurisdiction, kind, year) DO UPDATE SET value = excluded.value, source = excluded.source,
		certainty = excluded.certainty, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			p.Jurisdiction, p.Kind, p.Year, p.Value, p.Source, p.Certainty, actor, s.stamp()); err != nil {
			return err
		}
		if err := s.logChange(ctx, tx, auth.System(actor), "", "param", 0, 0, "save", nil, p); err != nil {
			return err
		}
		return bumpPolicy(ctx, tx)
	})
}

func bumpPolicy(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE policy_epoch SET epoch = epoch + 1`)
	return err
}

// PolicyEpoch is a counter every change of rule sets or parameters
// increases; caches of compiled rules compare it.
func (s *Store) PolicyEpoch(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT epoch FROM policy_epoch`).Scan(&n)
	return n, err
}
