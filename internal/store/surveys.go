package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/policy"
)

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSurveyToken makes a one-time link for a household in scope to
// answer the satisfaction survey of a month itself (一户一码). Verifiers
// and the county office make them, not the cadre the survey judges. The
// token is returned once; only its hash is kept.
func (s *Store) CreateSurveyToken(ctx context.Context, p auth.Principal, householdID int64, period string) (string, error) {
	if !p.CanVerify() {
		return "", fault.New(fault.Forbidden, "error.forbidden")
	}
	if _, err := policy.ParsePeriod(period); err != nil {
		return "", badField("period", period, "reason.period")
	}
	h, err := s.getHousehold(ctx, s.r, p, householdID)
	if err != nil {
		return "", err
	}
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO survey_tokens (hash, household_id, village_code, period, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			tokenHash(token), h.ID, h.VillageCode, period, p.Username, s.stamp()); err != nil {
			return err
		}
		return s.logChange(ctx, tx, p, h.County, "survey_token", 0, h.ID, "create", nil, map[string]string{"period": period})
	})
	return token, err
}

// SurveyInvite is what a survey link shows before it is answered: the
// household's head (for the household to recognise itself) and the month.
type SurveyInvite struct {
	HeadName string `json:"head_name"`
	Village  string `json:"village_code"`
	Period   string `json:"period"`
}

// SurveyByToken returns the invite of an unused link; a used or unknown
// link is not found.
func (s *Store) SurveyByToken(ctx context.Context, token string) (SurveyInvite, error) {
	var in SurveyInvite
	err := s.r.QueryRowContext(ctx, `SELECT h.head_name, t.village_code, t.period FROM survey_tokens t JOIN households h ON h.id = t.household_id
		WHERE t.hash = $1 AND t.used_at = ''`, tokenHash(token)).Scan(&in.HeadName, &in.Village, &in.Period)
	if isNoRows(err) {
		return in, notFound()
	}
	return in, err
}

// AnswerSurvey records the household's own answers through its link and
// uses the link up, in one transaction; a second answer is not found.
func (s *Store) AnswerSurvey(ctx context.Context, token string, v *Survey) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE survey_tokens SET used_at = $1 WHERE hash = $2 AND used_at = ''`, s.stamp(), tokenHash(token))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return notFound()
		}
		if err := tx.QueryRowContext(ctx, `SELECT household_id, village_code, period FROM survey_tokens WHERE hash = $1`, tokenHash(token)).
			Scan(&v.HouseholdID, &v.Village, &v.Period); err != nil {
			return err
		}
		v.Channel, v.RecordedBy = "self", "household"
		v.Approves = v.Policies && v.Measures && v.ExitResult && v.Cadre
		return s.insertSurvey(ctx, tx, v)
	})
}
