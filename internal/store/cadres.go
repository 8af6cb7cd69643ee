package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/registry"
)

func (s *Store) checkCadre(c *registry.Cadre) []fault.FieldError {
	var errs []fault.FieldError
	req := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fault.FieldError{Field: field, Reason: errMsg("reason.required")})
		}
	}
	req("name", c.Name)
	req("unit", c.Unit)
	if !registry.InList("unitlevel", c.UnitLevel) {
		errs = append(errs, fault.FieldError{Field: "unit_level", Value: c.UnitLevel, Reason: errMsg("reason.enum")})
	}
	if d, ok := s.div.Get(c.Area); !ok || len(d.Code) < 6 {
		errs = append(errs, fault.FieldError{Field: "area", Value: c.Area, Reason: errMsg("error.bad_area")})
	} else {
		c.County = c.Area[:6]
	}
	return errs
}

// SaveCadre creates (ID 0) or updates a cadre in scope; an update must
// carry the stored version.
func (s *Store) SaveCadre(ctx context.Context, p auth.Principal, c *registry.Cadre) error {
	if !p.CanEditRegistry() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	if errs := s.checkCadre(c); len(errs) > 0 {
		return fault.Fields(errs)
	}
	if !p.InScope(c.Area) {
		return fault.New(fault.NotFound, "error.area_outside")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if c.ID == 0 {
			c.Version = 1
			if err := tx.QueryRowContext(ctx, `INSERT INTO cadres (county, name, unit, unit_level, post, phone, area, username, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) RETURNING id`,
				c.County, c.Name, c.Unit, c.UnitLevel, c.Post, c.Phone, c.Area, c.Username).Scan(&c.ID); err != nil {
				return err
			}
			return s.logChange(ctx, tx, p, c.County, "cadre", c.ID, 0, "create", nil, c)
		}
		before, err := s.getCadre(ctx, tx, p, c.ID)
		if err != nil {
			return err
		}
		if before.Version != c.Version {
			return fault.New(fault.Conflict, "error.conflict")
		}
		res, err := tx.ExecContext(ctx, `UPDATE cadres SET county = $1, name = $2, unit = $3, unit_level = $4, post = $5, phone = $6, area = $7, username = $8, version = version + 1 WHERE id = $9 AND version = $10`,
			c.County, c.Name, c.Unit, c.UnitLevel, c.Post, c.Phone, c.Area, c.Username, c.ID, c.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fault.New(fault.Conflict, "error.conflict")
		}
		c.Version++
		return s.logChange(ctx, tx, p, c.County, "cadre", c.ID, 0, "update", before, c)
	})
}

const cadreSelect = "c.id, c.county, c.name, c.unit, c.unit_level, c.post, c.phone, c.area, c.username, c.version"

func scanCadre(sc scanner, extra ...any) (registry.Cadre, error) {
	var c registry.Cadre
	err := sc.Scan(append([]any{&c.ID, &c.County, &c.Name, &c.Unit, &c.UnitLevel, &c.Post, &c.Phone, &c.Area, &c.Username, &c.Version}, extra...)...)
	return c, err
}

func (s *Store) getCadre(ctx context.Context, q querier, p auth.Principal, id int64) (registry.Cadre, error) {
	lo, hi := p.ScopeRange()
	c, err := scanCadre(q.QueryRowContext(ctx, "SELECT "+cadreSelect+" FROM cadres c WHERE c.id = $1 AND c.area >= $2 AND c.area < $3", id, lo, hi))
	if isNoRows(err) {
		return c, notFound()
	}
	return c, err
}

// GetCadre returns one cadre in scope.
func (s *Store) GetCadre(ctx context.Context, p auth.Principal, id int64) (registry.Cadre, error) {
	c, err := s.getCadre(ctx, s.r, p, id)
	if err == nil && !p.SeesPersonal() && c.Phone != "" {
		c.Phone = registry.MaskPhone(c.Phone)
	}
	return c, err
}

// ListCadres returns a page of cadres working in area (within scope),
// with the number of households each is currently paired with.
func (s *Store) ListCadres(ctx context.Context, p auth.Principal, area string, page, size int) ([]registry.Cadre, int, error) {
	area, ok := effectiveArea(p, area)
	if !ok {
		return []registry.Cadre{}, 0, nil
	}
	if size <= 0 || size > 500 {
		size = 50
	}
	if page < 1 {
		page = 1
	}
	lo, hi := auth.AreaRange(area)
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM cadres c WHERE c.area >= $1 AND c.area < $2`, lo, hi).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+cadreSelect+", (SELECT COUNT(*) FROM pairings pr WHERE pr.cadre_id = c.id AND pr.end_date = '') FROM cadres c WHERE c.area >= $1 AND c.area < $2 ORDER BY c.area, c.id LIMIT $3 OFFSET $4",
		lo, hi, size, (page-1)*size)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []registry.Cadre{}
	for rows.Next() {
		var n int
		c, err := scanCadre(rows, &n)
		if err != nil {
			return nil, 0, err
		}
		c.Households = n
		if !p.SeesPersonal() && c.Phone != "" {
			c.Phone = registry.MaskPhone(c.Phone)
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// Pair assigns a cadre to a household from start (YYYY-MM-DD). The
// household's current pairing, if any, ends that day: a change of cadre
// adds a row and keeps the old one as history.
func (s *Store) Pair(ctx context.Context, p auth.Principal, pr *registry.Pairing) error {
	if !p.CanEditRegistry() {
		return fault.New(fault.Forbidden, "error.forbidden")
	}
	if !validDate(pr.Start) {
		return fault.Fields([]fault.FieldError{{Field: "start_date", Value: pr.Start, Reason: errMsg("reason.date")}})
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		h, err := s.getHousehold(ctx, tx, p, pr.HouseholdID)
		if err != nil {
			return err
		}
		c, err := s.getCadre(ctx, tx, auth.Principal{Area: h.County}, pr.CadreID)
		if err != nil {
			return fault.Fields([]fault.FieldError{{Field: "cadre_id", Value: strconv.FormatInt(pr.CadreID, 10), Reason: errMsg("reason.cadre_unknown")}})
		}
		pr.County, pr.CadreName = h.County, c.Name
		rows, err := tx.QueryContext(ctx, `SELECT id, cadre_id, start_date FROM pairings WHERE household_id = $1 AND end_date = ''`, h.ID)
		if err != nil {
			return err
		}
		type open struct {
			id, cadre int64
			start     string
		}
		var opens []open
		for rows.Next() {
			var o open
			if err := rows.Scan(&o.id, &o.cadre, &o.start); err != nil {
				rows.Close()
				return err
			}
			opens = append(opens, o)
		}
		rows.Close()
		for _, o := range opens {
			if o.cadre == pr.CadreID {
				*pr = registry.Pairing{ID: o.id, County: h.County, CadreID: o.cadre, HouseholdID: h.ID, Start: o.start, CadreName: c.Name}
				return nil // already paired: nothing changes
			}
			if _, err := tx.ExecContext(ctx, `UPDATE pairings SET end_date = $1 WHERE id = $2`, pr.Start, o.id); err != nil {
				return err
			}
			if err := s.logChange(ctx, tx, p, h.County, "pairing", o.id, h.ID, "end", nil, map[string]string{"end_date": pr.Start}); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO pairings (county, cadre_id, household_id, start_date, end_date, reason) VALUES ($1, $2, $3, $4, '', $5) RETURNING id`,
			h.County, pr.CadreID, h.ID, pr.Start, pr.Reason).Scan(&pr.ID); err != nil {
			return err
		}
		return s.logChange(ctx, tx, p, h.County, "pairing", pr.ID, h.ID, "create", nil, pr)
	})
}

// Pairings returns the pairing history of a household in scope, newest
// first.
func (s *Store) Pairings(ctx context.Context, p auth.Principal, householdID int64) ([]registry.Pairing, error) {
	if _, err := s.getHousehold(ctx, s.r, p, householdID); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT pr.id, pr.county, pr.cadre_id, pr.household_id, pr.start_date, pr.end_date, pr.reason, c.name
		FROM pairings pr JOIN cadres c ON c.id = pr.cadre_id WHERE pr.household_id = $1 ORDER BY pr.start_date DESC, pr.id DESC`, householdID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []registry.Pairing{}
	for rows.Next() {
		var pr registry.Pairing
		if err := rows.Scan(&pr.ID, &pr.County, &pr.CadreID, &pr.HouseholdID, &pr.Start, &pr.End, &pr.Reason, &pr.CadreName); err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return out, rows.Err()
}

func validDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	_, err := parseDate(s)
	return err == nil
}
