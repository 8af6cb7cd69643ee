// Package store keeps tuopin's records in SQLite (modernc.org/sqlite, the
// embedded default) or PostgreSQL (pgx). One set of SQL serves both: it
// binds $1…$n, which both engines number the same way, and a small
// dialect value covers the few differences. The caller's area scope is a
// condition inside every query, never a filter applied afterwards.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"

	"tuopin/internal/division"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
)

//go:embed migrations
var migrations embed.FS

// Dialect names the engine behind a Store.
type Dialect string

// Engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is the database. Writes go through w; on SQLite that is a single
// connection (SQLite has one writer) with immediate transactions, and
// reads use a separate pool r so they never wait behind a write.
type Store struct {
	w, r    *sql.DB
	Dialect Dialect
	now     func() time.Time
	div     *division.Table
	memo    memo
}

// Open connects to dsn: a postgres:// or postgresql:// URL, or else a
// SQLite file path. now is the clock every timestamp comes from.
func Open(ctx context.Context, dsn string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	div, err := division.Builtin()
	if err != nil {
		return nil, err
	}
	s := &Store{now: now, div: div}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.Dialect = Postgres
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
		s.w, s.r = db, db
	} else {
		s.Dialect = SQLite
		if dir := filepath.Dir(dsn); dir != "" {
			// The directory must exist; SQLite creates only the file.
			if _, err := fsStat(dir); err != nil {
				return nil, fmt.Errorf("database folder %s: %w", dir, err)
			}
		}
		// busy_timeout comes first so the pragmas after it wait for a lock
		// instead of failing; WAL lets readers run beside the writer.
		base := "file:" + (&url.URL{Path: dsn}).EscapedPath() + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=cache_size(-32768)&_pragma=temp_store(MEMORY)"
		w, err := sql.Open("sqlite", base+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, err
		}
		r.SetMaxOpenConns(4)
		r.SetMaxIdleConns(4)
		s.w, s.r = w, r
	}
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		if e := s.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Checkpoint moves SQLite's write-ahead log into the database file and
// truncates it, after a bulk write made it large: readers then find every
// page in the file instead of looking it up in a log of a gigabyte. It
// does nothing on PostgreSQL.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.Dialect != SQLite {
		return nil
	}
	_, err := s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// SetClock replaces the store's clock; tests move time with it.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Clock returns the store's clock, so a caller that sets another one for
// a while can put it back.
func (s *Store) Clock() func() time.Time { return s.now }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// Divisions returns the division table the store validates against.
func (s *Store) Divisions() *division.Table { return s.div }

type migration struct {
	version int
	name    string
	sql     string
}

func (s *Store) migrations() ([]migration, error) {
	dir := "migrations/" + string(s.Dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		n, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: no version number", e.Name())
		}
		b, err := migrations.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: n, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// SchemaVersion returns the version the database is at and the version
// this program needs.
func (s *Store) SchemaVersion(ctx context.Context) (have, want int, err error) {
	ms, err := s.migrations()
	if err != nil {
		return 0, 0, err
	}
	want = ms[len(ms)-1].version
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return 0, 0, err
	}
	var v sql.NullInt64
	if err := s.w.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, 0, err
	}
	return int(v.Int64), want, nil
}

// Migrate applies every pending migration, each in its own transaction,
// and loads the division codes when they are missing.
func (s *Store) Migrate(ctx context.Context) error {
	have, want, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if have > want {
		return fault.New(fault.Internal, "error.schema_newer", "have", strconv.Itoa(have), "want", strconv.Itoa(want))
	}
	ms, err := s.migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, s.stamp())
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := s.loadDivisions(ctx); err != nil {
		return err
	}
	if err := s.sealAudit(ctx); err != nil {
		return err
	}
	return s.seedPolicy(ctx)
}

// CheckSchema refuses a database whose schema is not exactly the one this
// program was built for.
func (s *Store) CheckSchema(ctx context.Context) error {
	have, want, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case have < want:
		return fault.New(fault.Internal, "error.schema_outdated", "have", strconv.Itoa(have), "want", strconv.Itoa(want))
	case have > want:
		return fault.New(fault.Internal, "error.schema_newer", "have", strconv.Itoa(have), "want", strconv.Itoa(want))
	}
	return nil
}

func (s *Store) loadDivisions(ctx context.Context) error {
	var n int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM divisions WHERE code_version = $1`, division.CodeVersion).Scan(&n); err != nil {
		return err
	}
	all := s.div.All()
	if n == len(all) {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM divisions`); err != nil {
			return err
		}
		b := newBatch(tx, s.Dialect, "divisions", []string{"code", "name", "level", "parent_code", "code_version"}, "")
		for _, d := range all {
			if err := b.add(ctx, d.Code, d.Name, d.Level, d.Parent, division.CodeVersion); err != nil {
				return err
			}
		}
		return b.flush(ctx)
	})
}

// stamp is the current time as stored: RFC 3339 in UTC, the same text on
// both engines.
func (s *Store) stamp() string { return s.now().UTC().Format(time.RFC3339Nano) }

// tx runs fn in a write transaction, rolling back on error or panic.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// batch collects rows and writes them as multi-row INSERTs, which is what
// makes bulk writes fast on both engines without engine-specific paths.
type batch struct {
	tx        *sql.Tx
	verb      string // "INSERT", or on SQLite "INSERT OR IGNORE" / "INSERT OR REPLACE"
	table     string
	cols      []string
	suffix    string
	per       int
	anon      bool // SQLite: bind by position with "?"
	args      []any
	n         int
	stmt      *sql.Stmt
	returning func(*sql.Rows) error
}

func newBatch(tx *sql.Tx, d Dialect, table string, cols []string, suffix string) *batch {
	per := 30000 / len(cols)
	if per > 200 {
		per = 200
	}
	// modernc's driver looks up every $N parameter's name in a list that
	// grows with the statement, which makes a wide multi-row INSERT
	// quadratic; anonymous "?" parameters skip that lookup, so bulk
	// statements on SQLite use them.
	return &batch{tx: tx, table: table, cols: cols, suffix: suffix, per: per, anon: d == SQLite}
}

func (b *batch) sql(rows int) string {
	var sb strings.Builder
	if b.verb == "" {
		b.verb = "INSERT"
	}
	sb.WriteString(b.verb)
	sb.WriteString(" INTO ")
	sb.WriteString(b.table)
	sb.WriteString(" (")
	sb.WriteString(strings.Join(b.cols, ", "))
	sb.WriteString(") VALUES ")
	p := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range b.cols {
			if c > 0 {
				sb.WriteString(", ")
			}
			if b.anon {
				sb.WriteByte('?')
			} else {
				sb.WriteByte('$')
				sb.WriteString(strconv.Itoa(p))
			}
			p++
		}
		sb.WriteByte(')')
	}
	sb.WriteString(b.suffix)
	return sb.String()
}

func (b *batch) add(ctx context.Context, vals ...any) error {
	if len(vals) != len(b.cols) {
		return fmt.Errorf("batch %s: %d values for %d columns", b.table, len(vals), len(b.cols))
	}
	b.args = append(b.args, vals...)
	b.n++
	if b.n == b.per {
		return b.flush(ctx)
	}
	return nil
}

func (b *batch) flush(ctx context.Context) error {
	if b.n == 0 {
		return nil
	}
	var err error
	if b.n == b.per {
		if b.stmt == nil {
			if b.stmt, err = b.tx.PrepareContext(ctx, b.sql(b.per)); err != nil {
				return err
			}
		}
		err = b.exec(ctx, b.stmt, "")
	} else {
		err = b.exec(ctx, nil, b.sql(b.n))
	}
	b.args = b.args[:0]
	b.n = 0
	return err
}

func (b *batch) exec(ctx context.Context, stmt *sql.Stmt, q string) error {
	if b.returning == nil {
		var err error
		if stmt != nil {
			_, err = stmt.ExecContext(ctx, b.args...)
		} else {
			_, err = b.tx.ExecContext(ctx, q, b.args...)
		}
		return err
	}
	var rows *sql.Rows
	var err error
	if stmt != nil {
		rows, err = stmt.QueryContext(ctx, b.args...)
	} else {
		rows, err = b.tx.QueryContext(ctx, q, b.args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := b.returning(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (b *batch) close() {
	if b.stmt != nil {
		b.stmt.Close()
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// notFound is the error for a record that does not exist or lies outside
// the caller's scope: the two must look the same from outside.
func notFound() error { return fault.New(fault.NotFound, "error.not_found") }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func errMsg(key string, kv ...string) i18n.Msg { return i18n.M(key, kv...) }
