package store

import (
	"context"
	"database/sql"

	"tuopin/internal/audit"
)

// headForUpdate reads the chain's head inside a write transaction. On
// PostgreSQL the row lock makes concurrent writers take turns, so two
// transactions never chain onto the same entry; SQLite has one writer.
func (s *Store) headForUpdate(ctx context.Context, tx *sql.Tx) (int64, string, error) {
	q := `SELECT seq, hash FROM audit_head WHERE id = 1`
	if s.Dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var seq int64
	var hash string
	err := tx.QueryRowContext(ctx, q).Scan(&seq, &hash)
	return seq, hash, err
}

// appendAudit chains e onto the log in tx: it fills Seq, PrevHash and
// Hash, inserts the entry and moves the head.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e *audit.Entry) error {
	seq, prev, err := s.headForUpdate(ctx, tx)
	if err != nil {
		return err
	}
	e.Seq, e.PrevHash = seq+1, prev
	e.Hash = audit.Sum(prev, e)
	if _, err := tx.ExecContext(ctx, `INSERT INTO changes (county, entity, entity_id, household_id, action, actor, at, before_json, after_json, seq, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.County, e.Entity, e.EntityID, e.HouseholdID, e.Action, e.Actor, e.At, e.Before, e.After, e.Seq, e.PrevHash, e.Hash); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, e.Seq, e.Hash)
	return err
}

// sealAudit chains entries written before the log was chained (seq 0),
// in the order they were written. It runs after migrating.
func (s *Store) sealAudit(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		seq, prev, err := s.headForUpdate(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, county, entity, entity_id, household_id, action, actor, at, before_json, after_json
			FROM changes WHERE seq = 0 ORDER BY id`)
		if err != nil {
			return err
		}
		type row struct {
			id int64
			e  audit.Entry
		}
		var todo []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.e.County, &r.e.Entity, &r.e.EntityID, &r.e.HouseholdID, &r.e.Action, &r.e.Actor, &r.e.At, &r.e.Before, &r.e.After); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(todo) == 0 {
			return err
		}
		for i := range todo {
			e := &todo[i].e
			seq++
			e.Seq, e.PrevHash = seq, prev
			e.Hash = audit.Sum(prev, e)
			prev = e.Hash
			if _, err := tx.ExecContext(ctx, `UPDATE changes SET seq = $1, prev_hash = $2, hash = $3 WHERE id = $4`, e.Seq, e.PrevHash, e.Hash, todo[i].id); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, seq, prev)
		return err
	})
}

// VerifyAudit walks the whole log in seq order and returns the number of
// entries checked and the first that breaks the chain (nil when whole).
// It reads in keyset batches, so memory stays flat at any length.
func (s *Store) VerifyAudit(ctx context.Context) (int64, *audit.Finding, error) {
	var v audit.Verifier
	var headSeq int64
	var headHash string
	if err := s.r.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return 0, nil, err
	}
	last := int64(-1 << 62)
	for {
		rows, err := s.r.QueryContext(ctx, `SELECT seq, county, entity, entity_id, household_id, action, actor, at, before_json, after_json, prev_hash, hash
			FROM changes WHERE seq > $1 ORDER BY seq, id LIMIT 5000`, last)
		if err != nil {
			return 0, nil, err
		}
		n := 0
		for rows.Next() {
			var e audit.Entry
			if err := rows.Scan(&e.Seq, &e.County, &e.Entity, &e.EntityID, &e.HouseholdID, &e.Action, &e.Actor, &e.At, &e.Before, &e.After, &e.PrevHash, &e.Hash); err != nil {
				rows.Close()
				return 0, nil, err
			}
			v.Add(&e)
			last = e.Seq
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, nil, err
		}
		if n < 5000 {
			break
		}
	}
	return v.Checked, v.Done(headSeq, headHash), nil
}
