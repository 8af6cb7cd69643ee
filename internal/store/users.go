package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
)

// Lockout policy: after MaxFailedLogins wrong passwords in a row the
// account is locked for LockoutPeriod.
const (
	MaxFailedLogins = 5
	LockoutPeriod   = 15 * time.Minute
	SessionLifetime = 12 * time.Hour
	TokenLifetime   = 365 * 24 * time.Hour
)

// User is an account.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	Area     string `json:"area"`
}

// Principal returns the user as an acting principal.
func (u User) Principal() auth.Principal {
	return auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, Area: u.Area}
}

// AddUser creates an account. The area must be a known division code.
func (s *Store) AddUser(ctx context.Context, username, password, role, area string) (User, error) {
	username = strings.TrimSpace(username)
	var errs []fault.FieldError
	if username == "" || len(username) > 64 {
		errs = append(errs, fault.FieldError{Field: "username", Value: username, Reason: errMsg("reason.required")})
	}
	if len(password) < 8 {
		errs = append(errs, fault.FieldError{Field: "password", Reason: errMsg("error.weak_password")})
	}
	if !auth.ValidRole(role) {
		errs = append(errs, fault.FieldError{Field: "role", Value: role, Reason: errMsg("error.bad_role")})
	}
	if _, ok := s.div.Get(area); !ok {
		errs = append(errs, fault.FieldError{Field: "area", Value: area, Reason: errMsg("error.bad_area")})
	}
	if len(errs) > 0 {
		return User{}, fault.Fields(errs)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return User{}, err
	}
	u := User{Username: username, Role: role, Area: area}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = $1`, username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fault.New(fault.Conflict, "error.duplicate_user")
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (username, password_hash, role, area, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			username, hash, role, area, s.stamp()).Scan(&u.ID); err != nil {
			return err
		}
		// The log keeps who and what role, never the password hash.
		return s.logChange(ctx, tx, auth.System("admin"), "", "user", u.ID, 0, "create", nil, u)
	})
	return u, err
}

// SetPassword replaces a user's password and unlocks the account.
func (s *Store) SetPassword(ctx context.Context, username, password string) error {
	if len(password) < 8 {
		return fault.New(fault.Invalid, "error.weak_password")
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = '' WHERE username = $2 RETURNING id`, hash, username).Scan(&id)
		if isNoRows(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		return s.logChange(ctx, tx, auth.System("admin"), "", "user", id, 0, "set_password", nil, map[string]string{"username": username})
	})
}

// UserByName returns an account.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	var u User
	err := s.r.QueryRowContext(ctx, `SELECT id, username, role, area FROM users WHERE username = $1`, username).Scan(&u.ID, &u.Username, &u.Role, &u.Area)
	if isNoRows(err) {
		return u, notFound()
	}
	return u, err
}

// Login checks a password and, when it is right, opens a server-side
// session and returns its token. Wrong passwords count towards lockout;
// a locked account is refused even with the right password.
func (s *Store) Login(ctx context.Context, username, password string) (User, string, error) {
	var u User
	var hash, locked string
	var failed int
	err := s.w.QueryRowContext(ctx, `SELECT id, username, role, area, password_hash, failed_logins, locked_until FROM users WHERE username = $1`, username).
		Scan(&u.ID, &u.Username, &u.Role, &u.Area, &hash, &failed, &locked)
	if isNoRows(err) {
		// Spend the same time as a real check so names cannot be probed.
		auth.CheckPassword("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"+strings.Repeat("A", 43), password)
		return u, "", fault.New(fault.Unauthorized, "error.bad_login")
	}
	if err != nil {
		return u, "", err
	}
	now := s.now().UTC()
	if locked != "" {
		until, _ := time.Parse(time.RFC3339Nano, locked)
		if now.Before(until) {
			return u, "", fault.New(fault.Locked, "error.locked", "until", until.Format("2006-01-02 15:04 MST"))
		}
	}
	if !auth.CheckPassword(hash, password) {
		failed++
		lock := ""
		if failed >= MaxFailedLogins {
			lock = now.Add(LockoutPeriod).Format(time.RFC3339Nano)
			failed = 0
		}
		if _, err := s.w.ExecContext(ctx, `UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3`, failed, lock, u.ID); err != nil {
			return u, "", err
		}
		if lock != "" {
			return u, "", fault.New(fault.Locked, "error.locked", "until", now.Add(LockoutPeriod).Format("2006-01-02 15:04 MST"))
		}
		return u, "", fault.New(fault.Unauthorized, "error.bad_login")
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = '' WHERE id = $1`, u.ID); err != nil {
		return u, "", err
	}
	token, err := s.newSession(ctx, u.ID, "session", SessionLifetime)
	return u, token, err
}

// CreateToken issues an API bearer token for a user.
func (s *Store) CreateToken(ctx context.Context, username string) (string, error) {
	u, err := s.UserByName(ctx, username)
	if err != nil {
		return "", err
	}
	return s.newSession(ctx, u.ID, "token", TokenLifetime)
}

func (s *Store) newSession(ctx context.Context, userID int64, kind string, life time.Duration) (string, error) {
	prefix := "tps_"
	if kind == "token" {
		prefix = "tpt_"
	}
	token, hash, err := auth.NewToken(prefix)
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	_, err = s.w.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		hash, userID, kind, now.Format(time.RFC3339Nano), now.Add(life).Format(time.RFC3339Nano))
	return token, err
}

// Authenticate resolves a session or API token to its user.
func (s *Store) Authenticate(ctx context.Context, token string) (User, error) {
	var u User
	var expires string
	err := s.r.QueryRowContext(ctx, `SELECT u.id, u.username, u.role, u.area, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
		auth.HashToken(token)).Scan(&u.ID, &u.Username, &u.Role, &u.Area, &expires)
	if isNoRows(err) {
		return u, fault.New(fault.Unauthorized, "error.unauthorized")
	}
	if err != nil {
		return u, err
	}
	if exp, _ := time.Parse(time.RFC3339Nano, expires); !s.now().Before(exp) {
		return u, fault.New(fault.Unauthorized, "error.unauthorized")
	}
	return u, nil
}

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, token string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, auth.HashToken(token))
	return err
}
