package store

import "database/sql"

// TestExec runs raw SQL on the writer, for tests that tamper with a
// database on purpose.
func (s *Store) TestExec(q string, args ...any) (sql.Result, error) { return s.w.Exec(q, args...) }

// TestQueryRow runs a raw query on the reader pool.
func (s *Store) TestQueryRow(q string, args ...any) *sql.Row { return s.r.QueryRow(q, args...) }
