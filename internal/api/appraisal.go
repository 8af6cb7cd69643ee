package api

import (
	"net/http"
	"strconv"

	"tuopin/internal/appraisal"
	"tuopin/internal/auth"
	"tuopin/internal/policy"
)

// registerAppraisal adds the routes of cadre appraisal (绩效考核).
func (h *Handler) registerAppraisal(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/scorecards", h.auth(h.scorecards))
	mux.Handle("GET /api/v1/scorecards/{cadre}/records", h.auth(h.scoreRecords))
	mux.Handle("GET /api/v1/scorecard-formula", h.auth(h.getFormula))
	mux.Handle("POST /api/v1/scorecard-formula", h.auth(h.saveFormula))
}

// Scorecards is the answer of GET /api/v1/scorecards: the formula version
// used and every cadre's card, best first, with ranks.
type Scorecards struct {
	Area    string            `json:"area"`
	Period  string            `json:"period"`
	Formula appraisal.Formula `json:"formula"`
	Cards   []appraisal.Card  `json:"cards"`
}

func (h *Handler) formulaOf(r *http.Request) (appraisal.Formula, error) {
	version, _ := strconv.Atoi(r.URL.Query().Get("version"))
	return h.Store.Formula(r.Context(), "scorecard", version)
}

// scorecards answers ?area=CODE&period=YYYY-MM[&version=N]: a past month
// with the same formula version gives the same scores.
func (h *Handler) scorecards(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	period := q.Get("period")
	if period == "" {
		period = policy.PeriodOf(h.Store.Now()).String()
	}
	f, err := h.formulaOf(r)
	if err != nil {
		return err
	}
	cards, err := h.Store.Scorecards(r.Context(), p, q.Get("area"), period, f)
	if err != nil {
		return err
	}
	area := q.Get("area")
	if area == "" {
		area = p.Area
	}
	writeJSON(w, http.StatusOK, Scorecards{Area: area, Period: period, Formula: f, Cards: cards})
	return nil
}

// scoreRecords answers ?period=&metric=: the records behind one metric
// of one cadre's card.
func (h *Handler) scoreRecords(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	cadre, err := pathID(r, "cadre")
	if err != nil {
		return err
	}
	f, err := h.formulaOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	period := q.Get("period")
	if period == "" {
		period = policy.PeriodOf(h.Store.Now()).String()
	}
	recs, err := h.Store.ScoreRecords(r.Context(), p, cadre, period, q.Get("metric"), f.TimelyDay)
	if err != nil {
		return err
	}
	return list(w, recs, len(recs))
}

func (h *Handler) getFormula(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	f, err := h.formulaOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// saveFormula stores a new version of the formula (county office only).
func (h *Handler) saveFormula(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var f appraisal.Formula
	if err := decode(r, &f); err != nil {
		return err
	}
	f.Code = "scorecard"
	if err := h.Store.SaveFormula(r.Context(), p, &f); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}
