package api

import (
	"net/http"
	"strconv"

	"tuopin/internal/appraisal"
	"tuopin/internal/auth"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
)

// registerAppraisal adds the routes of cadre appraisal (绩效考核).
func (h *Handler) registerAppraisal(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/scorecards", h.auth(h.scorecards))
	mux.Handle("GET /api/v1/scorecards/{cadre}/records", h.auth(h.scoreRecords))
	mux.Handle("GET /api/v1/scorecard-lists", h.auth(h.scorecardLists))
	mux.Handle("GET /api/v1/scorecards/{cadre}/history", h.auth(h.scorecardHistory))
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
	period := h.period(r)
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
	period := h.period(r)
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

// registerAccountability adds the routes of accountability cases
// (追责问责) and tolerance requests (容错纠错).
func (h *Handler) registerAccountability(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/accountability/scan", h.auth(h.scanAccountability))
	mux.Handle("POST /api/v1/households/{id}/survey-link", h.auth(h.surveyLink))
	mux.Handle("GET /api/v1/integrity", h.auth(h.integrity))
	mux.Handle("POST /api/v1/accountability", h.auth(h.openAccountability))
	mux.Handle("GET /api/v1/accountability", h.auth(h.listAccountability))
	mux.Handle("GET /api/v1/accountability/{id}", h.auth(h.getAccountability))
	mux.Handle("POST /api/v1/accountability/{id}/actions", h.auth(step(h.Store.ActOnAccountability)))
	mux.Handle("POST /api/v1/accountability/{id}/tolerance", h.auth(step(h.Store.ActOnTolerance)))
}

// scanAccountability applies the rules to {"period": "YYYY-MM"} and
// answers the cases it opened.
func (h *Handler) scanAccountability(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in struct {
		Period string `json:"period"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	cs, err := h.Store.ScanAccountability(r.Context(), p, in.Period)
	if err != nil {
		return err
	}
	return list(w, cs, len(cs))
}

func (h *Handler) openAccountability(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var x registry.AccountabilityCase
	if err := decode(r, &x); err != nil {
		return err
	}
	x.ID = 0
	if err := h.Store.OpenAccountability(r.Context(), p, &x); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, x)
	return nil
}

func (h *Handler) listAccountability(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	cs, err := h.Store.AccountabilityCases(r.Context(), p, r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	return list(w, cs, len(cs))
}

func (h *Handler) getAccountability(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	x, err := h.Store.AccountabilityCase(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

// surveyLink makes a household's one-time survey link for {"period"}
// (this month when empty) and answers its path; the token is shown once.
func (h *Handler) surveyLink(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Period string `json:"period"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Period == "" {
		in.Period = policy.PeriodOf(h.Store.Now()).String()
	}
	token, err := h.Store.CreateSurveyToken(r.Context(), p, id, in.Period)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"path": "/s/" + token, "period": in.Period})
	return nil
}

// integrity answers the integrity signals of ?area=&period= for the
// discipline inspector and the county office.
func (h *Handler) integrity(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	period := h.period(r)
	sig, err := h.Store.IntegritySignals(r.Context(), p, q.Get("area"), period)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sig)
	return nil
}

// scorecardLists answers ?area=&period=: award nominations and cadres not
// performing, by appraisal.Lists.
func (h *Handler) scorecardLists(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	period := q.Get("period")
	if period == "" {
		period = policy.PeriodOf(h.Store.Now().AddDate(0, -1, 0)).String()
	}
	f, err := h.formulaOf(r)
	if err != nil {
		return err
	}
	cards, err := h.Store.Scorecards(r.Context(), p, q.Get("area"), period, f)
	if err != nil {
		return err
	}
	awards, lagging := appraisal.Lists(cards)
	writeJSON(w, http.StatusOK, map[string]any{"period": period, "formula": f, "awards": awards, "lagging": lagging})
	return nil
}

// scorecardHistory answers a cadre's scorecards of the last twelve months.
func (h *Handler) scorecardHistory(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	cadre, err := pathID(r, "cadre")
	if err != nil {
		return err
	}
	f, err := h.formulaOf(r)
	if err != nil {
		return err
	}
	hist, err := h.Store.ScorecardHistory(r.Context(), p, cadre, 12, f)
	if err != nil {
		return err
	}
	return list(w, hist, len(hist))
}
