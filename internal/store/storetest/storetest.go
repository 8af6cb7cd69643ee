// Package storetest opens fresh stores for tests: a SQLite file in a
// temporary folder and, when TUOPIN_TEST_POSTGRES holds a DSN, a fresh
// PostgreSQL schema, so one suite runs against both engines.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	_ "github.com/jackc/pgx/v5/stdlib" // admin connection
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"tuopin/internal/store"
)

// Now is the fixed clock of the stores these helpers open.
var Now = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

var schemaSeq atomic.Int64

// Engines runs fn against a fresh SQLite file and, when
// TUOPIN_TEST_POSTGRES holds a DSN, against a fresh PostgreSQL schema:
// one test suite for both engines.
func Engines(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s := OpenSQLite(t)
		fn(t, s)
	})
	dsn := os.Getenv("TUOPIN_TEST_POSTGRES")
	if dsn == "" {
		return
	}
	t.Run("postgres", func(t *testing.T) {
		s := OpenPostgres(t, dsn)
		fn(t, s)
	})
}

// OpenSQLite opens a migrated store in a temporary folder.
func OpenSQLite(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "t.db"), func() time.Time { return Now })
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// OpenPostgres opens a migrated store in a fresh schema of dsn.
func OpenPostgres(tb testing.TB, dsn string) *store.Store {
	tb.Helper()
	schema := fmt.Sprintf("t_%d_%d", os.Getpid(), schemaSeq.Add(1))
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema); err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := store.Open(context.Background(), u.String(), func() time.Time { return Now })
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		if a, err := sql.Open("pgx", dsn); err == nil {
			a.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
			a.Close()
		}
	})
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}
