// Package app assembles the running program: the store, the JSON API and
// the pages behind one HTTP server. Main has Run and Close so tests run
// the real program in-process on port :0 with a database in a temp dir.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"tuopin/internal/api"
	"tuopin/internal/assess"
	"tuopin/internal/store"
	"tuopin/internal/web"
)

// Config is how to run the server.
type Config struct {
	DB      string
	Addr    string
	Now     func() time.Time
	Log     *slog.Logger
	Migrate bool // apply pending migrations at start (the default for serve)
}

// Main is a running tuopin server.
type Main struct {
	Store  *store.Store
	Server *http.Server
	Addr   string // the address actually listened on
	ln     net.Listener
	done   chan error
}

// Open opens the store and checks its schema, migrating first when asked.
func Open(ctx context.Context, cfg Config) (*store.Store, error) {
	s, err := store.Open(ctx, cfg.DB, cfg.Now)
	if err != nil {
		return nil, err
	}
	if cfg.Migrate {
		if err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.CheckSchema(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Handler returns the whole HTTP handler for s.
func Handler(s *store.Store, log *slog.Logger) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := s.SchemaVersion(r.Context()); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	// One assessor for the API and the pages, so they share its caches.
	a := assess.New(s)
	(&api.Handler{Store: s, Assess: a, Log: log}).Register(mux)
	wh, err := web.New(s, a, log)
	if err != nil {
		return nil, err
	}
	wh.Register(mux)
	// Cross-origin state-changing requests are refused; bearer-token
	// clients send no Origin and pass.
	cop := http.NewCrossOriginProtection()
	return securityHeaders(cop.Handler(mux)), nil
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// Run opens the store and starts serving in the background.
func (m *Main) Run(ctx context.Context, cfg Config) error {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	m.Store = s
	h, err := Handler(s, cfg.Log)
	if err != nil {
		s.Close()
		return err
	}
	if m.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		s.Close()
		return err
	}
	m.Addr = m.ln.Addr().String()
	m.Server = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	m.done = make(chan error, 1)
	go func() { m.done <- m.Server.Serve(m.ln) }()
	return nil
}

// Wait blocks until the server stops.
func (m *Main) Wait() error {
	err := <-m.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the server gracefully and closes the store.
func (m *Main) Close() error {
	var err error
	if m.Server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = m.Server.Shutdown(ctx)
	}
	if m.Store != nil {
		if e := m.Store.Close(); err == nil {
			err = e
		}
	}
	return err
}
